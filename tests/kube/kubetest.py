"""Handles on the local control plane for tests: paths, a kubectl runner, polling.

Rule: no pytest here and no cluster start-up; tests/kube/conftest.py owns the
fixtures and hack/devcluster.py owns the processes. Import it from tests under
tests/kube/ as `from kubetest import KubeCluster`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
