"""From the command line's choices to a replay's Setup: the manifest, period, data, fills.

Rule: validation and wiring only; ConfigError names the option and the reason. The
period's sessions come from the worker's own NYSE calendar; the data must reach back
far enough for the strategies' lookback (their own `lookback_days`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alchemiser.api.parameters import parse_parameters
from alchemiser.backtest import schedule
from alchemiser.backtest.broker import FillModel
from alchemiser.backtest.prices import DailyPrices, Prices, SessionTable
from alchemiser.backtest.replay import Identity, Setup
from alchemiser.errors import ConfigError, MarketClosed
from alchemiser.worker import clock
from alchemiser.worker import config as run_config
from alchemiser.worker.market import calendar_days_for
from alchemiser.worker.strategies import REGISTRY

# Sessions fetched beyond the strategies' lookback (bars a holiday-heavy window needs).
_AFTER_END = timedelta(days=10)


@dataclass(frozen=True)
class Choices:
    """What the user asked for."""

    manifest: Path
    start: date
    end: date
    cash: float
    fills: FillModel
    benchmark: str


# (symbols, oldest session the strategies read, last session, every session) -> prices
Loader = Callable[[frozenset[str], date, date, frozenset[date]], Prices]


def build(choices: Choices, load: Loader) -> Setup:
    """The replay's setup; ConfigError for anything that cannot be backtested."""
    if choices.end < choices.start:
        raise ConfigError(f"--end {choices.end} is before --start {choices.start}")
    if choices.cash <= 0:
        raise ConfigError(f"--cash must be positive, not {choices.cash:g}")
    config = run_config.load(
        manifest=choices.manifest, run_id="backtest", environ={}, now=datetime.now(UTC)
    )
    symbols: set[str] = {choices.benchmark}
    lookback = 1
    for allocation in config.spec.allocations:
        strategy = REGISTRY[allocation.strategy]
        params = parse_parameters(allocation.strategy, allocation.parameters)
        symbols |= strategy.symbols(params)
        lookback = max(lookback, strategy.lookback_days(params))
    first_needed = choices.start - timedelta(days=calendar_days_for(lookback))
    try:
        rows = clock.sessions_between(first_needed, choices.end + _AFTER_END)
    except MarketClosed as error:
        raise ConfigError(f"--start/--end: {error}") from None
    table = SessionTable.of(rows)
    days = tuple(d for d in table.days if choices.start <= d <= choices.end)
    if not days:
        raise ConfigError(f"--start {choices.start} to --end {choices.end} holds no NYSE session")
    if table.days[-1] <= days[-1]:
        raise ConfigError(f"--end {choices.end} is too close to the calendar's end")
    period = [r for r in rows if choices.start <= r[0] <= choices.end]
    fires = schedule.fires(
        schedule.parse(config.spec.schedule), ZoneInfo(config.spec.time_zone), period
    )
    # The oldest session a strategy reads on the first day: `lookback` sessions back.
    needed_from = table.days[max(0, table.days.index(days[0]) - lookback)]
    prices = load(frozenset(symbols), needed_from, table.days[-1], frozenset(table.days))
    return Setup(
        spec=config.spec,
        identity=Identity(namespace=config.namespace, name=config.name, uid=config.uid),
        prices=prices,
        table=table,
        days=days,
        fires=tuple(fires),
        cash=choices.cash,
        fills=choices.fills,
        benchmark=choices.benchmark,
        parameters=config.parameters,
    )


def daily(closes: dict[str, dict[date, float]], table_days: frozenset[date]) -> Prices:
    """Daily prices over the sessions of the table (the loader's helper)."""
    rows = clock.sessions_between(min(table_days), max(table_days))
    return DailyPrices(closes, SessionTable.of(rows))
