"""Breaker memory after a run: counts, high-water mark, failure streak, trips, the ledger."""

from datetime import UTC, datetime

from alchemiser.api import TradingStrategySpec
from alchemiser.api.breakers import Trip
from alchemiser.api.result import AccountReport, Outcome, RunResult
from alchemiser.operator import runledger

NOW = datetime(2026, 12, 1, 20, 50, tzinfo=UTC)
SPEC = TradingStrategySpec.model_validate(
    {
        "schedule": "* * * * *",
        "allocations": [{"strategy": "nuclear", "weight": 1.0}],
        "broker": {"credentialsSecret": "keys", "endpoint": "http://sim:8080"},
        "breakers": {
            "dailyLossPercent": 5,
            "drawdownPercent": 10,
            "consecutiveFailedRuns": 2,
            "rejectedOrdersPerRun": 3,
        },
    }
)


def _result(
    outcome: Outcome = Outcome.SUCCEEDED, equity: float = 100_000.0, **kw: object
) -> RunResult:
    account = AccountReport(number="PA1", equity=equity, last_equity=kw.pop("last", 100_000.0))  # type: ignore[arg-type]
    return RunResult(outcome=outcome, run_id="r", account=account, **kw)  # type: ignore[arg-type]


def _after(current: dict, result: RunResult | None, job: str = "j2", previous: str | None = "j1"):
    outcome = result.outcome.value if result is not None else "Failed"
    return runledger.after_run(
        current,
        job=job,
        outcome=outcome,
        result=result,
        spec=SPEC,
        finished=NOW,
        previous_job=previous,
    )


def test_a_run_counts_for_its_session_and_records_the_account() -> None:
    """Yesterday's count restarts at one; the account number, mode and endpoint are kept."""
    effects = _after({"runsToday": {"session": "2026-11-30", "runs": 9}}, _result())
    assert effects.status["runsToday"] == {"session": "2026-12-01", "runs": 1}
    assert effects.status["account"] == {
        "number": "PA1",
        "mode": "paper",
        "endpoint": "http://sim:8080",
    }
    again = _after(effects.status, _result(), job="j3", previous="j2")
    assert again.status["runsToday"]["runs"] == 2 and again.trips == ()


def test_a_run_already_recorded_changes_nothing() -> None:
    """The same Job recorded twice (a retried handler) neither counts nor trips twice."""
    current = {"runsToday": {"session": "2026-12-01", "runs": 1}}
    effects = _after(current, _result(Outcome.FAILED), job="j1", previous="j1")
    assert effects.status == current and effects.trips == ()


def test_the_high_water_mark_rises_with_reported_equity_and_drawdown_trips_below_it() -> None:
    """110k raises the mark; 98k later is 10.9% below it and trips drawdown."""
    first = _after({}, _result(equity=110_000.0, last=109_000.0))
    assert first.status["breakers"]["highWaterMark"] == 110_000.0 and first.trips == ()
    second = _after(first.status, _result(equity=98_000.0, last=99_000.0), job="j3", previous="j2")
    assert [t.breaker for t in second.trips] == ["drawdown"]


def test_daily_loss_trips_from_the_reported_figures_once_per_session() -> None:
    """6% below last_equity trips; with today's trip recorded, it does not trip again."""
    effects = _after({}, _result(equity=94_000.0))
    assert [t.breaker for t in effects.trips] == ["dailyLoss"]
    recorded = runledger.with_trips(
        effects.status, [(effects.trips[0], "breaker.ns.s.daily-loss")], equity=94_000.0, now=NOW
    )
    again = _after(recorded, _result(equity=93_000.0), job="j3", previous="j2")
    assert "dailyLoss" not in [t.breaker for t in again.trips]


def test_failures_in_a_row_trip_and_the_trip_resets_the_streak() -> None:
    """Two Failed runs trip consecutiveFailedRuns 2; recording the trip resets the count."""
    first = _after({}, None)
    assert first.status["breakers"]["consecutiveFailedRuns"] == 1 and first.trips == ()
    second = _after(first.status, None, job="j3", previous="j2")
    (trip,) = second.trips
    assert trip.breaker == "consecutiveFailedRuns"
    recorded = runledger.with_trips(second.status, [(trip, "h")], equity=None, now=NOW)
    assert recorded["breakers"]["consecutiveFailedRuns"] == 0
    assert recorded["breakers"]["trips"][0]["halt"] == "h"


def test_risk_rejections_trip_in_one_run() -> None:
    """Three risk-engine rejections trip rejectedOrdersPerRun 3."""
    effects = _after({}, _result(risk_rejected=3, orders_rejected=5))
    assert [t.breaker for t in effects.trips] == ["rejectedOrdersPerRun"]


def test_a_drawdown_trip_rebases_the_mark_at_the_tripping_equity() -> None:
    """Clearing a drawdown halt accepts the drawdown: the next trip needs a further 10%."""
    status = {"breakers": {"highWaterMark": 120_000.0, "trips": []}}
    recorded = runledger.with_trips(
        status, [(Trip("drawdown", "x"), "h")], equity=100_000.0, now=NOW
    )
    assert recorded["breakers"]["highWaterMark"] == 100_000.0


def test_the_ledger_carries_todays_runs_mark_and_trips_only() -> None:
    """Yesterday's count and trips are not today's; the mark is."""
    status = {
        "runsToday": {"session": "2026-12-01", "runs": 3},
        "breakers": {
            "highWaterMark": 1.5,
            "trips": [
                {"breaker": "dailyLoss", "session": "2026-12-01"},
                {"breaker": "drawdown", "session": "2026-11-30"},
            ],
        },
    }
    entry = runledger.ledger_of(status, NOW)
    assert (entry.session, entry.runs_today, entry.high_water_mark) == ("2026-12-01", 3, 1.5)
    assert entry.tripped_today == ["dailyLoss"]
    assert runledger.ledger_of(status, datetime(2026, 12, 2, 15, tzinfo=UTC)).runs_today == 0
