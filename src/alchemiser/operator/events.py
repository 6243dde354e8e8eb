"""Kubernetes Events the operator posts about strategies and halts, off the critical path.

`EventPoster.emit` is synchronous and never blocks or raises: it queues the Event
(bounded; on overflow the Event is dropped and counted). A few workers post the
queue through kube.Kube. This works from kopf handlers and from the operator's
own tasks alike (kopf.event only works inside kopf's per-object processing).
Events are best effort by Kubernetes' own design; status is the record.
"""

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from alchemiser.errors import KubeError
from alchemiser.logs import get_logger
from alchemiser.operator import metrics
from alchemiser.operator.kube import Kube

COMPONENT: Final = "alchemiser-operator"
CLUSTER_SCOPED_NAMESPACE: Final = "default"  # Kubernetes' home for Events on cluster objects
MESSAGE_LIMIT: Final = 1024
QUEUE_LIMIT: Final = 20_000
WORKERS: Final = 8

log = get_logger(__name__)


def event_body(
    ref: Mapping[str, Any], type_: str, reason: str, message: str, *, now: datetime, instance: str
) -> dict[str, Any]:
    """A core/v1 Event about `ref` (an object with apiVersion, kind and metadata)."""
    metadata = ref.get("metadata") or {}
    namespace = metadata.get("namespace") or CLUSTER_SCOPED_NAMESPACE
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {
        "apiVersion": ref.get("apiVersion", ""),
        "kind": ref.get("kind", ""),
        "name": metadata.get("name", ""),
        "uid": metadata.get("uid", ""),
    }
    if metadata.get("namespace"):
        involved["namespace"] = metadata["namespace"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{involved['name']}.", "namespace": namespace},
        "involvedObject": involved,
        "type": type_,
        "reason": reason,
        "message": message[:MESSAGE_LIMIT],
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": instance[:128],
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


class EventPoster:
    """Queues Events and posts them with a few workers."""

    def __init__(
        self,
        kube: Kube,
        clock: Callable[[], datetime],
        instance: str,
        *,
        cluster_scoped: bool = True,
    ) -> None:
        """`cluster_scoped=False` (an operator limited to namespaces, without permission
        to post into "default") skips Events about cluster-scoped objects (TradingHalts:
        their status says the same)."""
        self._kube = kube
        self._calm: asyncio.Event | None = None
        self._cluster_scoped = cluster_scoped
        self._clock = clock
        self._instance = instance
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self._workers: list[asyncio.Task[None]] = []

    def start(self, calm: asyncio.Event | None = None) -> None:
        """Start the workers (inside the running event loop).

        While `calm` is clear (a halt is being propagated), Events wait in the queue.
        """
        self._calm = calm
        self._workers = [
            asyncio.create_task(self._work(), name=f"event poster {i}") for i in range(WORKERS)
        ]

    async def stop(self) -> None:
        """Stop the workers; queued Events are dropped."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    def emit(self, ref: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        """Queue one Event; drop it (counted) when the queue is full."""
        if not (ref.get("metadata") or {}).get("namespace") and not self._cluster_scoped:
            return
        body = event_body(ref, type_, reason, message, now=self._clock(), instance=self._instance)
        try:
            self._queue.put_nowait(body)
        except asyncio.QueueFull:
            metrics.EVENTS_DROPPED.inc()

    async def drain(self) -> None:
        """Wait until every queued Event was posted (or failed)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            body = await self._queue.get()
            if self._calm is not None:
                await self._calm.wait()
            try:
                await self._kube.post_event(body)
            except KubeError as error:
                metrics.EVENTS_DROPPED.inc()
                log.warning("an Event was not posted", reason=body["reason"], error=str(error))
            finally:
                self._queue.task_done()
