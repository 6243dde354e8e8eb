"""Handles on the local control plane for tests: paths, a kubectl runner, polling.

Rule: no pytest here and no cluster start-up; tests/kube/conftest.py owns the
fixtures and hack/devcluster.py owns the processes. Import it from tests under
tests/kube/ as `from kubetest import KubeCluster`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alchemiser.sim import manifests

T = TypeVar("T")


class KubectlError(subprocess.CalledProcessError):
    """Raised when kubectl exits non-zero and the caller asked for check=True."""

    def __str__(self) -> str:
        return (
            f"{' '.join(map(str, self.cmd))} exited {self.returncode}\n"
            f"stdout: {self.stdout}\nstderr: {self.stderr}"
        )


@dataclasses.dataclass(frozen=True)
class KubeCluster:
    """A running local control plane, as recorded in .devcluster/cluster.json."""

    state_dir: Path
    server: str
    kubeconfig: Path
    kubectl_path: Path
    helm_path: Path
    promtool_path: Path
    path: tuple[str, ...]  # directories with kubectl, helm, promtool, etcd, kwok
    node: dict[str, Any] = dataclasses.field(default_factory=dict)  # the real node (record)

    @classmethod
    def from_record(cls, state_dir: Path) -> KubeCluster:
        record = json.loads((state_dir / "cluster.json").read_text())
        binaries = record["binaries"]
        return cls(
            state_dir=state_dir,
            server=record["server"],
            kubeconfig=Path(record["kubeconfig"]),
            kubectl_path=Path(binaries["kubectl"]),
            helm_path=Path(binaries["helm"]),
            promtool_path=Path(binaries["promtool"]),
            path=tuple(record["path"]),
            node=record.get("node") or {},
        )

    @property
    def env(self) -> dict[str, str]:
        """os.environ with KUBECONFIG and PATH pointing at this cluster's tools."""
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = os.pathsep.join((*self.path, env.get("PATH", "")))
        return env

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """Runs kubectl against this cluster; raises KubectlError on failure if check."""
        command = [str(self.kubectl_path), f"--kubeconfig={self.kubeconfig}", *args]
        result = subprocess.run(
            command,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=self.env,
        )
        if check and result.returncode != 0:
            raise KubectlError(result.returncode, command, result.stdout, result.stderr)
        return result

    def get_json(self, *args: str) -> Any:
        """`kubectl get ARGS -o json`, parsed."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)


def wait_for(
    description: str,
    probe: Callable[[], T | None],
    timeout: float = 60.0,
    interval: float = 0.25,
) -> T:
    """Polls `probe` until it returns something truthy; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {description}")
        time.sleep(interval)


# ------------------------------------------------------------- the real node

NODE_NAME = "alchemiser-node"
NODE_TOLERATION = {"key": "alchemiser.io/real-node", "operator": "Exists", "effect": "NoSchedule"}
# Chart values (operator.* or workers.*) that put pods on the real node, not on kwok's.
ON_NODE: dict[str, Any] = {
    "nodeSelector": {"kubernetes.io/hostname": NODE_NAME},
    "tolerations": [NODE_TOLERATION],
}
SIM_PORT = manifests.PORT


def ready_pod(kube: KubeCluster, namespace: str, selector: str, timeout: float = 120) -> Any:
    """The one pod matching a label selector, once its containers are all ready."""

    def probe() -> Any:
        pods = kube.get_json("pods", "-n", namespace, "-l", selector)["items"]
        for pod in pods:
            statuses = pod["status"].get("containerStatuses") or []
            if statuses and all(s.get("ready") for s in statuses):
                return pod
        return None

    return wait_for(f"a ready pod {selector} in {namespace}", probe, timeout=timeout)


def paper_exchange(
    kube: KubeCluster, namespace: str, image: str, secret: str, now: str, *extra: str
) -> str:
    """The paper exchange as a Deployment + Service on the real node; returns its URL.

    It accepts the credentials of Secret `secret` (read from the mounted file, not argv).
    Addressed by ClusterIP: pods resolve no names (the cluster runs no DNS).
    """
    key_id = kube.kubectl(
        "get", "secret", secret, "-n", namespace, "-o", "jsonpath={.data.APCA_API_KEY_ID}"
    ).stdout
    args = ["--now", now, "--log-json", "--secret-key-file", "/broker/APCA_API_SECRET_KEY"]
    args += [*extra, "--key-id", base64.b64decode(key_id).decode()]
    deployment = manifests.deployment(
        name="paper-exchange", image=image, args=args, secret=secret, secret_dir="/broker",
        placement=ON_NODE, grace_seconds=1,
    )  # fmt: skip
    service = manifests.service(name="paper-exchange")
    for manifest in (deployment, service):
        kube.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))
    ready_pod(kube, namespace, "app=paper-exchange")
    ip = kube.get_json("service", "paper-exchange", "-n", namespace)["spec"]["clusterIP"]
    return f"http://{ip}:{SIM_PORT}"


# What a container reports about itself (run by `kubectl exec`, so checked from inside).
LOCKDOWN_PROBE = """
import json, os
lines = open("/proc/self/status").read().splitlines()
status = dict(line.split(":\\t", 1) for line in lines if ":\\t" in line)
try:
    open("/opt/alchemiser/probe", "w")
    writable = True
except OSError:
    writable = False
fields = {"cap_eff": "CapEff", "cap_bnd": "CapBnd", "seccomp": "Seccomp", "nnp": "NoNewPrivs"}
report = {key: status[name].strip() for key, name in fields.items()}
report.update(uid=os.getuid(), gid=os.getgid(), writable=writable)
print(json.dumps(report))
"""
# uid/gid 10001, a root filesystem that refuses writes, no capabilities at all, a seccomp
# filter (2: RuntimeDefault, not 0: unconfined) and no privilege escalation.
LOCKED_DOWN = {
    "uid": 10001,
    "gid": 10001,
    "writable": False,
    "cap_eff": "0000000000000000",
    "cap_bnd": "0000000000000000",
    "seccomp": "2",
    "nnp": "1",
}


def lockdown_report(kube: KubeCluster, namespace: str, pod: str) -> Any:
    """The container's identity, capabilities, seccomp mode and root writability."""
    result = kube.kubectl(
        "exec", "-n", namespace, pod, "--", "python3", "-c", LOCKDOWN_PROBE, timeout=180
    )
    return json.loads(result.stdout)
