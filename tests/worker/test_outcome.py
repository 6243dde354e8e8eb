"""A run's outcome is decided in one place, with a fixed precedence."""

import pytest

from alchemiser.api.result import Outcome
from alchemiser.errors import (
    AlchemiserError,
    ConfigError,
    DataUnavailable,
    HaltActive,
    HaltStateUnknown,
    MarketClosed,
)
from alchemiser.worker.broker.port import Side
from alchemiser.worker.execution import Leg, LegStatus
from alchemiser.worker.outcome import decide
from alchemiser.worker.planner import PlannedOrder
from alchemiser.worker.report import RunRecord

ORDER = PlannedOrder("SPY", Side.BUY, 500.0, notional=1_000.0)


def record(*statuses: LegStatus, **fields: object) -> RunRecord:
    """A record holding one leg per status."""
    legs = [Leg(ORDER, f"cid-{i}", status, reason="why") for i, status in enumerate(statuses)]
    return RunRecord(legs=legs, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "outcome", "says"),
    [
        (HaltActive("TradingHalt x is active (Halt)"), Outcome.HALTED, "TradingHalt x"),
        (MarketClosed("closed at noon"), Outcome.MARKET_CLOSED, "closed at noon"),
        (HaltStateUnknown("apiserver down"), Outcome.FAILED, "treated as halted: apiserver"),
        (DataUnavailable("no bars for SPY"), Outcome.FAILED, "DataUnavailable: no bars"),
        (ConfigError("spec.x: bad"), Outcome.FAILED, "ConfigError: spec.x"),
    ],
)
def test_the_error_that_ended_a_run_decides_its_outcome(
    error: AlchemiserError, outcome: Outcome, says: str
) -> None:
    """Each kind of ending error maps to one outcome and a message naming it."""
    decided, message = decide(record(LegStatus.SUBMITTED), error, stopped=False)
    assert decided is outcome and says in message


def test_a_finished_run_is_judged_by_its_legs() -> None:
    """Any failed leg fails the run; else new orders succeed; else nothing was traded."""
    assert decide(record(LegStatus.SUBMITTED, LegStatus.FAILED), None, stopped=False) == (
        Outcome.FAILED,
        "1 orders failed: why",
    )
    assert decide(record(LegStatus.SUBMITTED), None, stopped=False)[0] is Outcome.SUCCEEDED
    assert "already existed" in decide(record(LegStatus.EXISTING), None, stopped=False)[1]
    assert "were rejected" in decide(record(planned=2), None, stopped=False)[1]
    assert "within the rebalance" in decide(record(), None, stopped=False)[1]
    assert decide(record(dry_run=True), None, stopped=False) == (
        Outcome.DRY_RUN,
        "0 orders would be placed",
    )


def test_a_stop_makes_the_run_halted_and_keeps_what_it_had_to_say() -> None:
    """A stop overrides what the record shows; with nothing to say it names SIGTERM."""
    assert decide(record(), HaltActive("x"), stopped=True) == (Outcome.HALTED, "x")
    assert decide(record(LegStatus.FAILED), None, stopped=True)[0] is Outcome.HALTED
    assert decide(record(), ConfigError(""), stopped=True)[0] is Outcome.HALTED


def test_a_halt_state_lost_mid_run_fails_the_run_whatever_else_happened() -> None:
    """Unreadable halts mid-run are the strongest: Failed, even after a stop."""
    lost = record(LegStatus.SUBMITTED, halt_unknown="apiserver gone")
    assert decide(lost, HaltActive("x"), stopped=True) == (
        Outcome.FAILED,
        "halt state unknown, treated as halted: apiserver gone",
    )
