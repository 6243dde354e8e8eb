"""The strategy workflow: bring one strategy's CronJob, Jobs and status in line with its spec.

Rule: plan, then apply. `plan_strategy` decides everything from what was observed
(pure: the strategy, the halts, the clock, the Secret as read, the CronJob as seen);
`apply_plan` performs it through kube.Kube and `ctx.emit`. Three workflows enter
here and differ only in what they observe: `reconcile` (kopf saw a change),
`settle_after_halt` (halts.py, after the flips) and `repair_drift` (resync.py).
"""

import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import ValidationError

from alchemiser.api import Mode, TradingStrategySpec, halt_matching, ledger, problems, runtime
from alchemiser.api.parameters import parse_parameters
from alchemiser.errors import ConfigError, KubeError
from alchemiser.logs import get_logger
from alchemiser.notify import notices
from alchemiser.operator import accounts, builders, metrics, runledger, status, symphonies
from alchemiser.operator.context import Context, StrategyRef, write_status
from alchemiser.operator.settings import OperatorSettings

log = get_logger(__name__)

NO_SYMPHONY_PROBLEM = symphonies.SymphonyCheck()


class CronJobSeen(Enum):
    """How a workflow saw the CronJob before deciding, when it holds no listed copy."""

    NOT_LOOKED = "not-looked"  # kopf's handlers: apply the desired CronJob
    FLIPPED = "flipped"  # the halt workflow has just set suspend and deleted the Jobs


@dataclass(frozen=True)
class SecretCheck:
    """The credentials Secret as read now: None when it holds every key, else what is wrong."""

    problem: str | None


@dataclass(frozen=True)
class Observation:
    """What is known when one strategy is decided (read under its lock).

    `cronjob`: a CronJobSeen, or the CronJob as the resync sweep listed it (None:
    missing). `credentials`: None when the Secret was not read this time, so the Ready
    condition is kept as it is (the halt fast path and the sweep, once it was Ready).
    `symphony_check`: the referenced symphony ConfigMaps, read whenever the Secret is.
    """

    halts: Sequence[halt_matching.HaltRule]
    now: datetime
    cronjob: CronJobSeen | Mapping[str, Any] | None = CronJobSeen.NOT_LOOKED
    credentials: SecretCheck | None = None
    account_problem: str | None = None  # an older strategy drives this one's broker account
    symphony_check: symphonies.SymphonyCheck = NO_SYMPHONY_PROBLEM  # read with the Secret


@dataclass(frozen=True)
class StrategyPlan:
    """Everything one reconcile of a strategy will do, decided before any write."""

    now: datetime
    cronjob_name: str
    spec: TradingStrategySpec | None
    verdict: status.Readiness
    decision: halt_matching.HaltMatch
    suspended: bool  # the CronJob's suspend as wanted
    apply: Mapping[str, Any] | None  # the desired CronJob to apply; None: no apply
    repair: bool  # the apply repairs drift (or a missing CronJob) the sweep found
    suspend_existing: bool  # invalid spec: suspend whatever CronJob exists, build none
    delete_active_jobs: bool  # halted and no halt flip did it: delete the active Jobs
    last_schedule_time: str | None  # as known without an apply (an apply's answer wins)
    ledger: Mapping[str, Any] | None = None  # the run ledger ConfigMap to apply with the CronJob


def parse_spec(ref: StrategyRef) -> tuple[TradingStrategySpec | None, str | None]:
    """The spec model; or None and a message naming each invalid field."""
    try:
        return TradingStrategySpec.model_validate_json(ref.spec_json), None
    except ValidationError as error:
        return None, problems.summary(error, "spec")[:1000]


def _parameter_errors(spec: TradingStrategySpec) -> str | None:
    found = []
    for allocation in spec.allocations:
        try:
            parse_parameters(allocation.strategy, allocation.parameters)
        except ConfigError as error:
            found.append(str(error))
    return "; ".join(found) if found else None


def credentials_problem(namespace: str, secret: str, keys: frozenset[str] | None) -> str | None:
    """What is wrong with the credentials Secret's keys as read (None: not found)."""
    if keys is None:
        return f"Secret {secret} not found in namespace {namespace}"
    missing = [key for key in runtime.CREDENTIAL_FILES if key not in keys]
    if missing:
        return f"Secret {secret} lacks key(s) {', '.join(missing)}"
    return None


# Not Ready for a reason that can mend without a spec change: the sweep re-reads.
RECHECKED_REASONS = (
    status.CREDENTIALS_MISSING,
    status.ACCOUNT_IN_USE,
    status.SYMPHONY_MISSING,
    status.INVALID_PARAMETERS,  # a referenced symphony's text may have been fixed
)


def credentials_recheck_needed(status_: Mapping[str, Any]) -> bool:
    """The resync sweep re-reads the Secret (and the symphonies) only while the strategy is
    not Ready for a reason that can mend by itself (RECHECKED_REASONS)."""
    for condition in status_.get("conditions") or ():
        if condition.get("type") == status.READY:
            return condition.get("reason") in RECHECKED_REASONS
    return True


def secret_to_read(ref: StrategyRef, *, recheck: bool) -> str | None:
    """The credentials Secret a reconcile must read first, if any.

    Read when the workflow asks (`recheck`) or when there is no Ready condition to
    keep yet; never for an invalid spec (it is not Ready whatever the Secret holds).
    """
    if not recheck and status.condition_status(ref.status, status.READY) is not None:
        return None
    spec, _ = parse_spec(ref)
    return None if spec is None else spec.broker.credentials_secret


def _kept_verdict(current: Mapping[str, Any], ref: StrategyRef) -> status.Readiness:
    for condition in current.get("conditions") or ():
        if condition.get("type") == status.READY:
            return status.Readiness(
                condition.get("status") == "True",
                str(condition.get("reason", "")),
                str(condition.get("message", "")),
            )
    return status.readiness(cronjob_name=builders.cronjob_name(ref.name))


def _verdict(
    ref: StrategyRef,
    spec: TradingStrategySpec | None,
    spec_error: str | None,
    seen: Observation,
    settings: OperatorSettings,
) -> status.Readiness:
    """Ready or not: from the spec, its parameters, the live gate, the Secret as read and
    the account claims (checked every time: they change with other strategies' runs)."""
    if spec is None:
        return status.readiness(spec_error=spec_error)
    if seen.credentials is None:
        kept = _kept_verdict(ref.status, ref)
        if seen.account_problem is not None and kept.ready:
            return status.readiness(account_problem=seen.account_problem)
        return kept
    return status.readiness(
        parameters_error=_parameter_errors(spec) or seen.symphony_check.invalid,
        symphony_missing=seen.symphony_check.missing,
        live_blocked=spec.mode == Mode.LIVE and not settings.allow_live_trading,
        credentials_problem=seen.credentials.problem,
        account_problem=seen.account_problem,
        cronjob_name=builders.cronjob_name(ref.name),
    )


def plan_strategy(ref: StrategyRef, seen: Observation, settings: OperatorSettings) -> StrategyPlan:
    """Decide what one reconcile does: CronJob apply or suspend, Job deletion, verdict (pure)."""
    spec, spec_error = parse_spec(ref)
    verdict = _verdict(ref, spec, spec_error, seen, settings)
    decision = halt_matching.match(seen.halts, ref.scope, seen.now)
    suspended = spec is None or spec.suspend or decision.halted or not verdict.ready
    desired = None
    last_schedule: str | None = None
    if spec is not None and seen.cronjob is CronJobSeen.FLIPPED:
        last_schedule = ref.status.get("lastScheduleTime")
    elif spec is not None:
        desired = builders.build_cronjob(ref.identity, spec, settings, suspend=suspended)
    listed = seen.cronjob if isinstance(seen.cronjob, Mapping) else None
    if desired is not None and listed is not None and not builders.drifted(desired, listed):
        desired = None  # the sweep found it as wanted: nothing to write
        last_schedule = (listed.get("status") or {}).get("lastScheduleTime")
    return StrategyPlan(
        now=seen.now,
        cronjob_name=builders.cronjob_name(ref.name),
        spec=spec,
        verdict=verdict,
        decision=decision,
        suspended=suspended,
        apply=desired,
        repair=desired is not None and not isinstance(seen.cronjob, CronJobSeen),
        suspend_existing=spec is None,
        delete_active_jobs=decision.halted and seen.cronjob is not CronJobSeen.FLIPPED,
        last_schedule_time=last_schedule,
        ledger=_ledger(ref, spec, seen.now) if desired is not None else None,
    )


def _ledger(
    ref: StrategyRef, spec: TradingStrategySpec | None, now: datetime
) -> Mapping[str, Any] | None:
    """The run ledger, when a limit of the spec needs it before the first run is recorded."""
    if spec is None or not ledger.needs_ledger(spec):
        return None
    return builders.build_ledger(ref.identity, runledger.ledger_of(ref.status, now).to_json())


async def reconcile(ctx: Context, ref: StrategyRef) -> None:
    """Reconcile after a change kopf saw: re-read the Secret, apply the CronJob."""
    await _run(ctx, ref, recheck=True, cronjob=CronJobSeen.NOT_LOOKED)


async def settle_after_halt(ctx: Context, ref: StrategyRef) -> None:
    """Status and Events after a halt change, whose flip already set suspend and the Jobs."""
    await _run(ctx, ref, recheck=False, cronjob=CronJobSeen.FLIPPED)


async def repair_drift(ctx: Context, ref: StrategyRef, listed: Mapping[str, Any] | None) -> None:
    """The resync sweep: write the CronJob only when `listed` (None: missing) drifted."""
    recheck = credentials_recheck_needed(ref.status)
    await _run(ctx, ref, recheck=recheck, cronjob=listed)


async def _run(
    ctx: Context,
    ref: StrategyRef,
    *,
    recheck: bool,
    cronjob: CronJobSeen | Mapping[str, Any] | None,
) -> None:
    """Under the strategy's lock: observe the newest copy, plan, apply; count the outcome."""
    started = time.monotonic()
    try:
        async with ctx.lock(ref.namespace, ref.name):
            ref = ctx.fresh(ref)
            seen = await observe(ctx, ref, recheck=recheck, cronjob=cronjob)
            await apply_plan(ctx, ref, plan_strategy(ref, seen, ctx.settings))
    except KubeError:
        metrics.RECONCILES.labels(outcome="error").inc()
        raise
    metrics.RECONCILES.labels(outcome="success").inc()
    metrics.RECONCILE_SECONDS.observe(time.monotonic() - started)


async def observe(
    ctx: Context,
    ref: StrategyRef,
    *,
    recheck: bool,
    cronjob: CronJobSeen | Mapping[str, Any] | None,
) -> Observation:
    """Gather a plan's inputs: the halts and the clock now, the Secret when it must be read."""
    credentials = None
    symphony_check = NO_SYMPHONY_PROBLEM
    secret = secret_to_read(ref, recheck=recheck)
    if secret is not None:
        keys = await ctx.kube.secret_keys(ref.namespace, secret)
        credentials = SecretCheck(credentials_problem(ref.namespace, secret, keys))
        symphony_check = await _read_symphonies(ctx, ref)
    claim = accounts.claimant(
        ref.namespace, ref.name, ref.created, json.loads(ref.spec_json), ref.status
    )
    ctx.claims.update(claim)
    problem = ctx.claims.conflict(claim)
    return Observation(
        ctx.sources.halts(), ctx.clock(), cronjob, credentials, problem, symphony_check
    )


async def _read_symphonies(ctx: Context, ref: StrategyRef) -> symphonies.SymphonyCheck:
    spec, _ = parse_spec(ref)
    if spec is None:
        return NO_SYMPHONY_PROBLEM
    names = builders.symphony_config_maps(spec)  # the ConfigMaps each run mounts
    bodies = [await ctx.kube.get_configmap(ref.namespace, name) for name in names]
    return symphonies.check(ref.namespace, spec, dict(zip(names, bodies, strict=True)))


async def recheck_symphony_users(ctx: Context, namespace: str, config_map: str) -> None:
    """A symphony ConfigMap changed or went: reconcile every strategy that references it."""
    for name in ctx.sources.symphony_users(namespace, config_map):
        ref = ctx.sources.strategy(namespace, name)
        if ref is not None:
            await reconcile(ctx, ref)


async def apply_plan(ctx: Context, ref: StrategyRef, plan: StrategyPlan) -> None:
    """Carry out a plan: CronJob, Jobs, then status, Events and metrics."""
    current = ref.status
    last_schedule = plan.last_schedule_time
    if plan.suspend_existing:
        await ctx.kube.suspend_cronjob(ref.namespace, plan.cronjob_name)
    if plan.apply is not None:
        if plan.repair:
            log.info("repairing CronJob drift", namespace=ref.namespace, cronjob=plan.cronjob_name)
        if plan.ledger is not None:  # before the CronJob: a run must find it
            await ctx.kube.apply(plan.ledger)
        live, created = await ctx.kube.apply(plan.apply)
        _cronjob_events(ctx, ref, live, created)
        last_schedule = (live.get("status") or {}).get("lastScheduleTime")
    if plan.delete_active_jobs:
        jobs = ctx.sources.active_jobs(ref.namespace, ref.name)
        await delete_jobs(ctx, ref, jobs, plan.decision)
    new_status = status.strategy_status(
        current,
        generation=ref.generation,
        verdict=plan.verdict,
        decision=plan.decision,
        cronjob_name=plan.cronjob_name,
        last_schedule_time=last_schedule,
        now=plan.now,
    )
    if new_status != current:
        await write_status(ctx, ref, new_status, lambda fresh: _recompute(fresh, new_status))
    _transition_events(ctx, ref, current, plan.verdict, plan.decision)
    own_suspend = bool(plan.spec and plan.spec.suspend)
    _export_strategy(
        ctx, ref, plan.verdict, plan.decision, suspended=plan.suspended, own_suspend=own_suspend
    )


def _recompute(fresh: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Our fields from `wanted` over a fresher status, keeping a newer lastRun/run condition."""
    merged = dict(wanted)
    for key in ("lastRun", *status.RUN_FIELDS):
        if key in fresh:
            merged[key] = fresh[key]
    fresh_run = [c for c in fresh.get("conditions") or () if c.get("type") == "LastRunSucceeded"]
    if fresh_run:
        others = [c for c in wanted.get("conditions") or () if c.get("type") != "LastRunSucceeded"]
        merged["conditions"] = others + fresh_run
    return merged


def _cronjob_events(ctx: Context, ref: StrategyRef, live: Mapping[str, Any], created: bool) -> None:
    key = (ref.namespace, ref.name)
    generation = int((live.get("metadata") or {}).get("generation") or 0)
    previous = ctx.cronjob_generations.get(key)
    ctx.cronjob_generations[key] = generation
    name = live.get("metadata", {}).get("name", "")
    if created:
        ctx.emit(ref.object_ref(), "Normal", "CronJobCreated", f"created CronJob {name}")
    elif previous is not None and generation != previous:
        ctx.emit(ref.object_ref(), "Normal", "CronJobUpdated", f"updated CronJob {name}")


def _transition_events(
    ctx: Context,
    ref: StrategyRef,
    current: Mapping[str, Any],
    verdict: status.Readiness,
    decision: halt_matching.HaltMatch,
) -> None:
    obj = ref.object_ref()
    was_halted = status.condition_status(current, status.HALTED) == "True"
    halted, _, message = status.halted_message(decision)
    if halted and not was_halted:
        ctx.emit(obj, "Warning", "Halted", message)
    elif was_halted and not halted:
        ctx.emit(obj, "Normal", "Resumed", "no TradingHalt matches any more; scheduling resumed")
    old_reason = next(
        (c.get("reason") for c in current.get("conditions") or () if c.get("type") == status.READY),
        None,
    )
    if not verdict.ready and verdict.reason != old_reason:
        ctx.emit(obj, "Warning", verdict.reason, verdict.message)
        ctx.notify(
            notices.strategy_not_ready(
                ref.namespace,
                ref.name,
                reason=verdict.reason,
                message=verdict.message,
                generation=ref.generation,
                since=ref.resource_version,
                now=ctx.clock(),
            )
        )
    elif verdict.ready and old_reason not in (None, status.RECONCILED):
        ctx.emit(obj, "Normal", "Ready", verdict.message)


def _export_strategy(
    ctx: Context,
    ref: StrategyRef,
    verdict: status.Readiness,
    decision: halt_matching.HaltMatch,
    *,
    suspended: bool,
    own_suspend: bool,
) -> None:
    labels = {"namespace": ref.namespace, "strategy": ref.name}
    metrics.STRATEGY_READY.labels(**labels).set(1 if verdict.ready else 0)
    metrics.STRATEGY_HALTED.labels(**labels).set(1 if decision.halted else 0)
    metrics.STRATEGY_SUSPENDED.labels(**labels).set(1 if own_suspend else 0)
    ctx.gauge.set((ref.namespace, ref.name), status.strategy_state(verdict, decision, suspended))


def forget_strategy(ctx: Context, namespace: str, name: str) -> None:
    """Drop a deleted strategy's metrics and bookkeeping."""
    for gauge in (metrics.STRATEGY_READY, metrics.STRATEGY_HALTED, metrics.STRATEGY_SUSPENDED):
        with contextlib.suppress(KeyError):
            gauge.remove(namespace, name)
    ctx.gauge.forget((namespace, name))
    ctx.cronjob_generations.pop((namespace, name), None)
    ctx.locks.pop((namespace, name), None)
    ctx.claims.forget(namespace, name)


async def delete_jobs(
    ctx: Context, ref: StrategyRef, jobs: list[str], decision: halt_matching.HaltMatch
) -> None:
    """Delete a halted strategy's active Jobs, one Event per Job deleted."""
    for job in jobs:
        if await ctx.kube.delete_job(ref.namespace, job):
            ctx.emit(
                ref.object_ref(),
                "Warning",
                "JobDeleted",
                f"deleted active Job {job}: halted by {', '.join(decision.halting)}",
            )
