"""Whole runs with breakers and throttles against the embedded paper exchange (real HTTP)."""

from collections.abc import Iterator
from datetime import datetime

import pytest
import requests
from run_support import OPEN_NOW, broker, config, deps, spec

from alchemiser.api import Breakers, HaltMode, TradingStrategySpec
from alchemiser.api.breakers import session_of
from alchemiser.api.ledger import Ledger
from alchemiser.api.result import Outcome
from alchemiser.sim import embedded
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.worker import pipeline

# The runs' own clock, pinned: a ledger's session is the New York date of this moment, and
# a run that read the wall clock itself would see a new session when the suite crossed
# midnight in New York between collection and the test (a red run at 05:01 UTC).
NOW = datetime.now().astimezone()


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """A fresh paper exchange at an open moment, $100k cash."""
    with embedded.start(now=OPEN_NOW, key_id="brk-key", secret_key="brk-secret") as ex:
        yield ex


def _open(weights: dict[str, float], **risk: object) -> TradingStrategySpec:
    """A spec whose risk limits let one symbol take the whole account."""
    limits = {"maxOrderNotional": 100_000, "maxPositionFraction": 1.0, "maxDailyNotional": 1e6}
    return spec(weights, **{**limits, **risk})


def _with(base: TradingStrategySpec, **update: object) -> TradingStrategySpec:
    return base.model_copy(update=update)


def _move(exchange: EmbeddedExchange, **moves: float) -> None:
    reply = requests.post(f"{exchange.base_url}/admin/prices", json={"moves": moves}, timeout=10)
    reply.raise_for_status()


def test_the_result_reports_the_account_the_run_traded(exchange: EmbeddedExchange) -> None:
    """Account number and the figures as first read: equity and last_equity."""
    result = pipeline.run(config(_open({"SPY": 1.0})), deps(broker(exchange)))
    assert result.account is not None and result.account.number.startswith("PA")
    assert result.account.equity == pytest.approx(100_000) == result.account.last_equity


def test_a_daily_loss_in_reduce_only_mode_refuses_buys_in_the_same_run(
    exchange: EmbeddedExchange,
) -> None:
    """SPY down 20% after buying: the next run reports dailyLoss and its TLT buy is refused."""
    first = pipeline.run(config(_open({"SPY": 1.0}), "run-a"), deps(broker(exchange)))
    assert first.outcome is Outcome.SUCCEEDED, first.message
    _move(exchange, SPY=0.8)
    rebalance = _with(
        _open({"SPY": 0.5, "TLT": 0.5}),
        breakers=Breakers(daily_loss_percent=5.0),
    )
    second = pipeline.run(config(rebalance, "run-b"), deps(broker(exchange)))
    assert [t.breaker for t in second.breaker_trips] == ["dailyLoss"]
    assert not [o for o in second.orders if o.side == "buy"], second.orders
    assert [o.symbol for o in second.orders if o.side == "sell"] == ["SPY"]
    assert any("circuit breaker dailyLoss" in r.reason for r in second.rejections)


def test_a_drawdown_in_halt_mode_places_nothing(exchange: EmbeddedExchange) -> None:
    """A high-water mark of 120k and equity 100k with a 10% Halt breaker: Halted, no orders."""
    strategy = _with(
        _open({"SPY": 1.0}), breakers=Breakers(drawdown_percent=10.0, mode=HaltMode.HALT)
    )
    ledger = Ledger(session=session_of(NOW), high_water_mark=120_000.0)
    result = pipeline.run(config(strategy), deps(broker(exchange), ledger=ledger, now=lambda: NOW))
    assert result.outcome is Outcome.HALTED and "drawdown" in result.message
    assert exchange.orders() == [] and result.breaker_trips[0].breaker == "drawdown"


def test_runs_recorded_today_throttle_the_run(exchange: EmbeddedExchange) -> None:
    """maxRunsPerDay 2 with two runs in today's ledger: Throttled, no orders, account reported."""
    strategy = _open({"SPY": 1.0}, maxRunsPerDay=2)
    ledger = Ledger(session=session_of(NOW), runs_today=2)
    result = pipeline.run(config(strategy), deps(broker(exchange), ledger=ledger, now=lambda: NOW))
    assert result.outcome is Outcome.THROTTLED and "maxRunsPerDay 2" in result.message
    assert exchange.orders() == [] and result.account is not None


def test_orders_per_day_cap_the_run_and_then_throttle(exchange: EmbeddedExchange) -> None:
    """maxOrdersPerDay 2 over three targets: two orders, one rejected; the next run Throttled."""
    strategy = spec({"SPY": 0.4, "QQQ": 0.3, "TLT": 0.3}, maxOrdersPerDay=2)
    first = pipeline.run(config(strategy, "run-a"), deps(broker(exchange)))
    assert first.orders_submitted == 2 and first.risk_rejected == 1, first
    second = pipeline.run(config(strategy, "run-b"), deps(broker(exchange)))
    assert second.outcome is Outcome.THROTTLED and "maxOrdersPerDay 2" in second.message
    assert len(exchange.orders()) == 2


def test_a_retry_of_the_same_run_does_not_count_its_own_orders(
    exchange: EmbeddedExchange,
) -> None:
    """The same run id again (a Job retry) is not throttled by the orders it placed itself."""
    strategy = spec({"SPY": 0.5, "TLT": 0.5}, maxOrdersPerDay=2)
    pipeline.run(config(strategy, "run-a"), deps(broker(exchange)))
    again = pipeline.run(config(strategy, "run-a"), deps(broker(exchange)))
    assert again.outcome is not Outcome.THROTTLED, again.message
    assert len(exchange.orders()) == 2
