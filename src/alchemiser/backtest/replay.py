"""The replay: the worker's pipeline run at every scheduled instant of the period.

Rule: the only loop of a backtest. For each NYSE session in the period, the clock is
set to each instant the schedule fires and `pipeline.run` (the worker's own code:
halts, market hours, bars, strategies, combine, planner, risk, execution) runs
against the backtest broker; after the session's close the account is valued. A
fire outside the regular session is recorded as MarketClosed without a run, as the
worker would end it. Ctrl-C (KeyboardInterrupt) stops the loop after the last whole
session; what was done is kept and marked interrupted.
"""

import gc
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from alchemiser.api import Mode, StrategyName, TradingStrategySpec
from alchemiser.api.halt_matching import StrategyScope
from alchemiser.api.result import Outcome, RunResult
from alchemiser.backtest.broker import BacktestBroker, Fill, FillModel
from alchemiser.backtest.prices import Prices, SessionTable
from alchemiser.backtest.recording import Decided, Tape, recording
from alchemiser.backtest.schedule import Fire
from alchemiser.worker import halts, pipeline
from alchemiser.worker.config import RunConfig
from alchemiser.worker.portfolio import combine
from alchemiser.worker.strategies import REGISTRY, Strategy
from alchemiser.worker.strategies.builtin import BUILTIN_NAMES, BuiltinSymphony


@dataclass(frozen=True)
class Identity:
    """The strategy's name and uid (they seed the client order ids, as in a live run)."""

    namespace: str = "default"
    name: str = "backtest"
    uid: str = "backtest"


@dataclass(frozen=True)
class Run:
    """One scheduled run and what it decided and did."""

    fire: Fire
    result: RunResult
    decisions: tuple[Decided, ...]
    targets: Mapping[str, float] | None


@dataclass(frozen=True)
class Day:
    """The account at one session's close."""

    day: date
    equity: float
    cash: float
    values: Mapping[str, float]  # USD per held symbol
    benchmark: float
    stale: tuple[str, ...] = ()  # held symbols valued at an earlier close (no bar today)


@dataclass
class Record:
    """Everything a backtest produced, whole sessions only."""

    days: list[Day] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    interrupted: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Setup:
    """What a replay needs."""

    spec: TradingStrategySpec
    identity: Identity
    prices: Prices
    table: SessionTable  # sessions from the strategies' lookback to one after the period
    days: tuple[date, ...]  # the period's sessions
    fires: tuple[Fire, ...]
    cash: float
    fills: FillModel
    benchmark: str
    # Each allocation's parsed parameters, as the worker's RunConfig.load gives a live run
    # (a symphony's own :rebalance-threshold is read from them).
    parameters: tuple[BaseModel, ...] = ()


Progress = Callable[[int, int, date], None]
_COLLECT_EVERY = 5  # sessions between two collections of the youngest generation


def replay(setup: Setup, progress: Progress | None = None) -> Record:
    """Run the backtest; returns the record (interrupted=True after Ctrl-C)."""
    spec = setup.spec.model_copy(update={"mode": Mode.PAPER})
    broker = BacktestBroker(setup.prices, setup.table, setup.cash, setup.fills)
    tape = Tape()
    strategies, combined = recording(_remembering(), combine, tape)
    deps = pipeline.Deps(
        market=broker,
        execution=broker,
        halts=halts.HaltGuard(
            halts.NoCluster(), StrategyScope(setup.identity.namespace, {}), clock=lambda: broker.now
        ),
        strategies=strategies,
        combine=combined,
        stop=threading.Event(),
        now=lambda: broker.now,
        concurrency=1,
        fill_timeout=0.0,
    )
    record = Record()
    days = setup.days
    by_day: dict[date, list[Fire]] = {}
    for fire in setup.fires:
        by_day.setdefault(fire.session, []).append(fire)
    shares = _benchmark_shares(setup, days)
    began = time.perf_counter()
    kept_fills = 0
    # The prices, calendar and strategy trees live for the whole replay; moved out of the
    # collector's reach, they are not rescanned by the collections thousands of runs cause.
    # A run's values are acyclic (freed by reference counting), so the automatic
    # collections are replaced by one of the youngest generation every few sessions: it
    # frees any cycle made since the last one, without rescanning what the replay keeps.
    gc.freeze()
    collecting = gc.isenabled()
    gc.disable()
    try:
        for index, day in enumerate(days):
            if index % _COLLECT_EVERY == 0:
                gc.collect(0)
            fires = by_day.get(day, [])
            runs = [
                _one(fire, spec=spec, setup=setup, broker=broker, deps=deps, tape=tape)
                for fire in fires
            ]
            position = setup.table.index(day)
            if position is None:
                raise ValueError(f"{day} is not a session of the backtest's table")
            broker.set_now(setup.table.closes[position])
            record.days.append(_value(setup, broker, day, shares))
            record.runs.extend(runs)
            kept_fills = len(broker.fills)
            if progress is not None:
                progress(index + 1, len(days), day)
    except KeyboardInterrupt:
        record.interrupted = True
    finally:
        if collecting:
            gc.enable()
        gc.unfreeze()
    record.fills = broker.fills[:kept_fills]
    total = time.perf_counter() - began
    record.seconds = {
        "total": total,
        "data": broker.timings.data,
        "decisions": tape.seconds,
        "fills": broker.timings.fills,
        "planning": max(0.0, total - broker.timings.data - tape.seconds - broker.timings.fills),
    }
    return record


def _remembering() -> dict[StrategyName, Strategy]:
    """The worker's strategies, the built-in symphonies with a memo of their own (same results)."""
    strategies = dict(REGISTRY)
    for name in BUILTIN_NAMES:
        strategies[name] = BuiltinSymphony(name, remember=True)
    return strategies


def _one(
    fire: Fire,
    *,
    spec: TradingStrategySpec,
    setup: Setup,
    broker: BacktestBroker,
    deps: pipeline.Deps,
    tape: Tape,
) -> Run:
    identity = setup.identity
    tape.reset()
    run_id = f"bt-{fire.at:%Y%m%d%H%M}"
    if not fire.market_open:
        result = RunResult(
            outcome=Outcome.MARKET_CLOSED,
            run_id=run_id,
            message=f"the schedule fires at {fire.at:%H:%M} UTC, outside the regular session",
            started_at=fire.at,
            finished_at=fire.at,
        )
        return Run(fire, result, (), None)
    broker.set_now(fire.at)
    config = RunConfig(
        spec=spec,
        namespace=identity.namespace,
        name=identity.name,
        uid=identity.uid,
        run_id=run_id,
        labels={},
        parameters=setup.parameters,
    )
    result = pipeline.run(config, deps)
    return Run(fire, result, tuple(tape.decisions), tape.targets)


def _benchmark_shares(setup: Setup, days: tuple[date, ...]) -> float:
    """Shares of the benchmark the starting cash buys at the first session's close."""
    first = setup.prices.close(setup.benchmark, days[0]) if days else None
    if first is None:
        return 0.0
    return setup.cash / first


def _value(setup: Setup, broker: BacktestBroker, day: date, shares: float) -> Day:
    values: dict[str, float] = {}
    stale: list[str] = []
    for symbol, qty in broker.holdings().items():
        close = setup.prices.close(symbol, day)
        if close is None:
            close = _last_close(setup, symbol, day)
            stale.append(symbol)
        values[symbol] = qty * close
    bench = setup.prices.close(setup.benchmark, day)
    return Day(
        day=day,
        equity=broker.cash + sum(values.values()),
        cash=broker.cash,
        values=values,
        benchmark=shares * bench if bench is not None else float("nan"),
        stale=tuple(stale),
    )


def _last_close(setup: Setup, symbol: str, day: date) -> float:
    """The newest close before `day` (a held symbol always had one: it was bought)."""
    index = setup.table.index_at_or_after(day)
    for earlier in reversed(setup.table.days[:index]):
        close = setup.prices.close(symbol, earlier)
        if close is not None:
            return close
    return 0.0
