"""The strategy workflow: bring one strategy's CronJob, Jobs and status in line with its spec.

Rule: orchestration only. Decisions come from the pure modules (builders,
halting, status); every API call goes through kube.Kube; Events leave through
`ctx.emit`. The halt workflow (halts.py) and the resync sweep reuse `reconcile`.
"""

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from alchemiser.api import Mode, TradingStrategySpec, runtime
from alchemiser.api.parameters import parse_parameters
from alchemiser.errors import ConfigError, KubeError
from alchemiser.logs import get_logger
from alchemiser.operator import builders, halting, metrics, status
from alchemiser.operator.context import Context, StrategyRef, write_status
from alchemiser.operator.kube import Kube

log = get_logger(__name__)


@dataclass(frozen=True)
class Findings:
    """What a reconcile found out about a strategy before acting."""

    spec: TradingStrategySpec | None
    verdict: status.Readiness | None  # None: keep the Ready condition as it is (halt fast path)


def parse_spec(ref: StrategyRef) -> tuple[TradingStrategySpec | None, str | None]:
    """The spec model; or None and a message naming each invalid field."""
    try:
        return TradingStrategySpec.model_validate_json(ref.spec_json), None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        return None, f"spec is invalid: {problems}"[:1000]


def _parameter_errors(spec: TradingStrategySpec) -> str | None:
    problems = []
    for allocation in spec.allocations:
        try:
            parse_parameters(allocation.strategy, allocation.parameters)
        except ConfigError as error:
            problems.append(str(error))
    return "; ".join(problems) if problems else None


async def _credentials_problem(kube: Kube, namespace: str, secret: str) -> str | None:
    keys = await kube.secret_keys(namespace, secret)
    if keys is None:
        return f"Secret {secret} not found in namespace {namespace}"
    missing = [key for key in runtime.CREDENTIAL_FILES if key not in keys]
    if missing:
        return f"Secret {secret} lacks key(s) {', '.join(missing)}"
    return None


async def examine(ctx: Context, ref: StrategyRef, *, check_credentials: bool) -> Findings:
    """Validate the spec and parameters, apply the live gate, check the credentials Secret."""
    spec, spec_error = parse_spec(ref)
    if spec is None:
        return Findings(None, status.readiness(spec_error=spec_error))
    if not check_credentials:
        return Findings(spec, None)
    credentials = await _credentials_problem(
        ctx.kube, ref.namespace, spec.broker.credentials_secret
    )
    verdict = status.readiness(
        parameters_error=_parameter_errors(spec),
        live_blocked=spec.mode == Mode.LIVE and not ctx.settings.allow_live_trading,
        credentials_problem=credentials,
        cronjob_name=builders.cronjob_name(ref.name),
    )
    return Findings(spec, verdict)


def credentials_recheck_needed(status_: Mapping[str, Any]) -> bool:
    """The resync sweep re-reads the Secret only while it is reported missing (recovery)."""
    for condition in status_.get("conditions") or ():
        if condition.get("type") == status.READY:
            return bool(condition.get("reason") == status.CREDENTIALS_MISSING)
    return True


def _kept_verdict(current: Mapping[str, Any], ref: StrategyRef) -> status.Readiness:
    for condition in current.get("conditions") or ():
        if condition.get("type") == status.READY:
            return status.Readiness(
                condition.get("status") == "True",
                str(condition.get("reason", "")),
                str(condition.get("message", "")),
            )
    return status.readiness(cronjob_name=builders.cronjob_name(ref.name))


async def reconcile(
    ctx: Context,
    ref: StrategyRef,
    *,
    check_credentials: bool = True,
    apply_cronjob: bool = True,
    only_if_drifted: bool = False,
    live: Mapping[str, Any] | None = None,
) -> None:
    """Bring one strategy's CronJob, Jobs and status in line with its spec and the halts.

    Runs under the strategy's lock, deciding from the newest copy of the strategy and the
    halts that exist then. `apply_cronjob=False` is for settling after a halt change,
    whose flip already set the CronJob's suspend and deleted a halted strategy's Jobs;
    `only_if_drifted=True` (the resync sweep) compares with `live`, the CronJob as
    listed (None: missing), and writes only on drift.
    """
    started = time.monotonic()
    try:
        async with ctx.lock(ref.namespace, ref.name):
            await _reconcile(
                ctx,
                ctx.fresh(ref),
                check_credentials=check_credentials,
                apply_cronjob=apply_cronjob,
                only_if_drifted=only_if_drifted,
                live=live,
            )
    except KubeError:
        metrics.RECONCILES.labels(outcome="error").inc()
        raise
    metrics.RECONCILES.labels(outcome="success").inc()
    metrics.RECONCILE_SECONDS.observe(time.monotonic() - started)


async def _reconcile(
    ctx: Context,
    ref: StrategyRef,
    *,
    check_credentials: bool,
    apply_cronjob: bool,
    only_if_drifted: bool,
    live: Mapping[str, Any] | None,
) -> None:
    now = ctx.clock()
    current = ref.status
    if status.condition_status(current, status.READY) is None:
        check_credentials = True  # nothing to keep yet: find out
    findings = await examine(ctx, ref, check_credentials=check_credentials)
    decision = halting.decide(ctx.sources.halts(), ref.namespace, ref.labels, now)
    verdict = findings.verdict or _kept_verdict(current, ref)
    name = builders.cronjob_name(ref.name)
    spec = findings.spec
    suspended = spec is None or spec.suspend or decision.halted or not verdict.ready
    last_schedule: str | None = None
    if spec is None:
        await ctx.kube.suspend_cronjob(ref.namespace, name)
    elif not apply_cronjob:
        last_schedule = current.get("lastScheduleTime")
    else:
        desired = builders.build_cronjob(ref.identity, spec, ctx.settings, suspend=suspended)
        if not only_if_drifted or live is None or builders.drifted(desired, live):
            if only_if_drifted:
                log.info("repairing CronJob drift", namespace=ref.namespace, cronjob=name)
            live, created = await ctx.kube.apply(desired)
            _cronjob_events(ctx, ref, live, created)
        last_schedule = (live.get("status") or {}).get("lastScheduleTime")
    if decision.halted and apply_cronjob:  # otherwise the halt's flip has just done it
        await delete_jobs(ctx, ref, ctx.sources.active_jobs(ref.namespace, ref.name), decision)
    new_status = status.strategy_status(
        current,
        generation=ref.generation,
        verdict=verdict,
        decision=decision,
        cronjob_name=name,
        last_schedule_time=last_schedule,
        now=now,
    )
    if new_status != current:
        await write_status(ctx, ref, new_status, lambda fresh: _recompute(fresh, new_status))
    _transition_events(ctx, ref, current, verdict, decision)
    _export_strategy(
        ctx, ref, verdict, decision, suspended=suspended, own_suspend=bool(spec and spec.suspend)
    )


def _recompute(fresh: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Our fields from `wanted` over a fresher status, keeping a newer lastRun/run condition."""
    merged = dict(wanted)
    if "lastRun" in fresh:
        merged["lastRun"] = fresh["lastRun"]
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
    decision: halting.HaltDecision,
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
    elif verdict.ready and old_reason not in (None, status.RECONCILED):
        ctx.emit(obj, "Normal", "Ready", verdict.message)


def _export_strategy(
    ctx: Context,
    ref: StrategyRef,
    verdict: status.Readiness,
    decision: halting.HaltDecision,
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


async def delete_jobs(
    ctx: Context, ref: StrategyRef, jobs: list[str], decision: halting.HaltDecision
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
