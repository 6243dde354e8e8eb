"""kopf handlers: thin glue from kopf's causes to the workflows (strategies, halts, runs).

Rule: no decisions here. Each handler turns kopf's arguments (body, indices,
memo) into the workflow's inputs, and posts the workflow's Events with
the EventPoster. Handlers are registered on a registry built from the settings, so
intervals are configurable and nothing happens at import.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import kopf
import prometheus_client

from alchemiser.api import halt_matching, runtime
from alchemiser.errors import KubeError
from alchemiser.logs import get_logger
from alchemiser.notify import config as notify_config
from alchemiser.operator import (
    backtests,
    context,
    halts,
    metrics,
    notifying,
    peering,
    results,
    resync,
    runs,
    status,
    strategies,
    symphonies,
    tripping,
)
from alchemiser.operator.context import Context, Sources, StrategyRef
from alchemiser.operator.events import EventPoster
from alchemiser.operator.kube import Kube
from alchemiser.operator.settings import OperatorSettings

STRATEGIES = (runtime.GROUP, runtime.VERSION, runtime.STRATEGY_PLURAL)
HALTS = (runtime.GROUP, runtime.VERSION, runtime.HALT_PLURAL)
JOBS = ("batch", "v1", "jobs")
CONFIG_MAPS = ("v1", "configmaps")
OURS = {runtime.LABEL_STRATEGY: kopf.PRESENT}
BACKTESTS = (runtime.GROUP, runtime.VERSION, runtime.BACKTEST_PLURAL)
BACKTEST_JOBS = {runtime.LABEL_BACKTEST: kopf.PRESENT}
# Not "alchemiser.io": kopf drops every annotation under its storage prefix from the
# diff essence, which would hide alchemiser.io/run-now from the update handlers.
ANNOTATION_PREFIX = "operator.alchemiser.io"
# No handler needs a finalizer any more (the resync sweep replaced per-object timers);
# kopf removes one it finds under this name, left by an earlier version of the operator.
FINALIZER = "operator.alchemiser.io/finalizer"
BACKOFF = 5  # seconds before kopf retries a failed handler (its default is 60)

log = get_logger(__name__)


def _halts(index: kopf.Index[Any, Any]) -> list[halt_matching.HaltRule]:
    return [halt for store in index.values() for halt in store]


def _strategies(index: kopf.Index[Any, Any]) -> list[StrategyRef]:
    return [ref for store in index.values() for ref in store]


def _first(index: kopf.Index[Any, Any], key: Any) -> Any:
    return next(iter(index.get(key, ())), None)


def sources(indices: Mapping[str, kopf.Index[Any, Any]]) -> Sources:
    """Live readers over kopf's indices (the same objects kopf keeps filling)."""
    strategies, halts, jobs, users = (
        indices["strategy_index"],
        indices["halt_index"],
        indices["active_job_index"],
        indices["symphony_index"],
    )
    return Sources(
        halts=lambda: _halts(halts),
        strategies=lambda: _strategies(strategies),
        strategy=lambda namespace, name: _first(strategies, (namespace, name)),
        active_jobs=lambda namespace, name: sorted(jobs.get((namespace, name), ())),
        symphony_users=lambda namespace, name: sorted(users.get((namespace, name), ())),
    )


def _job_is_active(body: kopf.Body, **_: Any) -> bool:
    metadata = body.get("metadata") or {}
    return not metadata.get("deletionTimestamp") and results.job_finish(body) is None


def _run_now_token(essence: Any) -> str:
    annotations = ((essence or {}).get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(runtime.ANNOTATION_RUN_NOW) or "")


def configure(settings: kopf.OperatorSettings, ours: OperatorSettings) -> None:
    """kopf settings: annotations for bookkeeping (strict status schema), peering, posting."""
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    settings.persistence.finalizer = FINALIZER
    # kopf's own Events only for handler failures and retries; the lifecycle Events a user
    # reads in `kubectl describe` are ours (events.py), one per change, not per handler run.
    settings.posting.level = logging.WARNING
    settings.peering.name = ours.peering_name
    settings.peering.standalone = ours.standalone
    # Auto-detect: with the peering object present, one replica is active and the others
    # pause; without it, kopf logs a warning and runs standalone (a single replica is fine).
    settings.peering.mandatory = False
    settings.peering.clusterwide = not ours.namespaces
    settings.peering.stealth = True
    if ours.priority is not None:
        settings.peering.priority = ours.priority
    # At most 64 strategies (and 64 Jobs, 64 halts: one limit per watched resource) in
    # kopf's hands at once, each worker leaving half a second after its last event: a
    # burst of thousands of creations no longer holds thousands of bodies in memory
    # (5,000 strategies: 318 -> 182 MiB resident). Halts have their own watcher and limit.
    settings.queueing.worker_limit = 64
    settings.queueing.idle_timeout = 0.5
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 30


def build_registry(
    ours: OperatorSettings,
    peer: peering.Peer | None,
    notifications: notify_config.NotifierConfig | None = None,
) -> kopf.OperatorRegistry:
    """Register every handler on a fresh registry (`peer` None: standalone)."""
    registry = kopf.OperatorRegistry()
    _register_lifecycle(registry, ours, peer, notifications)
    _register_indices(registry)
    _register_strategies(registry)
    _register_halts(registry)
    _register_jobs(registry)
    _register_symphonies(registry)
    _register_backtests(registry)
    return registry


def _register_lifecycle(
    registry: kopf.OperatorRegistry,
    ours: OperatorSettings,
    peer: peering.Peer | None,
    notifications: notify_config.NotifierConfig | None,
) -> None:
    @kopf.on.startup(registry=registry, id="startup")
    async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **kwargs: Any) -> None:
        configure(settings, ours)
        # One warm pool for everything: a separate, cold pool for halts measured slower
        # (TLS handshakes on the critical path) than sharing the warm one.
        kube = Kube.from_environment()
        memo.events = EventPoster(
            kube,
            context.utcnow,
            peer.identity if peer else peering.own_identity(),
            cluster_scoped=not ours.namespaces,
        )
        memo.context = Context(
            settings=ours, kube=kube, emit=memo.events.emit, sources=sources(kwargs)
        )
        memo.events.start(calm=memo.context.calm)
        memo.notifier = None
        if notifications is not None:
            memo.notifier = notifying.start(notifications, memo.context.calm)
            memo.context.notify = memo.notifier.publish
        memo.resync = asyncio.create_task(
            resync.run_forever(memo.context, peer), name="resync sweep"
        )
        prometheus_client.start_http_server(
            ours.metrics_port, addr=ours.metrics_address, registry=metrics.REGISTRY
        )
        log.info("operator started", metrics_port=ours.metrics_port, probe_port=ours.probe_port)

    @kopf.on.login(registry=registry, id="login")
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        # The same sources as kube.py: in-cluster service account, else the kubeconfig.
        return kopf.login_via_client(**kwargs)

    @kopf.on.cleanup(registry=registry, id="cleanup")
    async def cleanup(memo: kopf.Memo, **_: Any) -> None:
        memo.resync.cancel()
        for task in [*memo.context.expiry_tasks.values(), *memo.context.background]:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(memo.events.drain(), timeout=5)
        await memo.events.stop()
        if memo.notifier is not None:
            await notifying.stop(memo.notifier)
        await memo.context.kube.close()

    @kopf.on.probe(id="strategies", registry=registry)
    async def probe_strategies(memo: kopf.Memo, **_: Any) -> int:
        return len(memo.context.gauge.states)

    @kopf.on.probe(id="resync", registry=registry)
    async def probe_resync(memo: kopf.Memo, **_: Any) -> float | None:
        # A sweep that died fails the liveness probe at once (no retry; kopf answers 500).
        if memo.resync.done():
            raise kopf.PermanentError(f"the resync sweep stopped: {memo.resync!r}")
        context: Context = memo.context
        return context.last_sweep


def _register_indices(registry: kopf.OperatorRegistry) -> None:
    """kopf's in-memory cache, filled from the API before any handler runs."""

    @kopf.index(*STRATEGIES, registry=registry, id="strategy_index")
    async def strategy_index(body: kopf.Body, **_: Any) -> dict[tuple[str, str], StrategyRef]:
        ref = StrategyRef.from_body(body)
        return {(ref.namespace, ref.name): ref}

    @kopf.index(*STRATEGIES, registry=registry, id="symphony_index")
    async def symphony_index(body: kopf.Body, **_: Any) -> dict[tuple[str, str], str]:
        metadata = body.get("metadata") or {}
        names = symphonies.referenced_config_maps(body.get("spec") or {})
        return {(metadata["namespace"], name): metadata["name"] for name in names}

    @kopf.index(*HALTS, registry=registry, id="halt_index")
    async def halt_index(body: kopf.Body, **_: Any) -> dict[str, halt_matching.HaltRule]:
        halt = halt_matching.rule_from_wire(body)
        return {halt.name: halt}

    # A `when` filter, not a None result: kopf keeps an object's previous index entry
    # when the function returns None, but purges it once the object stops matching, so a
    # finished Job leaves the index (and a later halt does not delete it as active).
    @kopf.index(*JOBS, labels=OURS, when=_job_is_active, registry=registry, id="active_job_index")
    async def active_job_index(body: kopf.Body, **_: Any) -> dict[tuple[str, str], str]:
        metadata = body.get("metadata") or {}
        strategy = (metadata.get("labels") or {})[runtime.LABEL_STRATEGY]
        return {(metadata["namespace"], strategy): metadata["name"]}


def _register_strategies(registry: kopf.OperatorRegistry) -> None:
    @kopf.on.resume(*STRATEGIES, registry=registry, backoff=BACKOFF, id="reconcile-resume")
    @kopf.on.create(*STRATEGIES, registry=registry, backoff=BACKOFF, id="reconcile-create")
    @kopf.on.update(*STRATEGIES, registry=registry, backoff=BACKOFF, id="reconcile-update")
    async def reconcile_strategy(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await strategies.reconcile(memo.context, StrategyRef.from_body(body))

    @kopf.on.update(*STRATEGIES, registry=registry, backoff=BACKOFF, id="run-now")
    async def run_now(body: kopf.Body, memo: kopf.Memo, **kwargs: Any) -> None:
        old, new = _run_now_token(kwargs.get("old")), _run_now_token(kwargs.get("new"))
        if not new or new == old:
            return
        await runs.run_now(memo.context, StrategyRef.from_body(body), new)

    @kopf.on.event(*STRATEGIES, registry=registry, id="strategy-gone")
    async def strategy_gone(body: kopf.Body, memo: kopf.Memo, **kwargs: Any) -> None:
        if kwargs.get("type") == "DELETED":
            metadata = body.get("metadata") or {}
            strategies.forget_strategy(memo.context, metadata["namespace"], metadata["name"])
            # Its breaker halts go too (a namespaced owner cannot own a cluster-scoped halt).
            try:
                await tripping.remove_halts(
                    memo.context.kube, metadata["namespace"], metadata["name"]
                )
            except KubeError as error:
                raise kopf.TemporaryError(
                    f"breaker halts not yet deleted: {error}", delay=5
                ) from None


async def _enforce(
    body: Mapping[str, Any], memo: kopf.Memo, *, measure: bool, gone: bool = False
) -> None:
    result = await halts.enforce(memo.context, body, measure=measure, gone=gone)
    if result.failures:
        raise kopf.TemporaryError(f"{result.failures} strategies not yet updated", delay=5)


def _register_halts(registry: kopf.OperatorRegistry) -> None:
    @kopf.on.create(*HALTS, registry=registry, backoff=BACKOFF, id="halt-create")
    @kopf.on.update(*HALTS, field="spec", registry=registry, backoff=BACKOFF, id="halt-update")
    async def halt_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        halts.schedule_expiry(memo.context, body)
        if not status.halt_enforced(body):
            await _enforce(body, memo, measure=True)

    @kopf.on.resume(*HALTS, registry=registry, backoff=BACKOFF, id="halt-resume")
    async def halt_resumed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        halts.schedule_expiry(memo.context, body)
        await _enforce(body, memo, measure=False)

    @kopf.on.event(*HALTS, registry=registry, id="halt-deleted")
    async def halt_deleted(body: kopf.Body, memo: kopf.Memo, **kwargs: Any) -> None:
        if kwargs.get("type") == "DELETED":
            halts.cancel_expiry(memo.context, body["metadata"]["name"])
            await _enforce(body, memo, measure=False, gone=True)


def _register_jobs(registry: kopf.OperatorRegistry) -> None:
    @kopf.on.event(*JOBS, labels=OURS, registry=registry, id="job-finished")
    async def job_event(body: kopf.Body, memo: kopf.Memo, **kwargs: Any) -> None:
        if kwargs.get("type") == "DELETED" or not runs.owned_by_cronjob(body):
            return
        await runs.record_run(memo.context, body)


def _register_symphonies(registry: kopf.OperatorRegistry) -> None:
    # Every ConfigMap event is seen (kopf cannot filter by reference); only those a
    # strategy's symphony allocation names lead to a re-check (SymphonyMissing, or
    # InvalidParameters with line:column, or Ready again).
    @kopf.on.event(*CONFIG_MAPS, registry=registry, id="symphony-configmap")
    async def symphony_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        metadata = body.get("metadata") or {}
        namespace, name = metadata.get("namespace"), metadata.get("name")
        if namespace and name:
            await strategies.recheck_symphony_users(memo.context, namespace, name)


def _register_backtests(registry: kopf.OperatorRegistry) -> None:
    @kopf.on.resume(*BACKTESTS, registry=registry, backoff=BACKOFF, id="backtest-resume")
    @kopf.on.create(*BACKTESTS, registry=registry, backoff=BACKOFF, id="backtest-create")
    @kopf.on.update(
        *BACKTESTS, field="spec", registry=registry, backoff=BACKOFF, id="backtest-update"
    )
    async def backtest_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        ctx: Context = memo.context
        await backtests.start(ctx.kube, body, ctx.settings)

    @kopf.on.event(*JOBS, labels=BACKTEST_JOBS, registry=registry, id="backtest-job")
    async def backtest_job(body: kopf.Body, memo: kopf.Memo, **kwargs: Any) -> None:
        if kwargs.get("type") == "DELETED":
            return
        await backtests.record(memo.context.kube, body)
