"""Status computation: Ready reasons, Halted, LastRunSucceeded, halt status; pure and stable."""

from datetime import UTC, datetime, timedelta
from typing import Any

from alchemiser.api.halt_matching import HaltMatch
from alchemiser.operator import status
from alchemiser.operator.strategies import credentials_recheck_needed

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def _conditions(result):
    return {c["type"]: c for c in result["conditions"]}


NOT_HALTED = HaltMatch()


def _status(current=None, *, verdict=None, decision=NOT_HALTED, now=NOW):
    return status.strategy_status(
        current,
        generation=3,
        verdict=verdict or status.readiness(cronjob_name="s"),
        decision=decision,
        cronjob_name="s",
        last_schedule_time=None,
        now=now,
    )


def test_first_problem_wins_in_readiness():
    """Invalid spec beats parameters beats the live gate beats credentials."""
    assert status.readiness(spec_error="x", parameters_error="y").reason == "InvalidSpec"
    assert status.readiness(parameters_error="y", live_blocked=True).reason == "InvalidParameters"
    assert (
        status.readiness(live_blocked=True, credentials_problem="z").reason
        == "LiveTradingNotAllowed"
    )
    assert status.readiness(credentials_problem="z").reason == "CredentialsMissing"
    verdict = status.readiness(cronjob_name="cj")
    assert verdict.ready and verdict.reason == "Reconciled"


def test_new_strategy_gets_all_three_conditions():
    """Ready, Halted and LastRunSucceeded (Unknown until a run) with observedGeneration."""
    result = _status()
    conditions = _conditions(result)
    assert [c["type"] for c in result["conditions"]] == ["Ready", "Halted", "LastRunSucceeded"]
    assert conditions["Ready"]["status"] == "True"
    assert conditions["Halted"]["status"] == "False"
    assert conditions["LastRunSucceeded"]["status"] == "Unknown"
    assert result["observedGeneration"] == 3
    assert result["cronJobName"] == "s"
    assert result["haltedBy"] == []


def test_repeated_reconcile_changes_nothing():
    """Same facts later give an identical status, so no write happens."""
    first = _status()
    assert _status(first, now=LATER) == first


def test_transition_time_moves_only_when_status_changes():
    """A halt flips Halted and stamps a new transition time; Ready keeps its old one."""
    first = _status()
    halted = _status(first, decision=HaltMatch(halting=("h",)), now=LATER)
    conditions = _conditions(halted)
    assert conditions["Halted"]["status"] == "True"
    assert conditions["Halted"]["reason"] == "HaltActive"
    assert conditions["Halted"]["lastTransitionTime"] == "2026-11-27T15:05:00Z"
    assert conditions["Ready"]["lastTransitionTime"] == "2026-11-27T15:00:00Z"
    assert halted["haltedBy"] == ["h"]


def test_reduce_only_is_reported_with_its_own_reason():
    """A ReduceOnly halt shows Halted=True with reason ReduceOnly."""
    result = _status(decision=HaltMatch(reduce_only=("ro",)))
    assert _conditions(result)["Halted"]["reason"] == "ReduceOnly"
    assert result["haltedBy"] == ["ro"]


def test_run_status_records_last_run_and_keeps_other_conditions():
    """A finished run sets lastRun and LastRunSucceeded; Ready and Halted stay."""
    current = _status()
    run = {"job": "s-1", "outcome": "NoTrades", "ordersSubmitted": 0}
    result = status.run_status(current, last_run=run, generation=3, now=LATER)
    conditions = _conditions(result)
    assert result["lastRun"] == run
    assert conditions["LastRunSucceeded"]["status"] == "True"
    assert conditions["LastRunSucceeded"]["reason"] == "NoTrades"
    assert conditions["Ready"] == _conditions(current)["Ready"]
    failed = status.run_status(
        result, last_run={"job": "s-2", "outcome": "Failed"}, generation=3, now=LATER
    )
    assert _conditions(failed)["LastRunSucceeded"]["status"] == "False"


def test_reconcile_carries_last_run_over():
    """A reconcile after a run keeps lastRun and the run condition."""
    run = status.run_status(
        _status(), last_run={"job": "j", "outcome": "Succeeded"}, generation=3, now=NOW
    )
    again = _status(run, now=LATER)
    assert again["lastRun"] == {"job": "j", "outcome": "Succeeded"}
    assert _conditions(again)["LastRunSucceeded"]["status"] == "True"


def test_strategy_state_for_the_gauge():
    """Halted beats not ready beats suspended beats ready."""
    ready = status.readiness()
    broken = status.readiness(credentials_problem="x")
    assert status.strategy_state(broken, HaltMatch(halting=("h",)), True) == "halted"
    assert status.strategy_state(broken, HaltMatch(), True) == "not_ready"
    assert status.strategy_state(ready, HaltMatch(), True) == "suspended"
    assert status.strategy_state(ready, HaltMatch(), False) == "ready"


def test_halt_status_keeps_measured_propagation():
    """propagationSeconds stays once measured; expiry flips Active to False."""
    first = status.halt_status(
        None, active=True, affected=7, propagation_seconds=0.4321, generation=1, now=NOW
    )
    assert first["affectedStrategies"] == 7 and first["propagationSeconds"] == 0.432
    assert first["conditions"][0]["status"] == "True"
    again = status.halt_status(
        first, active=False, affected=0, propagation_seconds=None, generation=1, now=LATER
    )
    assert again["propagationSeconds"] == 0.432
    assert (
        again["conditions"][0]["status"] == "False"
        and again["conditions"][0]["reason"] == "Expired"
    )


def test_condition_status_reads_wire():
    """condition_status finds a condition by type."""
    assert status.condition_status(_status(), "Ready") == "True"
    assert status.condition_status({}, "Ready") is None


def test_drift_timer_rereads_the_secret_only_while_missing():
    """The timer re-checks credentials when they were missing (or unknown), not otherwise."""
    assert credentials_recheck_needed({})
    assert not credentials_recheck_needed(_status())
    missing = _status(verdict=status.readiness(credentials_problem="Secret x not found"))
    assert credentials_recheck_needed(missing)


def test_halt_enforced_only_for_the_generation_its_status_reports() -> None:
    def halt(
        generation: int, observed: int, seconds: float | None, active: str = "True"
    ) -> dict[str, Any]:
        body = {
            "metadata": {"generation": generation},
            "status": {
                "conditions": [
                    {"type": "Active", "status": active, "observedGeneration": observed}
                ],
            },
        }
        if seconds is not None:
            body["status"]["propagationSeconds"] = seconds
        return body

    assert status.halt_enforced(halt(1, 1, 0.4))
    assert not status.halt_enforced(halt(2, 1, 0.4))  # spec changed since
    assert not status.halt_enforced(halt(1, 1, None))  # never measured (e.g. a flip failed)
    assert not status.halt_enforced(halt(1, 1, 0.4, active="False"))
    assert not status.halt_enforced({"metadata": {"generation": 1}})
