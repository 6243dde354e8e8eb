"""The resync sweep: one loop that repairs CronJob drift and re-checks missing Secrets.

Instead of a kopf timer per strategy (a task and a finalizer on every object, and
one GET per strategy per interval), one loop lists our CronJobs a page at a time
every `resync_seconds` and compares each with what its strategy wants. It only
works while this replica is the active peer, and decides from kopf's indices as
they are when each strategy's lock is held (strategies.repair_drift).
"""

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from alchemiser.api import runtime
from alchemiser.errors import KubeError
from alchemiser.logs import get_logger
from alchemiser.operator import builders, metrics, peering, strategies
from alchemiser.operator.context import Context, Key, StrategyRef
from alchemiser.operator.kube import gather_bounded

log = get_logger(__name__)


@dataclass(frozen=True)
class Sweep:
    """What one sweep did."""

    checked: int
    missing: int
    failures: int
    seconds: float


async def active_scopes(ctx: Context, peer: peering.Peer | None) -> list[str | None]:
    """Where this replica may write: None means every namespace (cluster-wide operator)."""
    namespaced = bool(ctx.settings.namespaces)
    scopes: list[str | None] = [None]
    if namespaced:
        scopes = [*sorted({ref.namespace for ref in ctx.sources.strategies()})]
    if peer is None:  # standalone
        return scopes
    now = ctx.clock()
    active = []
    for scope in scopes:
        peers = await ctx.kube.peering_peers(ctx.settings.peering_name, scope)
        if not peering.paused(peers, peer, now):
            active.append(scope)
    return active


async def sweep(ctx: Context, scopes: Iterable[str | None]) -> Sweep:
    """Compare every listed CronJob with its strategy; create the missing ones."""
    started = time.monotonic()
    scopes = list(scopes)
    seen: set[Key] = set()
    outcomes: list[Any] = []
    for scope in scopes:
        async for page in ctx.kube.cronjob_pages(scope):
            calls = []
            for live in page:
                metadata = live.get("metadata") or {}
                key = (
                    metadata.get("namespace", ""),
                    (metadata.get("labels") or {}).get(runtime.LABEL_STRATEGY, ""),
                )
                ref = ctx.sources.strategy(*key)
                if ref is None or metadata.get("name") != builders.cronjob_name(ref.name):
                    continue  # not (or no longer) one of ours; garbage collection removes it
                seen.add(key)
                if _handled(ref):
                    calls.append(_check(ctx, ref, live))
            outcomes += await gather_bounded(ctx.settings.concurrency, calls)
    everywhere = None in scopes
    missing = [
        ref
        for ref in ctx.sources.strategies()
        if (ref.namespace, ref.name) not in seen
        and (everywhere or ref.namespace in scopes)
        and _handled(ref)
    ]
    outcomes += await gather_bounded(
        ctx.settings.concurrency,
        [_check(ctx, ref, None) for ref in missing],
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures[:5]:
        log.warning("resync failed for a strategy", error=str(failure))
    seconds = time.monotonic() - started
    metrics.RESYNC_SECONDS.observe(seconds)
    return Sweep(len(seen), len(missing), len(failures), seconds)


def _handled(ref: StrategyRef) -> bool:
    """Whether the operator has reconciled this strategy before (it wrote observedGeneration).

    A strategy not yet handled is kopf's create/resume handler's to do (kopf retries it);
    the sweep taking it on as well doubled the writes while thousands were being created.
    """
    return ref.status.get("observedGeneration") is not None


async def _check(ctx: Context, ref: StrategyRef, live: Any) -> None:
    """Reconcile one strategy against its listed CronJob, once no halt is propagating."""
    await ctx.calm.wait()
    await strategies.repair_drift(ctx, ref, live)


async def run_forever(ctx: Context, peer: peering.Peer | None) -> None:
    """Sweep every `resync_seconds` while active; API errors wait for the next round."""
    while True:
        await asyncio.sleep(ctx.settings.resync_seconds)
        try:
            result = await sweep(ctx, await active_scopes(ctx, peer))
        except KubeError as error:
            log.warning("resync sweep interrupted; next round retries", error=str(error))
            continue
        ctx.last_sweep = time.monotonic()
        if result.missing or result.failures:
            log.info(
                "resync sweep",
                checked=result.checked,
                missing=result.missing,
                failures=result.failures,
                seconds=round(result.seconds, 3),
            )
