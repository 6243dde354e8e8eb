"""Test inputs for the operator's workflows: wire objects, and an in-memory Kube.

FakeKube answers the calls the workflows make (kube.Kube's method names and
shapes) from dictionaries and records every write, so a workflow test states
what was written without a cluster. It is a fake for fast unit tests; the
control-plane tests in tests/kube run the same workflows against a real apiserver.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alchemiser.api import halt_matching
from alchemiser.operator.context import Context, Sources, StrategyRef
from alchemiser.operator.kube import Conflict
from alchemiser.operator.settings import OperatorSettings
from alchemiser.operator.symphonies import referenced_config_maps

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
BOTH_KEYS = frozenset({"APCA_API_KEY_ID", "APCA_API_SECRET_KEY"})


def spec_wire(**overrides: Any) -> dict[str, Any]:
    """A valid strategy spec in wire form."""
    spec: dict[str, Any] = {
        "schedule": "45 15 * * 1-5",
        "mode": "paper",
        "allocations": [
            {"strategy": "static", "weight": 1.0, "parameters": {"weights": {"SPY": 1.0}}}
        ],
        "broker": {"credentialsSecret": "alpaca-paper"},
    }
    spec.update(overrides)
    return spec


def strategy_body(
    name: str = "momentum",
    *,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    namespace: str = "team-a",
) -> dict[str, Any]:
    """A TradingStrategy object as the API returns it."""
    return {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {
            "namespace": namespace,
            "name": name,
            "uid": f"uid-{name}",
            "generation": 1,
            "resourceVersion": "1",
            "labels": labels if labels is not None else {"tier": "prod"},
        },
        "spec": spec_wire() if spec is None else spec,
        "status": status or {},
    }


def halt_body(name: str = "stop", **spec: Any) -> dict[str, Any]:
    """A TradingHalt object as the API returns it."""
    return {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingHalt",
        "metadata": {"name": name, "uid": f"uid-{name}", "generation": 1},
        "spec": {"reason": "test", **spec},
    }


@dataclass
class FakeKube:
    """kube.Kube's workflow-facing calls over dictionaries; `writes` lists every write made."""

    strategies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    cronjobs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    jobs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    pods: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    halts: dict[str, dict[str, Any]] = field(default_factory=dict)
    configmaps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    writes: list[tuple[str, ...]] = field(default_factory=list)
    conflicts: int = 0  # status patches still to answer 409

    def add_strategy(self, body: dict[str, Any]) -> StrategyRef:
        """Store a strategy; returns the snapshot kopf's index would hold."""
        metadata = body["metadata"]
        self.strategies[(metadata["namespace"], metadata["name"])] = body
        return StrategyRef.from_body(body)

    async def secret_keys(self, namespace: str, name: str) -> frozenset[str] | None:
        """The Secret's key names, None when absent."""
        return self.secrets.get((namespace, name))

    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A ConfigMap (a symphony's text), None when absent."""
        return self.configmaps.get((namespace, name))

    async def apply(self, manifest: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Server-side apply: store the manifest; created when it was not there."""
        key = (manifest["metadata"]["namespace"], manifest["metadata"]["name"])
        created = key not in self.cronjobs
        generation = 1 if created else self.cronjobs[key]["metadata"]["generation"] + 1
        metadata = {**manifest["metadata"], "generation": generation, "uid": f"uid-{key[1]}"}
        live = {**manifest, "metadata": metadata}
        self.cronjobs[key] = live
        self.writes.append(("apply", *key))
        return live, created

    async def suspend_cronjob(self, namespace: str, name: str, suspend: bool = True) -> None:
        """Set spec.suspend on a stored CronJob (a missing one is fine)."""
        self.writes.append(("suspend" if suspend else "release", namespace, name))
        if (namespace, name) in self.cronjobs:
            self.cronjobs[(namespace, name)]["spec"]["suspend"] = suspend

    async def delete_job(self, namespace: str, name: str) -> bool:
        """Delete a Job; False when already gone."""
        self.writes.append(("delete-job", namespace, name))
        return self.jobs.pop((namespace, name), None) is not None

    async def create_job(self, manifest: Mapping[str, Any]) -> bool:
        """Create a Job; False when the name is taken."""
        key = (manifest["metadata"]["namespace"], manifest["metadata"]["name"])
        if key in self.jobs:
            return False
        self.jobs[key] = dict(manifest)
        self.writes.append(("create-job", *key))
        return True

    async def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A stored CronJob or None."""
        return self.cronjobs.get((namespace, name))

    async def get_strategy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A stored strategy or None."""
        return self.strategies.get((namespace, name))

    async def patch_strategy_status(
        self, namespace: str, name: str, status: Mapping[str, Any], resource_version: str | None
    ) -> dict[str, Any] | None:
        """Replace a strategy's status; answers Conflict while `conflicts` is positive."""
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict("the object has been modified")
        body = self.strategies.get((namespace, name))
        if body is None:
            return None
        body["status"] = dict(status)
        self.writes.append(("status", namespace, name))
        return body

    async def job_pods(self, namespace: str, job: str) -> list[dict[str, Any]]:
        """The pods stored for a Job."""
        return self.pods.get((namespace, job), [])

    async def annotate_job(self, namespace: str, name: str, annotations: Mapping[str, str]) -> None:
        """Record the annotation write."""
        self.writes.append(("annotate-job", namespace, name, *sorted(annotations.items())[0]))

    async def get_halt(self, name: str) -> dict[str, Any] | None:
        """A stored TradingHalt or None."""
        return self.halts.get(name)

    async def patch_halt_status(self, name: str, status: Mapping[str, Any]) -> None:
        """Store a halt's status."""
        if name in self.halts:
            self.halts[name]["status"] = dict(status)
        self.writes.append(("halt-status", name))


@dataclass
class World:
    """A Context over a FakeKube, with index views and the Events emitted."""

    kube: FakeKube = field(default_factory=FakeKube)
    halts: list[halt_matching.HaltRule] = field(default_factory=list)
    active: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (type, reason, message)
    now: datetime = NOW

    def context(self, settings: OperatorSettings) -> Context:
        """A Context whose sources read this world (the kube fake stands in for kube.Kube)."""
        sources = Sources(
            halts=lambda: list(self.halts),
            strategies=lambda: [StrategyRef.from_body(b) for b in self.kube.strategies.values()],
            strategy=self._strategy,
            active_jobs=lambda namespace, name: list(self.active.get((namespace, name), [])),
            symphony_users=self._symphony_users,
        )
        return Context(
            settings=settings,
            kube=self.kube,  # type: ignore[arg-type]
            emit=lambda _obj, kind, reason, message: self.events.append((kind, reason, message)),
            clock=lambda: self.now,
            sources=sources,
        )

    def _strategy(self, namespace: str, name: str) -> StrategyRef | None:
        body = self.kube.strategies.get((namespace, name))
        return StrategyRef.from_body(body) if body is not None else None

    def _symphony_users(self, namespace: str, config_map: str) -> list[str]:
        return sorted(
            name
            for (ns, name), body in self.kube.strategies.items()
            if ns == namespace and config_map in referenced_config_maps(body["spec"])
        )

    def reasons(self) -> list[str]:
        """The reasons of the Events emitted so far."""
        return [reason for _, reason, _ in self.events]
