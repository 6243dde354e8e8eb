"""The halt workflow: enforce a TradingHalt (or its deletion or expiry) on the strategies.

Rule: orchestration only. Which halts apply comes from halting (pure); each
strategy is decided under its lock; the kill switch proper (CronJob flips, Job
deletions) is awaited, the bookkeeping after it (status, Events) runs behind.
"""

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from alchemiser.logs import get_logger
from alchemiser.operator import builders, halting, metrics, status, strategies
from alchemiser.operator.context import Context, StrategyRef
from alchemiser.operator.kube import gather_bounded

log = get_logger(__name__)


@dataclass(frozen=True)
class Propagation:
    """The result of enforcing one halt: strategies it matches, and how long flipping took."""

    affected: int
    seconds: float  # from the start of propagation until the last CronJob was flipped
    suspended_at: float  # wall-clock time (Unix seconds) when the last CronJob was flipped
    failures: int  # CronJobs not flipped (the caller retries)


async def propagate(ctx: Context, halt: halting.HaltView, *, gone: bool = False) -> Propagation:
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
        if halt.name in ref.halted_by or halt.matches(ref.namespace, ref.labels)
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
        affected = sum(1 for ref in selected if halt.matches(ref.namespace, ref.labels))
    ctx.spawn(settle(ctx, halt.name, selected), name=f"settle {halt.name}")
    return Propagation(affected, seconds, time.time(), len(failures))


async def settle(ctx: Context, halt_name: str, refs: list[StrategyRef]) -> None:
    """Write status and Events for strategies a halt change touched (after the flips)."""
    started = time.monotonic()
    calls = [
        strategies.reconcile(ctx, ref, check_credentials=False, apply_cronjob=False) for ref in refs
    ]
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
        decision = halting.decide(ctx.sources.halts(), ref.namespace, ref.labels, ctx.clock())
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


def export_halts(halts: Iterable[halting.HaltView], now: datetime) -> None:
    """Set alchemiser_halts_active{mode}."""
    counts: Counter[str] = Counter(h.mode for h in halts if h.is_active(now))
    for mode in (halting.MODE_HALT, halting.MODE_REDUCE_ONLY):
        metrics.HALTS_ACTIVE.labels(mode=mode).set(counts[mode])
