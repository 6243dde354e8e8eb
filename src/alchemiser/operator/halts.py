"""The halt workflow: enforce a TradingHalt (or its deletion or expiry) on the strategies.

Rule: orchestration only. Which halts apply comes from api.halt_matching (pure); each
strategy is decided under its lock; the kill switch proper (CronJob flips, Job
deletions) is awaited, the bookkeeping after it (status, Events) runs behind.
The halt's own status and its expiry are kept here too; handlers only call in.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from alchemiser.api import halt_matching, runtime
from alchemiser.errors import KubeError
from alchemiser.logs import get_logger
from alchemiser.notify import notices
from alchemiser.operator import builders, metrics, status, strategies
from alchemiser.operator.context import Context, StrategyRef
from alchemiser.operator.kube import gather_bounded

EXPIRY_ATTEMPTS: Final = 10
EXPIRY_RETRY_SECONDS: Final = 5.0

log = get_logger(__name__)


@dataclass(frozen=True)
class Propagation:
    """The result of enforcing one halt: strategies it matches, and how long flipping took."""

    affected: int
    seconds: float  # from the start of propagation until the last CronJob was flipped
    suspended_at: float  # ctx.clock() time (Unix seconds) when the last CronJob was flipped
    failures: int  # CronJobs not flipped (the caller retries)


async def propagate(
    ctx: Context, halt: halt_matching.HaltRule, *, gone: bool = False
) -> Propagation:
    """Enforce one halt (or its deletion/expiry) on every strategy it matches or matched.

    `halt` is the halt as it is now (or was, when `gone`). Each strategy is decided under
    its lock from the halts that exist then, so concurrent halt changes cannot undo one
    another. The kill switch proper is awaited: one merge patch per CronJob, all at once
    (bounded), and the deletion of a halted strategy's active Jobs. Statuses and Events
    follow in the background (`settle`), so a kopf handler returns as soon as the
    CronJobs are flipped and a resume right after a halt does not queue behind them;
    the resync sweep repairs any status that write missed. Secrets are not re-read here.
    """
    started = time.monotonic()
    now = ctx.clock()
    selected = [
        ref
        for ref in ctx.sources.strategies()
        if halt.name in ref.halted_by or halt.selects(ref.scope)
    ]
    with ctx.urgent():
        outcomes = await gather_bounded(
            ctx.settings.concurrency, [_flip(ctx, ref) for ref in selected]
        )
    seconds = time.monotonic() - started
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures[:5]:
        log.warning("halt propagation failed for a strategy", halt=halt.name, error=str(failure))
    log.info(
        "propagated a halt change",
        halt=halt.name,
        strategies=len(selected),
        suspended=sum(1 for outcome in outcomes if outcome is True),
        seconds=round(seconds, 3),
        failures=len(failures),
    )
    affected = 0
    if not gone and halt.is_active(now):
        affected = sum(1 for ref in selected if halt.selects(ref.scope))
    ctx.spawn(settle(ctx, halt.name, selected), name=f"settle {halt.name}")
    return Propagation(affected, seconds, ctx.clock().timestamp(), len(failures))


async def settle(ctx: Context, halt_name: str, refs: list[StrategyRef]) -> None:
    """Write status and Events for strategies a halt change touched (after the flips)."""
    started = time.monotonic()
    calls = [strategies.settle_after_halt(ctx, ref) for ref in refs]
    outcomes = await gather_bounded(ctx.settings.concurrency, calls)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures[:5]:
        log.warning("status after a halt change not written", halt=halt_name, error=str(failure))
    log.info(
        "status settled after a halt change",
        halt=halt_name,
        strategies=len(refs),
        seconds=round(time.monotonic() - started, 3),
        failures=len(failures),
    )


async def _flip(ctx: Context, ref: StrategyRef) -> bool | None:
    """Suspend (True) or release (False) one CronJob as the halts now say; None: left as is.

    A halted strategy's active Jobs are deleted here too: stopping a run in progress is
    part of the kill switch, not of the bookkeeping after it.
    """
    async with ctx.lock(ref.namespace, ref.name):
        ref = ctx.fresh(ref)
        decision = halt_matching.match(ctx.sources.halts(), ref.scope, ctx.clock())
        suspend = True if decision.halted else (False if _runnable(ref) else None)
        if suspend is not None:
            await ctx.kube.suspend_cronjob(ref.namespace, builders.cronjob_name(ref.name), suspend)
        if decision.halted:
            await strategies.delete_jobs(
                ctx, ref, ctx.sources.active_jobs(ref.namespace, ref.name), decision
            )
        return suspend


def _runnable(ref: StrategyRef) -> bool:
    """Whether, halts aside, the strategy's CronJob should run (its last status said Ready)."""
    spec, _ = strategies.parse_spec(ref)
    ready = status.condition_status(ref.status, status.READY) == "True"
    return spec is not None and not spec.suspend and ready


def export_halts(halts: Iterable[halt_matching.HaltRule], now: datetime) -> None:
    """Set alchemiser_halts_active{mode}."""
    counts: Counter[str] = Counter(h.mode for h in halts if h.is_active(now))
    for mode in (halt_matching.MODE_HALT, halt_matching.MODE_REDUCE_ONLY):
        metrics.HALTS_ACTIVE.labels(mode=mode).set(counts[mode])


async def enforce(
    ctx: Context, body: Mapping[str, Any], *, measure: bool, gone: bool = False
) -> Propagation:
    """Propagate one halt (or its deletion/expiry), then write the halt's status.

    `measure`: record how long the halt took to reach every CronJob (on create and
    spec change, not on resume or expiry). The caller retries when `failures` is set.
    """
    halt = halt_matching.rule_from_wire(body)
    result = await propagate(ctx, halt, gone=gone)
    now = ctx.clock()
    export_halts(ctx.sources.halts(), now)
    if gone:
        ctx.notify(notices.halt_cleared(body, expired=False, now=now))
        return result
    seconds = None
    if measure and not result.failures and halt.is_active(now) and halt.created_at:
        # creationTimestamp has whole seconds (it floors): this may over-report by < 1 s.
        seconds = max(result.seconds, result.suspended_at - halt.created_at.timestamp())
        metrics.HALT_PROPAGATION_SECONDS.observe(seconds)
    new_status = status.halt_status(
        body.get("status"),
        active=halt.is_active(now),
        affected=result.affected,
        propagation_seconds=seconds,
        generation=body["metadata"].get("generation"),
        now=now,
    )
    await ctx.kube.patch_halt_status(halt.name, new_status)
    _notify(ctx, body, halt, result.affected, measure=measure, now=now)
    if seconds is not None:
        ctx.emit(
            _halt_ref(body),
            "Normal",
            "Propagated",
            f"halted {result.affected} strategies in {seconds:.2f}s",
        )
    return result


def _notify(
    ctx: Context,
    body: Mapping[str, Any],
    halt: halt_matching.HaltRule,
    affected: int,
    *,
    measure: bool,
    now: datetime,
) -> None:
    """halt.created on a halt's first enforcement (no status yet); halt.cleared on expiry."""
    if measure and halt.is_active(now) and not (body.get("status") or {}).get("conditions"):
        ctx.notify(notices.halt_created(body, affected=affected, now=now))
    elif not halt.is_active(now) and halt.expires_at is not None:
        ctx.notify(notices.halt_cleared(body, expired=True, now=now))


def _halt_ref(body: Mapping[str, Any]) -> dict[str, Any]:
    metadata = body["metadata"]
    return {
        "apiVersion": runtime.API_VERSION,
        "kind": runtime.HALT_KIND,
        "metadata": {"name": metadata["name"], "uid": metadata.get("uid", "")},
    }


def schedule_expiry(ctx: Context, body: Mapping[str, Any]) -> None:
    """Re-enforce a halt when its expiresAt passes (re-scheduled on every start and change).

    An asyncio task rather than a kopf timer: kopf timers put a finalizer on the halt,
    and deleting the kill switch must never wait for the operator.
    """
    halt = halt_matching.rule_from_wire(body)
    cancel_expiry(ctx, halt.name)
    expires_at = halt.expires_at
    if expires_at is None:
        return
    ctx.expiry_tasks[halt.name] = asyncio.create_task(
        _expire(ctx, halt.name, expires_at), name=f"expire {halt.name}"
    )


def cancel_expiry(ctx: Context, name: str) -> None:
    """Forget a halt's pending expiry (it changed or was deleted)."""
    task = ctx.expiry_tasks.pop(name, None)
    if task is not None:
        task.cancel()


async def _expire(ctx: Context, name: str, expires_at: datetime) -> None:
    """At `expires_at`, enforce the halt as it then is; bounded retries on API errors."""
    await asyncio.sleep(max(0.0, (expires_at - ctx.clock()).total_seconds()) + 0.05)
    for _ in range(EXPIRY_ATTEMPTS):
        try:
            fresh = await ctx.kube.get_halt(name)
            if fresh is None:
                return
            result = await enforce(ctx, fresh, measure=False)
            if not result.failures:
                return
            problem = f"{result.failures} strategies not yet updated"
        except KubeError as error:
            problem = str(error)
        log.warning("halt expiry not yet enforced", halt=name, error=problem)
        await asyncio.sleep(EXPIRY_RETRY_SECONDS)
