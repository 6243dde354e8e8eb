"""The run workflows: start a run now (the run-now annotation), record a finished run.

Rule: orchestration only. What a finished Job's result says comes from results
(pure); the status from status and runledger (pure); a breaker trip takes effect in
tripping; API calls go through kube.Kube.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from alchemiser.api import halt_matching, ledger, runtime
from alchemiser.api.breakers import Trip
from alchemiser.api.result import Outcome, RunResult
from alchemiser.logs import get_logger
from alchemiser.notify import notices
from alchemiser.operator import (
    accounts,
    builders,
    metrics,
    notifying,
    results,
    runledger,
    status,
    strategies,
    tripping,
)
from alchemiser.operator.context import Context, StrategyRef, write_status

ANNOTATION_RESULT: Final = "alchemiser.io/result-recorded"

log = get_logger(__name__)


async def run_now(ctx: Context, ref: StrategyRef, token: str) -> None:
    """Create one Job from the CronJob's template, unless halted, suspended or not Ready."""
    obj = ref.object_ref()
    decision = halt_matching.match(ctx.sources.halts(), ref.scope, ctx.clock())
    spec, _ = strategies.parse_spec(ref)
    refusal = None
    if decision.halted:
        refusal = f"halted by TradingHalt {', '.join(decision.halting)}"
    elif spec is not None and spec.suspend:
        refusal = "the strategy is suspended (spec.suspend)"
    elif status.condition_status(ref.status, status.READY) == "False":
        refusal = "the strategy is not Ready"
    cronjob = None
    if refusal is None:
        cronjob = await ctx.kube.get_cronjob(ref.namespace, builders.cronjob_name(ref.name))
        if cronjob is None:
            refusal = "its CronJob does not exist yet"
    if refusal is not None or cronjob is None:
        ctx.emit(obj, "Warning", "RunNowRefused", f"run-now {token!r} not started: {refusal}")
        return
    job = builders.build_manual_job(cronjob, token)
    if await ctx.kube.create_job(job):
        ctx.emit(obj, "Normal", "RunStarted", f"created Job {job['metadata']['name']} (run-now)")


def owned_by_cronjob(job: Mapping[str, Any]) -> bool:
    """True for Jobs whose controller is a CronJob (ours carry the strategy label too)."""
    return any(
        owner.get("kind") == "CronJob" and owner.get("controller")
        for owner in (job.get("metadata") or {}).get("ownerReferences") or ()
    )


async def record_run(ctx: Context, job: Mapping[str, Any]) -> bool:
    """Record a finished Job's result on its strategy; False when there was nothing to do."""
    metadata = job.get("metadata") or {}
    finish = results.job_finish(job)
    uid = str(metadata.get("uid", ""))
    annotations = metadata.get("annotations") or {}
    if finish is None or uid in ctx.recorded_jobs or ANNOTATION_RESULT in annotations:
        return False
    namespace, job_name = metadata["namespace"], metadata["name"]
    strategy = (metadata.get("labels") or {}).get(runtime.LABEL_STRATEGY)
    if not strategy:
        return False
    pods = await ctx.kube.job_pods(namespace, job_name)
    last_run, result = results.last_run(job_name, finish, pods)
    fresh = await ctx.kube.get_strategy(namespace, strategy)
    if fresh is not None:
        ref = StrategyRef.from_body(fresh)
        await _record(ctx, ref, last_run, result)
        outcome = str(last_run["outcome"])
        kind = "Warning" if outcome == Outcome.FAILED.value else "Normal"
        summary = (
            f"Job {job_name} finished: {outcome}; orders submitted "
            f"{last_run.get('ordersSubmitted', 0)}, rejected {last_run.get('ordersRejected', 0)}"
        )
        if last_run.get("message"):
            summary += f"; {last_run['message']}"
        ctx.emit(ref.object_ref(), kind, "RunFinished", summary)
        ctx.notify(notices.run_finished(namespace, strategy, last_run, now=ctx.clock()))
    _export_run(namespace, strategy, last_run, result is not None, ctx.clock())
    ctx.recorded_jobs.add(uid)
    await ctx.kube.annotate_job(namespace, job_name, {ANNOTATION_RESULT: str(last_run["outcome"])})
    return True


async def _record(
    ctx: Context, ref: StrategyRef, last_run: Mapping[str, Any], result: RunResult | None
) -> None:
    """Write lastRun and the breakers' memory; first trip the breakers the run tripped.

    Halts come before the status: a run record that fails half-way is retried, and the
    halts' deterministic names make the retry a no-op for those already created.
    """
    spec, _ = strategies.parse_spec(ref)
    now = ctx.clock()
    outcome = str(last_run["outcome"])
    job = str(last_run["job"])

    def memory(current: Mapping[str, Any]) -> runledger.RunEffects:
        previous = (current.get("lastRun") or {}).get("job")
        return runledger.after_run(
            current,
            job=job,
            outcome=outcome,
            result=result,
            spec=spec,
            finished=now,
            previous_job=previous,
        )

    trips = memory(ref.status).trips
    created: list[tuple[Trip, str]] = []
    if trips and spec is not None and spec.breakers is not None:
        created = await tripping.trip(
            ctx.kube,
            ctx.emit,
            lambda trip: ctx.notify(notifying.breaker_notice(trip, now)),
            strategy=ref.object_ref(),
            breakers=spec.breakers,
            trips=trips,
            now=now,
        )
    equity = result.account.equity if result is not None and result.account else None

    def compute(current: Mapping[str, Any]) -> dict[str, Any]:
        marked = runledger.with_trips(memory(current).status, created, equity=equity, now=now)
        return status.run_status(marked, last_run=last_run, generation=ref.generation, now=now)

    new_status = compute(ref.status)
    await write_status(ctx, ref, new_status, compute)
    if spec is not None and (spec.breakers is not None or ledger.needs_ledger(spec)):
        entry = runledger.ledger_of(new_status, now)
        await ctx.kube.apply(builders.build_ledger(ref.identity, entry.to_json()))
    # The resync sweep re-checks every strategy's claim; recording it here means the
    # sweep compares it with the others' at once, not after the index caught up.
    ctx.claims.update(
        accounts.claimant(
            ref.namespace, ref.name, ref.created, json.loads(ref.spec_json), new_status
        )
    )


def _export_run(
    namespace: str, strategy: str, last_run: Mapping[str, Any], parsed: bool, now: datetime
) -> None:
    outcome = str(last_run["outcome"])
    labels = {"namespace": namespace, "strategy": strategy}
    metrics.RUNS.labels(outcome=outcome, **labels).inc()
    metrics.ORDERS.labels(outcome="submitted", **labels).inc(last_run.get("ordersSubmitted", 0))
    metrics.ORDERS.labels(outcome="rejected", **labels).inc(last_run.get("ordersRejected", 0))
    metrics.NOTIONAL.labels(**labels).inc(max(0.0, float(last_run.get("notional", 0.0))))
    finished = halt_matching.parse_time(last_run.get("finishedAt"))
    stamp = (finished or now).timestamp()
    metrics.LAST_RUN.labels(**labels).set(stamp)
    if outcome != Outcome.FAILED.value:
        metrics.LAST_SUCCESS.labels(**labels).set(stamp)
    log.info(
        "recorded a finished run",
        namespace=namespace,
        strategy=strategy,
        job=last_run.get("job"),
        outcome=outcome,
        parsed=parsed,
    )
