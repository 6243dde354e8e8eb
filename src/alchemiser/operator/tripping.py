"""Where a circuit breaker trip is decided and takes effect: the TradingHalt, Event, metric.

Rule: orchestration only; the decisions come from api.breakers and operator.runledger,
every API call goes through kube.Kube. A trip creates the breaker's TradingHalt for
its strategy alone (deterministic name, so a retry cannot create two) or renews the
one left by an earlier trip once it has expired; a halt still in force means the trip
is already in effect and nothing more happens. For each halt created or renewed: the
Event BreakerTripped on the strategy, alchemiser_breaker_trips_total, and `on_trip`
(the notification hook; it must not block). Halts are not owned by the strategy (a
namespaced owner cannot own a cluster-scoped object), so `remove_halts` deletes them
when the strategy goes.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alchemiser.api import Breakers, halt_matching, runtime
from alchemiser.api.breakers import Trip, halt_manifest
from alchemiser.logs import get_logger
from alchemiser.operator import metrics
from alchemiser.operator.kube import Kube

Emit = Callable[[Mapping[str, Any], str, str, str], None]
log = get_logger(__name__)


@dataclass(frozen=True)
class TripNotice:
    """One breaker trip that created (or renewed) a halt: what a notifier reports."""

    namespace: str
    strategy: str
    breaker: str
    halt: str
    reason: str
    mode: str
    expires_at: str | None


async def trip(
    kube: Kube,
    emit: Emit,
    on_trip: Callable[[TripNotice], None],
    *,
    strategy: Mapping[str, Any],
    breakers: Breakers,
    trips: Sequence[Trip],
    now: datetime,
) -> list[tuple[Trip, str]]:
    """Put each trip into effect; return (trip, halt name) for the halts created or renewed.

    `strategy` is the object ref Events are posted about (apiVersion, kind, metadata).
    Raises KubeError when a halt could not be written (the caller retries the run record).
    """
    metadata = strategy["metadata"]
    namespace, name = metadata["namespace"], metadata["name"]
    created: list[tuple[Trip, str]] = []
    for one in trips:
        manifest = halt_manifest(
            namespace=namespace, strategy=name, trip=one, breakers=breakers, now=now
        )
        halt = manifest["metadata"]["name"]
        if not await _in_effect(kube, manifest, now):
            continue
        created.append((one, halt))
        spec = manifest["spec"]
        metrics.BREAKER_TRIPS.labels(namespace=namespace, strategy=name, breaker=one.breaker).inc()
        emit(
            strategy,
            "Warning",
            "BreakerTripped",
            f"TradingHalt {halt} ({spec['mode']}): {spec['reason']}",
        )
        log.warning(
            "circuit breaker tripped",
            namespace=namespace,
            strategy=name,
            breaker=one.breaker,
            halt=halt,
        )
        on_trip(
            TripNotice(
                namespace=namespace,
                strategy=name,
                breaker=one.breaker,
                halt=halt,
                reason=spec["reason"],
                mode=spec["mode"],
                expires_at=spec.get("expiresAt"),
            )
        )
    return created


async def _in_effect(kube: Kube, manifest: Mapping[str, Any], now: datetime) -> bool:
    """Create the halt, or renew an expired one of that name; False when one is in force."""
    if await kube.create_halt_if_absent(manifest):
        return True
    name = manifest["metadata"]["name"]
    existing = await kube.get_halt(name)
    if existing is None:  # deleted between the two calls: create it after all
        return await kube.create_halt_if_absent(manifest)
    if halt_matching.rule_from_wire(existing).is_active(now):
        return False
    spec = dict(manifest["spec"])
    spec.setdefault("expiresAt", None)  # a renewal without cooldown lasts until deleted
    await kube.patch_halt_spec(name, spec)
    return True


def halt_selector(namespace: str, name: str) -> str:
    """The label selector of one strategy's breaker halts."""
    return (
        f"{runtime.LABEL_STRATEGY_NAMESPACE}={namespace},{runtime.LABEL_STRATEGY}={name},"
        f"{runtime.LABEL_BREAKER}"
    )


async def remove_halts(kube: Kube, namespace: str, name: str) -> list[str]:
    """Delete a deleted strategy's breaker halts; returns their names."""
    names = await kube.halts_labelled(halt_selector(namespace, name))
    for halt in names:
        await kube.delete_halt(halt)
    if names:
        log.info(
            "deleted a deleted strategy's breaker halts",
            namespace=namespace,
            strategy=name,
            halts=names,
        )
    return names
