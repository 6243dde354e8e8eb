"""Parity: N backtest days and N paper runs on the paper exchange at the same instants
give identical orders (the backtest runs the worker's own pipeline)."""

import threading
from datetime import date
from pathlib import Path

from support import write_manifest

from alchemiser.api.halt_matching import StrategyScope
from alchemiser.backtest import assemble, data
from alchemiser.backtest.broker import FillModel
from alchemiser.backtest.prices import Prices
from alchemiser.backtest.replay import replay
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.sim.exchange import ExchangeConfig
from alchemiser.worker import halts, pipeline
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.config import RunConfig
from alchemiser.worker.credentials import Credentials
from alchemiser.worker.portfolio import combine
from alchemiser.worker.strategies import REGISTRY

PORTFOLIO = {
    "schedule": "45 15 * * 1-5",
    "allocations": [
        {"strategy": "nuclear", "weight": 0.3},
        {"strategy": "tecl", "weight": 0.5},
        {"strategy": "klm", "weight": 0.2},
    ],
    "risk": {"maxOrderNotional": 40_000, "maxPositionFraction": 0.6, "maxDailyNotional": 1e6},
}
START, END = date(2025, 3, 3), date(2025, 3, 7)  # N = 5 sessions


class _Keys:
    def __init__(self, exchange: EmbeddedExchange) -> None:
        self.credentials = Credentials(exchange.key_id, exchange.secret_key)

    def read(self) -> Credentials:
        return self.credentials


def _minutes(symbols: frozenset[str], first: date, last: date, days: frozenset[date]) -> Prices:
    return data.sim_intraday(data.sim_model(first), symbols)


def test_backtest_orders_equal_paper_runs_on_the_paper_exchange(tmp_path: Path) -> None:
    """Backtest over the exchange's own minute prints, filling at the quote (the exchange fills
    at its latest trade; spread 0, no slippage), against five real runs of the same pipeline
    over HTTP (alpaca-py) on the paper exchange with its clock set to each fire."""
    manifest = write_manifest(tmp_path / "portfolio.yaml", PORTFOLIO, name="parity")
    choices = assemble.Choices(manifest, START, END, 100_000.0, FillModel(timing="quote"), "SPY")
    setup = assemble.build(choices, _minutes)
    record = replay(setup)
    backtest = [
        [(o.symbol, o.side, o.amount, o.client_order_id) for o in run.result.orders]
        for run in record.runs
    ]

    fires = [fire.at for fire in setup.fires]
    config = ExchangeConfig(key_id="parity", secret_key="parity-secret", now=fires[0], spread_bps=0)
    paper = []
    with EmbeddedExchange(config) as exchange:
        broker = AlpacaBroker(_Keys(exchange), base_url=exchange.base_url)
        guard = halts.HaltGuard(halts.NoCluster(), StrategyScope("team-a", {}))
        deps = pipeline.Deps(
            market=broker,
            execution=broker,
            halts=guard,
            strategies=REGISTRY,
            combine=combine,
            stop=threading.Event(),
            fill_timeout=10.0,
        )
        for at, run in zip(fires, record.runs, strict=True):
            exchange.set_now(at)
            run_config = RunConfig(
                spec=setup.spec,
                namespace=setup.identity.namespace,
                name=setup.identity.name,
                uid=setup.identity.uid,
                run_id=run.result.run_id,
                labels={},
            )
            result = pipeline.run(run_config, deps)
            assert result.outcome.value == run.result.outcome.value, result.message
            paper.append([(o.symbol, o.side, o.amount, o.client_order_id) for o in result.orders])
    assert len(backtest) == 5
    assert sum(len(day) for day in backtest) > 5  # days with orders, so parity means something
    assert [sorted(day) for day in backtest] == [sorted(day) for day in paper]
