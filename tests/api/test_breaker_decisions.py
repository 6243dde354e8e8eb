"""Circuit-breaker decisions: which figures trip which breaker, and the halt a trip creates."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from alchemiser.api import Breakers, HaltMode, TradingHalt, TradingStrategySpec, breakers
from alchemiser.api.result import Outcome

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_daily_loss_trips_only_beyond_its_percent_of_the_sessions_starting_equity() -> None:
    """5% below last_equity does not trip a 5% breaker; 5.01% does, with both figures named."""
    config = Breakers(daily_loss_percent=5.0)
    assert (
        breakers.loss_trips(config, equity=95_000, last_equity=100_000, high_water_mark=None) == []
    )
    (trip,) = breakers.loss_trips(config, equity=94_990, last_equity=100_000, high_water_mark=None)
    assert trip.breaker == breakers.DAILY_LOSS
    assert "94,990.00" in trip.reason and "100,000.00" in trip.reason and "5.01%" in trip.reason


def test_daily_loss_does_not_trip_again_on_a_session_it_already_tripped() -> None:
    """A person who cleared today's dailyLoss halt accepted the day's loss."""
    config = Breakers(daily_loss_percent=1.0)
    figures = {"equity": 90_000.0, "last_equity": 100_000.0, "high_water_mark": None}
    assert breakers.loss_trips(config, **figures, tripped_today={breakers.DAILY_LOSS}) == []
    assert len(breakers.loss_trips(config, **figures)) == 1


def test_drawdown_trips_against_the_high_water_mark() -> None:
    """Equity 10.5% below a 120k mark trips a 10% drawdown; without a mark nothing trips."""
    config = Breakers(drawdown_percent=10.0)
    (trip,) = breakers.loss_trips(
        config, equity=107_400, last_equity=107_000, high_water_mark=120_000
    )
    assert trip.breaker == breakers.DRAWDOWN and "10.50%" in trip.reason
    assert breakers.loss_trips(config, equity=1, last_equity=1, high_water_mark=None) == []
    assert breakers.loss_trips(config, equity=108_001, last_equity=1, high_water_mark=120_000) == []


def test_no_breakers_configured_never_trips() -> None:
    """An absent spec.breakers (or one with nothing set) trips nothing, whatever the figures."""
    for config in (None, Breakers()):
        assert breakers.loss_trips(config, equity=1, last_equity=1e6, high_water_mark=1e6) == []
        assert breakers.run_trips(config, failed_streak=1000, risk_rejected=1000) == []


def test_run_breakers_trip_at_their_counts() -> None:
    """Three failures in a row trip consecutiveFailedRuns 3; four risk rejections trip 4."""
    config = Breakers(consecutive_failed_runs=3, rejected_orders_per_run=4)
    assert breakers.run_trips(config, failed_streak=2, risk_rejected=3) == []
    names = [t.breaker for t in breakers.run_trips(config, failed_streak=3, risk_rejected=4)]
    assert names == [breakers.CONSECUTIVE_FAILED_RUNS, breakers.REJECTED_ORDERS_PER_RUN]


@pytest.mark.parametrize(
    ("outcome", "streak"),
    [
        (Outcome.FAILED, 3),
        (Outcome.SUCCEEDED, 0),
        (Outcome.NO_TRADES, 0),
        (Outcome.DRY_RUN, 0),
        (Outcome.HALTED, 2),
        (Outcome.MARKET_CLOSED, 2),
        (Outcome.THROTTLED, 2),
    ],
)
def test_failed_streak_counts_failures_and_only_healthy_runs_end_it(
    outcome: Outcome, streak: int
) -> None:
    """After two failures: Failed makes three, a working run resets, others leave it."""
    assert breakers.failed_streak(2, outcome) == streak


def test_high_water_mark_only_rises() -> None:
    """The mark is the highest equity reported; a missing or zero equity leaves it."""
    assert breakers.high_water_mark(None, 100.0) == 100.0
    assert breakers.high_water_mark(100.0, 90.0) == 100.0
    assert breakers.high_water_mark(100.0, 110.0) == 110.0
    assert breakers.high_water_mark(100.0, None) == 100.0
    assert breakers.high_water_mark(None, 0.0) is None


def test_halt_names_are_deterministic_distinct_and_valid() -> None:
    """Namespace a-b/strategy c and namespace a/strategy b-c never share a halt name."""
    one = breakers.halt_name("a-b", "c", breakers.DRAWDOWN)
    two = breakers.halt_name("a", "b-c", breakers.DRAWDOWN)
    assert one != two and one == breakers.halt_name("a-b", "c", breakers.DRAWDOWN)
    names = {breakers.halt_name("ns", "s", b) for b in breakers.BREAKERS}
    assert len(names) == 4
    long = breakers.halt_name("n" * 63, "s" * 253, breakers.DAILY_LOSS)
    assert len(long) <= 253 and long != breakers.halt_name("n" * 63, "s" * 252, breakers.DAILY_LOSS)


def test_the_halt_selects_this_strategy_alone_with_mode_reason_and_cooldown() -> None:
    """A valid TradingHalt: the breaker's labels, its mode, the figures, expiry now + cooldown."""
    config = Breakers(daily_loss_percent=2.0, mode=HaltMode.HALT, cooldown="1h30m")
    trip = breakers.Trip(breakers.DAILY_LOSS, "equity 1 is 99% below 100")
    manifest = breakers.halt_manifest(
        namespace="prod", strategy="nuclear", trip=trip, breakers=config, now=NOW
    )
    halt = TradingHalt.model_validate(manifest)
    assert manifest["metadata"]["labels"] == {
        "alchemiser.io/strategy": "nuclear",
        "alchemiser.io/strategy-namespace": "prod",
        "alchemiser.io/breaker": "dailyLoss",
    }
    assert halt.spec.mode is HaltMode.HALT and halt.spec.namespaces == ["prod"]
    assert halt.spec.strategy_selector.match_labels == {"alchemiser.io/strategy": "nuclear"}
    assert halt.spec.expires_at == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert "dailyLoss" in halt.spec.reason and "99% below 100" in halt.spec.reason


def test_without_cooldown_the_halt_never_expires_and_defaults_to_reduce_only() -> None:
    """Only a person clears it: no expiresAt; mode ReduceOnly unless told otherwise."""
    manifest = breakers.halt_manifest(
        namespace="prod",
        strategy="s",
        trip=breakers.Trip(breakers.DRAWDOWN, "x"),
        breakers=Breakers(drawdown_percent=5.0),
        now=NOW,
    )
    assert "expiresAt" not in manifest["spec"] and manifest["spec"]["mode"] == "ReduceOnly"


def test_strategy_labels_add_the_name_label_and_keep_unknown_unknown() -> None:
    """Halts see alchemiser.io/strategy=<name> (overriding a user's own); None stays None."""
    assert breakers.strategy_labels("s", {"tier": "a", "alchemiser.io/strategy": "x"}) == {
        "tier": "a",
        "alchemiser.io/strategy": "s",
    }
    assert breakers.strategy_labels("s", None) is None


def test_session_is_the_new_york_date() -> None:
    """01:00 UTC on 2 December is still 1 December in New York."""
    assert breakers.session_of(datetime(2026, 12, 2, 1, 0, tzinfo=UTC)) == "2026-12-01"


@pytest.mark.parametrize("text", ["30m", "1h30m", "2d", "45s"])
def test_cooldown_accepts_durations(text: str) -> None:
    """Durations in s, m, h, d, combined."""
    assert Breakers(cooldown=text).cooldown == text


@pytest.mark.parametrize("text", ["0m", "an hour", "1.5h", "-1h", "1w", ""])
def test_cooldown_refuses_non_durations_naming_the_field(text: str) -> None:
    """Zero, words, fractions, negative and unknown units are refused, naming cooldown."""
    with pytest.raises(ValidationError, match="cooldown"):
        Breakers(cooldown=text)


def test_spec_without_breakers_and_throttles_is_unchanged() -> None:
    """Every new field is optional and off when absent."""
    spec = TradingStrategySpec.model_validate(
        {
            "schedule": "45 15 * * 1-5",
            "allocations": [{"strategy": "nuclear", "weight": 1.0}],
            "broker": {"credentialsSecret": "s"},
        }
    )
    assert spec.breakers is None
    assert spec.risk.max_orders_per_day is None and spec.risk.max_runs_per_day is None
