"""plan_strategy: what one reconcile of a strategy will do, decided without a cluster."""

from datetime import timedelta
from typing import Any

import pytest
from operator_support import NOW, spec_wire, strategy_body

from alchemiser.api import halt_matching
from alchemiser.operator import builders, status
from alchemiser.operator.context import StrategyRef
from alchemiser.operator.settings import OperatorSettings
from alchemiser.operator.strategies import (
    CronJobSeen,
    Observation,
    SecretCheck,
    credentials_problem,
    parse_spec,
    plan_strategy,
    secret_to_read,
)

READY_STATUS = {
    "observedGeneration": 1,
    "lastScheduleTime": "2026-11-26T20:45:00Z",
    "conditions": [
        {"type": "Ready", "status": "True", "reason": "Reconciled", "message": "ok"},
    ],
}
OK = SecretCheck(None)


def strategy(
    spec: dict[str, Any] | None = None,
    status_: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> StrategyRef:
    """A strategy as kopf's index holds it."""
    return StrategyRef.from_body(strategy_body(spec=spec, status=status_, labels=labels))


def halt(name: str = "stop", **spec: Any) -> halt_matching.HaltRule:
    """A TradingHalt as the operator sees it."""
    return halt_matching.rule_from_wire(
        {"metadata": {"name": name}, "spec": {"reason": "t", **spec}}
    )


def seen(**fields: Any) -> Observation:
    """An observation at NOW with no halts unless given."""
    return Observation(**{"halts": (), "now": NOW, **fields})


def test_a_valid_ready_strategy_is_applied_unsuspended(settings: OperatorSettings) -> None:
    """The kopf handlers' plan: build the CronJob, apply it, Ready, nothing deleted."""
    plan = plan_strategy(strategy(), seen(credentials=OK), settings)
    assert plan.verdict.ready and plan.verdict.reason == status.RECONCILED
    assert plan.apply is not None and plan.apply["spec"]["suspend"] is False
    assert not plan.suspended and not plan.repair and not plan.suspend_existing
    assert not plan.delete_active_jobs


def test_a_matching_halt_suspends_the_cronjob_and_deletes_the_active_jobs(
    settings: OperatorSettings,
) -> None:
    """Halted: the applied CronJob is suspended and the strategy's running Jobs go."""
    plan = plan_strategy(strategy(), seen(halts=(halt(),), credentials=OK), settings)
    assert plan.decision.halting == ("stop",)
    assert plan.apply is not None and plan.apply["spec"]["suspend"] is True
    assert plan.suspended and plan.delete_active_jobs


def test_a_reduce_only_halt_neither_suspends_nor_deletes(settings: OperatorSettings) -> None:
    """ReduceOnly is the worker's to enforce; scheduling goes on."""
    plan = plan_strategy(
        strategy(), seen(halts=(halt(mode="ReduceOnly"),), credentials=OK), settings
    )
    assert plan.decision.reduce_only == ("stop",) and not plan.decision.halted
    assert not plan.suspended and not plan.delete_active_jobs


def test_a_halt_being_deleted_still_suspends(settings: OperatorSettings) -> None:
    """deletionTimestamp set but the object still there: still halted (api.halt_matching)."""
    body = {
        "metadata": {"name": "going", "deletionTimestamp": NOW.isoformat()},
        "spec": {"reason": "t"},
    }
    going = halt_matching.rule_from_wire(body)
    plan = plan_strategy(strategy(), seen(halts=(going,), credentials=OK), settings)
    assert plan.suspended and plan.delete_active_jobs and plan.decision.halting == ("going",)


def test_an_expired_halt_is_ignored(settings: OperatorSettings) -> None:
    """A halt whose expiresAt has passed no longer suspends anything."""
    expired = halt(expiresAt=(NOW - timedelta(seconds=1)).isoformat())
    plan = plan_strategy(strategy(), seen(halts=(expired,), credentials=OK), settings)
    assert not plan.decision.halted and not plan.suspended


def test_an_invalid_spec_suspends_what_exists_and_builds_nothing(
    settings: OperatorSettings,
) -> None:
    """An unreadable spec never yields a CronJob; an existing one is suspended; not Ready."""
    broken = strategy(spec={"schedule": "45 15 * * 1-5"})
    plan = plan_strategy(broken, seen(), settings)
    assert plan.apply is None and plan.suspend_existing and plan.suspended
    assert plan.verdict.reason == status.INVALID_SPEC and "allocations" in plan.verdict.message


def test_an_invalid_spec_names_each_field_as_the_manifest_does() -> None:
    """The Ready message says `spec.allocations[0].weight: ...`, the path a user edits."""
    allocation = {"strategy": "static", "weight": 2, "parameters": {"weights": {"SPY": 1.0}}}
    spec, message = parse_spec(strategy(spec=spec_wire(allocations=[allocation])))
    assert spec is None
    assert message == "spec.allocations[0].weight: Input should be less than or equal to 1"


def test_missing_credentials_keep_the_cronjob_suspended(settings: OperatorSettings) -> None:
    """A Secret that lacks a key: the CronJob is applied suspended and the reason says why."""
    check = SecretCheck(
        credentials_problem("team-a", "alpaca-paper", frozenset({"APCA_API_KEY_ID"}))
    )
    plan = plan_strategy(strategy(), seen(credentials=check), settings)
    assert plan.verdict.reason == status.CREDENTIALS_MISSING
    assert "APCA_API_SECRET_KEY" in plan.verdict.message
    assert plan.apply is not None and plan.apply["spec"]["suspend"] is True


def test_live_mode_is_not_ready_unless_the_operator_allows_it(settings: OperatorSettings) -> None:
    """The live gate is decided in the plan from the operator's settings."""
    live = strategy(spec=spec_wire(mode="live"))
    blocked = plan_strategy(live, seen(credentials=OK), settings)
    assert blocked.verdict.reason == status.LIVE_TRADING_NOT_ALLOWED and blocked.suspended
    allowed = OperatorSettings(image=settings.image, allow_live_trading=True)
    assert plan_strategy(live, seen(credentials=OK), allowed).verdict.ready


def test_without_a_secret_read_the_ready_condition_is_kept(settings: OperatorSettings) -> None:
    """No SecretCheck: the last Ready verdict stands (no re-validation of parameters either)."""
    not_ready = {
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "CredentialsMissing", "message": "m"}
        ]
    }
    plan = plan_strategy(strategy(status_=not_ready), seen(), settings)
    assert (plan.verdict.ready, plan.verdict.reason, plan.verdict.message) == (
        False,
        "CredentialsMissing",
        "m",
    )
    assert plan.suspended


def test_after_a_halt_flip_nothing_is_applied_or_deleted(settings: OperatorSettings) -> None:
    """settle_after_halt's plan: status only; the schedule time is the one already known."""
    plan = plan_strategy(
        strategy(status_=READY_STATUS), seen(halts=(halt(),), cronjob=CronJobSeen.FLIPPED), settings
    )
    assert plan.apply is None and not plan.delete_active_jobs and plan.suspended
    assert plan.last_schedule_time == READY_STATUS["lastScheduleTime"]


def test_the_sweep_writes_nothing_for_a_cronjob_as_wanted(settings: OperatorSettings) -> None:
    """repair_drift's plan: a listed CronJob equal to the desired one is left alone."""
    ref = strategy(status_=READY_STATUS)
    desired = builders.build_cronjob(ref.identity, ref_spec(ref), settings, suspend=False)
    listed = {**desired, "status": {"lastScheduleTime": "2026-11-27T14:45:00Z"}}
    plan = plan_strategy(ref, seen(cronjob=listed), settings)
    assert plan.apply is None and not plan.repair
    assert plan.last_schedule_time == "2026-11-27T14:45:00Z"


@pytest.mark.parametrize("listed", [None, "drifted"])
def test_the_sweep_repairs_a_missing_or_drifted_cronjob(
    settings: OperatorSettings, listed: str | None
) -> None:
    """repair_drift's plan: missing or changed by hand means apply, marked as a repair."""
    ref = strategy(status_=READY_STATUS)
    live = None
    if listed == "drifted":
        live = builders.build_cronjob(ref.identity, ref_spec(ref), settings, suspend=False)
        live = {**live, "spec": {**live["spec"], "schedule": "0 0 * * *"}}
    plan = plan_strategy(ref, seen(cronjob=live), settings)
    assert plan.apply is not None and plan.repair
    assert plan.apply["spec"]["schedule"] == "45 15 * * 1-5"


def test_the_plan_follows_the_strategys_labels(settings: OperatorSettings) -> None:
    """A label-selected halt halts only the strategies it selects."""
    selected = halt(strategySelector={"matchLabels": {"tier": "prod"}})
    assert plan_strategy(strategy(), seen(halts=(selected,), credentials=OK), settings).suspended
    dev = strategy(labels={"tier": "dev"})
    assert not plan_strategy(dev, seen(halts=(selected,), credentials=OK), settings).suspended


def test_the_secret_is_read_when_asked_or_when_nothing_is_known_yet() -> None:
    """secret_to_read: a recheck or a first reconcile reads it; an invalid spec never does."""
    assert secret_to_read(strategy(), recheck=False) == "alpaca-paper"  # no Ready condition yet
    assert secret_to_read(strategy(status_=READY_STATUS), recheck=False) is None
    assert secret_to_read(strategy(status_=READY_STATUS), recheck=True) == "alpaca-paper"
    assert secret_to_read(strategy(spec={"schedule": "x"}), recheck=True) is None


def test_a_missing_secret_is_named_with_its_namespace() -> None:
    """credentials_problem names the Secret and namespace, never any value."""
    assert credentials_problem("team-a", "s", None) == "Secret s not found in namespace team-a"
    both = frozenset({"APCA_API_KEY_ID", "APCA_API_SECRET_KEY"})
    assert credentials_problem("team-a", "s", both) is None


def ref_spec(ref: StrategyRef) -> Any:
    """The strategy's parsed spec (valid in these tests)."""
    spec, error = parse_spec(ref)
    assert spec is not None, error
    return spec
