"""The run's own breaker and throttle checks: from the account figures and the ledger."""

from pathlib import Path

import pytest

from alchemiser.api import Breakers, HaltMode, RiskLimits, TradingStrategySpec
from alchemiser.api.ledger import Ledger
from alchemiser.errors import DataUnavailable
from alchemiser.worker import breakers

TODAY = "2026-12-01"
BASE = {
    "schedule": "* * * * *",
    "allocations": [{"strategy": "nuclear", "weight": 1.0}],
    "broker": {"credentialsSecret": "s"},
}


def _spec(**update: object) -> TradingStrategySpec:
    return TradingStrategySpec.model_validate(BASE).model_copy(update=update)


def _assess(
    spec: TradingStrategySpec, entry: Ledger | None = None, **figures: float
) -> breakers.Assessment:
    values = {"equity": 100_000.0, "last_equity": 100_000.0, "orders_today": 0, **figures}
    return breakers.assess(
        spec,
        equity=values["equity"],
        last_equity=values["last_equity"],
        orders_today=int(values["orders_today"]),
        entry=entry,
        session=TODAY,
    )


def test_a_daily_loss_in_reduce_only_mode_lets_the_run_only_reduce() -> None:
    """6% down with a 5% breaker: not halted, reduce-only named after the breaker."""
    result = _assess(_spec(breakers=Breakers(daily_loss_percent=5.0)), equity=94_000)
    assert not result.halted and result.reduce_only == ("circuit breaker dailyLoss",)


def test_a_drawdown_in_halt_mode_stops_the_run() -> None:
    """The ledger's high-water mark 120k, equity 100k, 10% breaker in Halt mode: halted."""
    spec = _spec(breakers=Breakers(drawdown_percent=10.0, mode=HaltMode.HALT))
    result = _assess(spec, Ledger(session=TODAY, high_water_mark=120_000.0))
    assert result.halted and result.trips[0].breaker == "drawdown" and result.reduce_only == ()


def test_a_cleared_daily_loss_does_not_trip_again_the_same_day() -> None:
    """The ledger says dailyLoss tripped today (a person cleared its halt): no trip."""
    spec = _spec(breakers=Breakers(daily_loss_percent=5.0))
    entry = Ledger(session=TODAY, tripped_today=["dailyLoss"])
    assert _assess(spec, entry, equity=90_000).trips == ()
    assert _assess(
        spec, Ledger(session="2026-11-30", tripped_today=["dailyLoss"]), equity=90_000
    ).trips


def test_runs_recorded_today_throttle_and_yesterdays_do_not() -> None:
    """maxRunsPerDay 2: two runs recorded today throttle; two yesterday do not."""
    spec = _spec(risk=RiskLimits(max_runs_per_day=2))
    assert _assess(spec, Ledger(session=TODAY, runs_today=2)).throttled is not None
    assert _assess(spec, Ledger(session="2026-11-30", runs_today=2)).throttled is None


def test_orders_today_throttle_and_cap_the_run() -> None:
    """maxOrdersPerDay 10: 10 today throttle; 8 today leave 2 orders for this run."""
    spec = _spec(risk=RiskLimits(max_orders_per_day=10))
    assert _assess(spec, orders_today=10).throttled is not None
    partial = _assess(spec, orders_today=8)
    assert partial.throttled is None and partial.orders_allowed == 2


def test_only_this_strategys_earlier_orders_count() -> None:
    """Another strategy's ids and this run's own (a retry) do not count."""
    ids = ["alc-aaaa-run1-x", "alc-aaaa-run2-y", "alc-bbbb-run1-z", "manual-order"]
    assert breakers.count_orders(ids, "alc-aaaa-", "alc-aaaa-run2-") == 1


def test_a_needed_ledger_that_is_missing_or_malformed_fails_closed(tmp_path: Path) -> None:
    """maxRunsPerDay without a readable ledger raises DataUnavailable (no trade)."""
    spec = _spec(risk=RiskLimits(max_runs_per_day=3))
    with pytest.raises(DataUnavailable, match="ledger"):
        breakers.read_ledger(None, spec)
    with pytest.raises(DataUnavailable, match="missing"):
        breakers.read_ledger(tmp_path, spec)
    (tmp_path / "ledger.json").write_text("{not json")
    with pytest.raises(DataUnavailable, match="cannot be read"):
        breakers.read_ledger(tmp_path, spec)


def test_a_ledger_no_limit_needs_may_be_absent(tmp_path: Path) -> None:
    """Without maxRunsPerDay or drawdown the run goes on without one."""
    assert breakers.read_ledger(None, _spec()) is None
    assert breakers.read_ledger(tmp_path, _spec()) is None
    (tmp_path / "ledger.json").write_text(Ledger(session=TODAY, runs_today=1).to_json())
    entry = breakers.read_ledger(tmp_path, _spec())
    assert entry is not None and entry.runs_today == 1
