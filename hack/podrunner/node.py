"""The runner's Node: registered if missing, kept Ready by a lease and status heartbeat.

kubelet registers its own Node and renews a Lease in kube-node-lease every
10 s; the node lifecycle controller marks the Node NotReady (and taints it)
when the lease goes stale. The runner does the same for its one Node.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from podrunner.kube import ApiError, Kube

Obj = dict[str, Any]
HEARTBEAT_SECONDS = 10.0
LEASE_SECONDS = 40


class NodeTaken(Exception):
    """Another live pod runner holds this Node's lease: two runners would run pods twice."""


def _micro_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NodeKeeper(threading.Thread):
    """Registers the Node and heartbeats it until stopped."""

    def __init__(
        self,
        kube: Kube,
        *,
        node: str,
        labels: dict[str, str],
        taints: list[Obj],
        allocatable: dict[str, str],
        version: str,
    ) -> None:
        super().__init__(name="node-heartbeat", daemon=True)
        self.kube = kube
        self.node = node
        self.labels = labels
        self.taints = taints
        self.allocatable = allocatable
        self.version = version
        self.stopped = threading.Event()
        self.errors = 0
        self.identity = f"podrunner@{socket.gethostname()}:{os.getpid()}"

    def claim(self) -> None:
        """Refuse to serve a Node whose lease another runner renewed within the lease time."""
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node}"
        lease = self.kube.get(path)
        if lease is None:
            return
        spec = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        renewed = spec.get("renewTime")
        if not holder.startswith("podrunner@") or holder == self.identity or not renewed:
            return
        age = datetime.now(UTC) - datetime.fromisoformat(renewed.replace("Z", "+00:00"))
        if age < timedelta(seconds=LEASE_SECONDS):
            raise NodeTaken(
                f"node {self.node} is served by another pod runner ({holder}, lease renewed "
                f"{age.total_seconds():.0f}s ago); stop it first (e.g. `make demo-down`)"
            )

    def register(self) -> None:
        """Create the Node when it does not exist (kubelet's self-registration).

        The API server's admission adds node.kubernetes.io/not-ready to a new Node; the
        local control plane runs no node lifecycle controller to lift it, so the runner
        sets the Node's taints to its own once the Node is created.
        """
        if self.kube.get(f"/api/v1/nodes/{self.node}") is not None:
            return
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node,
                "labels": {"kubernetes.io/hostname": self.node, **self.labels},
            },
            "spec": {"taints": self.taints},
        }
        try:
            self.kube.request("POST", "/api/v1/nodes", body=body)
        except ApiError as error:
            if error.status != 409:
                raise
            return
        self.kube.request(
            "PATCH",
            f"/api/v1/nodes/{self.node}",
            body={"spec": {"taints": self.taints}},
            content_type="application/merge-patch+json",
        )

    def unregister(self) -> None:
        """Delete the Node (for throw-away nodes of test runs)."""
        try:
            self.kube.request("DELETE", f"/api/v1/nodes/{self.node}")
        except ApiError as error:
            if error.status != 404:
                raise

    def beat(self) -> None:
        """Renew the lease and post Ready status with fresh heartbeat times."""
        self._renew_lease()
        stamp = _now()
        conditions = [
            {
                "type": kind,
                "status": value,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": stamp,
            }
            for kind, value, reason, message in (
                ("Ready", "True", "KubeletReady", "alchemiser local pod runner is ready"),
                ("MemoryPressure", "False", "KubeletHasSufficientMemory", "no memory pressure"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure", "no disk pressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID", "no PID pressure"),
            )
        ]
        patch = {
            "status": {
                "conditions": conditions,
                "capacity": self.allocatable,
                "allocatable": self.allocatable,
                "addresses": [
                    {"type": "InternalIP", "address": "127.0.0.1"},
                    {"type": "Hostname", "address": self.node},
                ],
                "nodeInfo": {
                    "kubeletVersion": self.version,
                    "kubeProxyVersion": "",
                    "containerRuntimeVersion": "podrunner://0.1",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "osImage": "alchemiser local pod runner",
                    "kernelVersion": "",
                    "machineID": "",
                    "systemUUID": "",
                    "bootID": "",
                },
            }
        }
        self.kube.request(
            "PATCH",
            f"/api/v1/nodes/{self.node}/status",
            body=patch,
            content_type="application/strategic-merge-patch+json",
        )

    def _renew_lease(self) -> None:
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node}"
        lease = self.kube.get(path)
        if lease is None:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.node, "namespace": "kube-node-lease"},
                "spec": {
                    "holderIdentity": self.identity,
                    "leaseDurationSeconds": LEASE_SECONDS,
                    "renewTime": _micro_now(),
                },
            }
            self.kube.request(
                "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", body=body
            )
            return
        lease["spec"]["holderIdentity"] = self.identity
        lease["spec"]["leaseDurationSeconds"] = LEASE_SECONDS
        lease["spec"]["renewTime"] = _micro_now()
        self.kube.request("PUT", path, body=lease)

    def release(self) -> None:
        """Give the lease up on a clean stop, so another runner may start at once."""
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node}"
        lease = self.kube.get(path)
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
            return
        lease["spec"]["holderIdentity"] = None
        lease["spec"]["renewTime"] = None
        self.kube.request("PUT", path, body=lease)

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.beat()
                self.errors = 0
            except (ApiError, OSError) as error:
                self.errors += 1
                print(f"node heartbeat failed ({self.errors}): {error}", flush=True)
            self.stopped.wait(HEARTBEAT_SECONDS)
