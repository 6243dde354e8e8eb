"""Status of strategies and halts: conditions and the fields around them.

Rule: pure. Each function takes the current status (wire form) and the facts
found by the reconcile, and returns the new status; time is passed in. A
condition keeps its lastTransitionTime while its status does not change, so a
repeated reconcile yields an identical status and no write.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from alchemiser.api.halt_matching import HaltMatch

READY: Final = "Ready"
HALTED: Final = "Halted"
LAST_RUN_SUCCEEDED: Final = "LastRunSucceeded"
ACTIVE: Final = "Active"

# Ready=False reasons, in the order they are reported when several apply.
INVALID_SPEC: Final = "InvalidSpec"
INVALID_PARAMETERS: Final = "InvalidParameters"
LIVE_TRADING_NOT_ALLOWED: Final = "LiveTradingNotAllowed"
CREDENTIALS_MISSING: Final = "CredentialsMissing"
ACCOUNT_IN_USE: Final = "AccountInUse"
SYMPHONY_MISSING: Final = "SymphonyMissing"
RECONCILED: Final = "Reconciled"

# Status fields only a recorded run writes (runs.py); a reconcile carries them over.
RUN_FIELDS: Final = ("breakers", "runsToday", "account")

STATE_READY: Final = "ready"
STATE_NOT_READY: Final = "not_ready"
STATE_HALTED: Final = "halted"
STATE_SUSPENDED: Final = "suspended"
STATES: Final = (STATE_READY, STATE_NOT_READY, STATE_HALTED, STATE_SUSPENDED)


@dataclass(frozen=True)
class Readiness:
    """Whether the strategy can be scheduled, and why not."""

    ready: bool
    reason: str
    message: str


def readiness(
    *,
    spec_error: str | None = None,
    parameters_error: str | None = None,
    symphony_missing: str | None = None,
    live_blocked: bool = False,
    credentials_problem: str | None = None,
    account_problem: str | None = None,
    cronjob_name: str = "",
) -> Readiness:
    """The Ready verdict from what the reconcile found; the first problem wins."""
    if spec_error is not None:
        return Readiness(False, INVALID_SPEC, spec_error)
    if parameters_error is not None:
        return Readiness(False, INVALID_PARAMETERS, parameters_error)
    if symphony_missing is not None:
        return Readiness(False, SYMPHONY_MISSING, symphony_missing)
    if live_blocked:
        return Readiness(
            False,
            LIVE_TRADING_NOT_ALLOWED,
            "mode is live but the operator was not started with live trading allowed",
        )
    if credentials_problem is not None:
        return Readiness(False, CREDENTIALS_MISSING, credentials_problem)
    if account_problem is not None:
        return Readiness(False, ACCOUNT_IN_USE, account_problem)
    return Readiness(True, RECONCILED, f"CronJob {cronjob_name} matches the spec")


def timestamp(moment: datetime) -> str:
    """Kubernetes' metav1.Time form: UTC, whole seconds, trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: Sequence[Mapping[str, Any]],
    *,
    type_: str,
    status: bool | None,
    reason: str,
    message: str,
    generation: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Return `conditions` with one condition set; its transition time moves only on change."""
    wire_status = "Unknown" if status is None else ("True" if status else "False")
    result: list[dict[str, Any]] = []
    found = False
    for condition in conditions:
        if condition.get("type") != type_:
            result.append(dict(condition))
            continue
        found = True
        changed = condition.get("status") != wire_status
        transition = timestamp(now) if changed else condition.get("lastTransitionTime")
        result.append(
            _condition(
                type_,
                status=wire_status,
                reason=reason,
                message=message,
                generation=generation,
                transition=transition,
            )
        )
    if not found:
        result.append(
            _condition(
                type_,
                status=wire_status,
                reason=reason,
                message=message,
                generation=generation,
                transition=timestamp(now),
            )
        )
    return result


def _condition(
    type_: str,
    *,
    status: str,
    reason: str,
    message: str,
    generation: int | None,
    transition: str | None,
) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message[:1024],
        "lastTransitionTime": transition,
    }
    if generation is not None:
        condition["observedGeneration"] = generation
    return condition


def condition_status(status: Mapping[str, Any] | None, type_: str) -> str | None:
    """The wire status ("True", "False", "Unknown") of one condition, or None if absent."""
    for condition in (status or {}).get("conditions") or ():
        if condition.get("type") == type_:
            value = condition.get("status")
            return value if isinstance(value, str) else None
    return None


def halted_message(decision: HaltMatch) -> tuple[bool, str, str]:
    """The Halted condition's (status, reason, message) for a halt decision."""
    if decision.halting:
        return True, "HaltActive", "halted by TradingHalt " + ", ".join(decision.halting)
    if decision.reduce_only:
        return (
            True,
            "ReduceOnly",
            "reduce-only by TradingHalt "
            + ", ".join(decision.reduce_only)
            + "; runs continue and only shrink positions",
        )
    return False, "NotHalted", "no TradingHalt matches"


def strategy_status(
    current: Mapping[str, Any] | None,
    *,
    generation: int | None,
    verdict: Readiness,
    decision: HaltMatch,
    cronjob_name: str | None,
    last_schedule_time: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The strategy's whole status after a reconcile; lastRun and RUN_FIELDS carried over."""
    current = current or {}
    conditions: list[dict[str, Any]] = list(current.get("conditions") or [])
    conditions = set_condition(
        conditions,
        type_=READY,
        status=verdict.ready,
        reason=verdict.reason,
        message=verdict.message,
        generation=generation,
        now=now,
    )
    halted, reason, message = halted_message(decision)
    conditions = set_condition(
        conditions,
        type_=HALTED,
        status=halted,
        reason=reason,
        message=message,
        generation=generation,
        now=now,
    )
    if not any(c.get("type") == LAST_RUN_SUCCEEDED for c in conditions):
        conditions = set_condition(
            conditions,
            type_=LAST_RUN_SUCCEEDED,
            status=None,
            reason="NoRunYet",
            message="no run has finished yet",
            generation=generation,
            now=now,
        )
    status: dict[str, Any] = {
        key: value
        for key, value in current.items()
        if key in ("lastRun", "lastScheduleTime", "cronJobName", *RUN_FIELDS)
    }
    status.update(
        {
            "observedGeneration": generation,
            "conditions": _ordered(conditions),
            "haltedBy": decision.halted_by,
        }
    )
    if cronjob_name is not None:
        status["cronJobName"] = cronjob_name
    if last_schedule_time is not None:
        status["lastScheduleTime"] = last_schedule_time
    return {key: value for key, value in status.items() if value is not None}


def _ordered(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {READY: 0, HALTED: 1, LAST_RUN_SUCCEEDED: 2}
    return sorted(conditions, key=lambda c: order.get(str(c.get("type")), 99))


def run_status(
    current: Mapping[str, Any] | None,
    *,
    last_run: Mapping[str, Any],
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The strategy's status after a run finished: lastRun and LastRunSucceeded."""
    current = dict(current or {})
    outcome = str(last_run.get("outcome", "Failed"))
    succeeded = outcome != "Failed"
    message = f"run {last_run.get('job', '')} finished: {outcome}"
    if last_run.get("message"):
        message += f" ({last_run['message']})"
    current["conditions"] = _ordered(
        set_condition(
            current.get("conditions") or [],
            type_=LAST_RUN_SUCCEEDED,
            status=succeeded,
            reason=outcome,
            message=message,
            generation=generation,
            now=now,
        )
    )
    current["lastRun"] = dict(last_run)
    return current


def strategy_state(verdict: Readiness, decision: HaltMatch, suspended: bool) -> str:
    """One bounded state label for the alchemiser_strategies gauge."""
    if decision.halted:
        return STATE_HALTED
    if not verdict.ready:
        return STATE_NOT_READY
    if suspended:
        return STATE_SUSPENDED
    return STATE_READY


def halt_status(
    current: Mapping[str, Any] | None,
    *,
    active: bool,
    affected: int,
    propagation_seconds: float | None,
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """A TradingHalt's status: Active, affectedStrategies, propagationSeconds."""
    current = current or {}
    conditions = set_condition(
        current.get("conditions") or [],
        type_=ACTIVE,
        status=active,
        reason="Enforced" if active else "Expired",
        message=(
            f"{affected} strategies affected"
            if active
            else "expiresAt has passed; matching strategies resumed"
        ),
        generation=generation,
        now=now,
    )
    status: dict[str, Any] = {"conditions": conditions, "affectedStrategies": affected}
    seconds = propagation_seconds
    if seconds is None:
        seconds = current.get("propagationSeconds")
    if seconds is not None:
        status["propagationSeconds"] = round(float(seconds), 3)
    return status


def halt_enforced(body: Mapping[str, Any]) -> bool:
    """Whether this generation of the halt was already propagated (its status says so).

    kopf can run a halt's create handler twice when our status write races its own
    bookkeeping; re-flipping thousands of CronJobs would only delay a resume behind it.
    """
    generation = (body.get("metadata") or {}).get("generation")
    current = body.get("status") or {}
    if generation is None or current.get("propagationSeconds") is None:
        return False
    return any(
        c.get("type") == ACTIVE
        and c.get("status") == "True"
        and c.get("observedGeneration") == generation
        for c in current.get("conditions") or ()
    )
