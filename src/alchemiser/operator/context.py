"""What every operator workflow shares: the Context, the strategy snapshot, the status write.

Rule: state and collaborators only, no decisions. The workflows (strategies,
halts, runs) take a Context: settings, the API client (kube.Kube), the clock,
the Event sink and the live views of kopf's indices. No kopf, no aiohttp here.
"""

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from alchemiser.api import breakers, halt_matching, runtime
from alchemiser.errors import KubeError
from alchemiser.notify.notices import Notice
from alchemiser.operator import accounts, builders, metrics, status
from alchemiser.operator.kube import Conflict, Kube
from alchemiser.operator.settings import OperatorSettings

Emit = Callable[[Mapping[str, Any], str, str, str], None]  # (object ref, type, reason, message)

# The clock every workflow decides by (timezone-aware UTC); injected so tests set the time.
# Only elapsed durations for metrics and logs read time.monotonic() directly.
Clock = Callable[[], datetime]
STATUS_RETRIES: Final = 5


def utcnow() -> datetime:
    """The wall clock, in UTC (the default Clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class StrategyRef:
    """What the operator keeps of one strategy (in kopf's index): identity, labels, spec, status."""

    namespace: str
    name: str
    uid: str
    generation: int | None
    resource_version: str | None
    labels: Mapping[str, str]  # as halts see them: its own plus alchemiser.io/strategy=<name>
    spec_json: str
    status_json: str
    created: str = ""  # creationTimestamp: the older of two strategies keeps a shared account

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "StrategyRef":
        """Build from a TradingStrategy object (kopf body or API answer)."""
        metadata = body.get("metadata") or {}
        return cls(
            namespace=metadata["namespace"],
            name=metadata["name"],
            uid=metadata.get("uid", ""),
            generation=metadata.get("generation"),
            resource_version=metadata.get("resourceVersion"),
            labels=breakers.strategy_labels(metadata["name"], metadata.get("labels") or {}) or {},
            spec_json=json.dumps(dict(body.get("spec") or {}), separators=(",", ":")),
            status_json=json.dumps(dict(body.get("status") or {}), separators=(",", ":")),
            created=str(metadata.get("creationTimestamp") or ""),
        )

    @property
    def identity(self) -> builders.StrategyIdentity:
        """The identity the builders need."""
        return builders.StrategyIdentity(self.namespace, self.name, self.uid, self.labels)

    @property
    def scope(self) -> halt_matching.StrategyScope:
        """What halts are matched against: namespace and labels."""
        return halt_matching.StrategyScope(self.namespace, self.labels)

    @property
    def status(self) -> dict[str, Any]:
        """The status as last seen."""
        value: dict[str, Any] = json.loads(self.status_json)
        return value

    @property
    def halted_by(self) -> list[str]:
        """status.haltedBy as last seen."""
        return list(self.status.get("haltedBy") or [])

    def object_ref(self) -> dict[str, Any]:
        """A minimal object for posting Events about this strategy."""
        return {
            "apiVersion": runtime.API_VERSION,
            "kind": runtime.STRATEGY_KIND,
            "metadata": {"namespace": self.namespace, "name": self.name, "uid": self.uid},
        }


@dataclass
class StateGauge:
    """Keeps alchemiser_strategies{state} equal to the count of strategies in each state."""

    states: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def set(self, key: tuple[str, str], state: str) -> None:
        """Record one strategy's state."""
        old = self.states.get(key)
        if old == state:
            return
        if old is not None:
            self.counts[old] -= 1
        self.states[key] = state
        self.counts[state] += 1
        self._export()

    def forget(self, key: tuple[str, str]) -> None:
        """Drop a deleted strategy."""
        old = self.states.pop(key, None)
        if old is not None:
            self.counts[old] -= 1
            self._export()

    def _export(self) -> None:
        for state in status.STATES:
            metrics.STRATEGIES.labels(state=state).set(self.counts[state])


Key = tuple[str, str]  # (namespace, name) of a strategy


def _calm() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


def _no_strategy(namespace: str, name: str) -> "StrategyRef | None":
    return None


def _no_jobs(namespace: str, name: str) -> list[str]:
    return []


@dataclass
class Sources:
    """Live views of kopf's in-memory indices, read at the moment a decision is made."""

    halts: Callable[[], list[halt_matching.HaltRule]] = list
    strategies: Callable[[], list["StrategyRef"]] = list
    strategy: Callable[[str, str], "StrategyRef | None"] = _no_strategy
    active_jobs: Callable[[str, str], list[str]] = _no_jobs
    # (namespace, ConfigMap) -> the strategies whose symphony allocations reference it
    symphony_users: Callable[[str, str], list[str]] = _no_jobs


def _no_notice(notice: Notice) -> None:
    """The default `notify`: no notifications configured."""


@dataclass
class Context:
    """Collaborators of every workflow: settings, the API client, the clock, the Event sink.

    `locks` serialise the work on one strategy (a kopf handler, halt propagation and the
    resync sweep may touch the same CronJob at once); whoever holds the lock decides
    from `sources` as they are then, so the last writer always wrote the latest truth.
    """

    settings: OperatorSettings
    kube: Kube
    emit: Emit
    clock: Clock = utcnow
    notify: Callable[[Notice], None] = _no_notice  # queues only, never blocks (notify.delivery)
    sources: Sources = field(default_factory=Sources)
    gauge: StateGauge = field(default_factory=StateGauge)
    cronjob_generations: dict[Key, int] = field(default_factory=dict)
    recorded_jobs: set[str] = field(default_factory=set)
    expiry_tasks: dict[str, "asyncio.Task[None]"] = field(default_factory=dict)
    locks: dict[Key, asyncio.Lock] = field(default_factory=dict)
    last_sweep: float | None = None  # time.monotonic() when the resync sweep last finished
    # Clear while a halt is being propagated: background work (the resync sweep, Event
    # posting) waits, so the kill switch has the connection pool and the API to itself.
    calm: asyncio.Event = field(default_factory=_calm)
    _urgent: int = 0
    background: set["asyncio.Task[None]"] = field(default_factory=set)
    # Called once for each circuit-breaker halt created or renewed (notifications); must
    # not block: it runs inside the run-recording workflow.
    claims: accounts.Claims = field(default_factory=accounts.Claims)  # who drives which account

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run `work` in the background, keeping a reference until it ends."""
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @contextlib.contextmanager
    def urgent(self) -> Iterator[None]:
        """Mark a stretch of kill-switch work; background work waits until it ends."""
        self._urgent += 1
        self.calm.clear()
        try:
            yield
        finally:
            self._urgent -= 1
            if not self._urgent:
                self.calm.set()

    def lock(self, namespace: str, name: str) -> asyncio.Lock:
        """The lock for one strategy."""
        return self.locks.setdefault((namespace, name), asyncio.Lock())

    def fresh(self, ref: "StrategyRef") -> "StrategyRef":
        """The newest copy of a strategy: kopf's index when it has one, else `ref`."""
        return self.sources.strategy(ref.namespace, ref.name) or ref


async def write_status(
    ctx: Context,
    ref: StrategyRef,
    new_status: Mapping[str, Any],
    redo: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> None:
    """Patch the status guarded by resourceVersion; on conflict re-read and redo."""
    version = ref.resource_version
    wanted = new_status
    for _ in range(STATUS_RETRIES):
        try:
            await ctx.kube.patch_strategy_status(ref.namespace, ref.name, wanted, version)
            return
        except Conflict:
            fresh = await ctx.kube.get_strategy(ref.namespace, ref.name)
            if fresh is None:
                return
            version = fresh["metadata"].get("resourceVersion")
            wanted = redo(fresh.get("status") or {})
    raise KubeError(f"status of {ref.namespace}/{ref.name} kept changing; will retry")
