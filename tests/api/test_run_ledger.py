"""The run ledger and the daily throttles: what a run may still do today."""

import pytest
from pydantic import ValidationError

from alchemiser.api import Breakers, RiskLimits, TradingStrategySpec, ledger
from alchemiser.api.ledger import Ledger


def test_throttle_names_the_limit_and_the_count() -> None:
    """Runs or orders at the day's limit throttle; one below does not."""
    limits = RiskLimits(max_runs_per_day=3, max_orders_per_day=10)
    assert ledger.throttle(limits, runs_today=2, orders_today=9) is None
    runs = ledger.throttle(limits, runs_today=3, orders_today=0)
    assert runs is not None and "maxRunsPerDay 3" in runs and "3 runs" in runs
    orders = ledger.throttle(limits, runs_today=0, orders_today=10)
    assert orders is not None and "maxOrdersPerDay 10" in orders


def test_no_daily_limits_never_throttle() -> None:
    """Unset limits: any count passes."""
    assert ledger.throttle(RiskLimits(), runs_today=10_000, orders_today=10_000) is None


def test_orders_allowed_is_capped_by_what_the_day_has_left() -> None:
    """maxOrdersPerRun 40 with 7 of 10 daily orders used leaves 3; never below 0."""
    limits = RiskLimits(max_orders_per_run=40, max_orders_per_day=10)
    assert ledger.orders_allowed(limits, orders_today=7) == 3
    assert ledger.orders_allowed(limits, orders_today=12) == 0
    assert ledger.orders_allowed(RiskLimits(max_orders_per_run=5), orders_today=100) == 5


def test_ledger_round_trips_and_forgets_earlier_sessions() -> None:
    """Counts and trips belong to their session; the high-water mark does not expire."""
    entry = Ledger(
        session="2026-12-01", runs_today=4, high_water_mark=101.5, tripped_today=["drawdown"]
    )
    back = Ledger.from_json(entry.to_json())
    assert back == entry
    assert back.runs_on("2026-12-01") == 4 and back.runs_on("2026-12-02") == 0
    assert back.tripped_on("2026-12-02") == frozenset() and back.tripped_on("2026-12-01") == {
        "drawdown"
    }


def test_a_malformed_ledger_is_refused() -> None:
    """Garbage or a negative count raises (the worker then fails closed)."""
    for text in ("", "{", '{"session": "2026-12-01", "runsToday": -1}', "[]"):
        with pytest.raises(ValidationError):
            Ledger.from_json(text)


def test_runs_after_counts_per_session() -> None:
    """A new session starts at one; the same session adds one."""
    assert ledger.runs_after("2026-12-01", "2026-12-01", 2) == 3
    assert ledger.runs_after("2026-12-02", "2026-12-01", 2) == 1
    assert ledger.runs_after("2026-12-02", None, 0) == 1


def test_the_ledger_is_needed_only_for_run_counts_and_drawdown() -> None:
    """maxRunsPerDay and drawdownPercent read it; dailyLoss and maxOrdersPerDay do not."""
    base = {
        "schedule": "* * * * *",
        "allocations": [{"strategy": "nuclear", "weight": 1.0}],
        "broker": {"credentialsSecret": "s"},
    }
    plain = TradingStrategySpec.model_validate(base)
    assert not ledger.needs_ledger(plain)
    daily = plain.model_copy(update={"breakers": Breakers(daily_loss_percent=1.0)})
    assert not ledger.needs_ledger(daily)
    orders = plain.model_copy(update={"risk": RiskLimits(max_orders_per_day=5)})
    assert not ledger.needs_ledger(orders)
    assert ledger.needs_ledger(plain.model_copy(update={"risk": RiskLimits(max_runs_per_day=5)}))
    assert ledger.needs_ledger(
        plain.model_copy(update={"breakers": Breakers(drawdown_percent=5.0)})
    )
