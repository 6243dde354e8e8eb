"""The paper exchange as Kubernetes objects: a Deployment running the image's `alchemiser sim`.

Rule: pure; values only. The one definition `make demo` (hack/demo.py) and the kube tests
deploy, so how the exchange runs in a cluster (its lock-down, probe, mounts) is decided
once. The exchange reads its secret key from a mounted Secret, never from argv.
"""

from collections.abc import Mapping, Sequence
from typing import Any

PORT = 8765


def deployment(
    *,
    name: str,
    image: str,
    args: Sequence[str],
    secret: str,
    secret_dir: str,
    placement: Mapping[str, Any],
    state: bool = False,
    namespace: str | None = None,
    probe_seconds: int = 1,
    grace_seconds: int | None = None,
) -> dict[str, Any]:
    """One replica of `alchemiser sim --host 0.0.0.0 --port PORT ARGS...` from `image`.

    `secret` is mounted read-only at `secret_dir`; `state` adds an emptyDir at /state
    (for `--state /state/...`); `placement` holds the pod's nodeSelector/tolerations.
    The container runs non-root with a read-only root, no capabilities and seccomp.
    """
    mounts: list[dict[str, Any]] = [{"name": "key", "mountPath": secret_dir, "readOnly": True}]
    volumes: list[dict[str, Any]] = [{"name": "key", "secret": {"secretName": secret}}]
    if state:
        mounts.append({"name": "state", "mountPath": "/state"})
        volumes.append({"name": "state", "emptyDir": {}})
    container = {
        "name": "sim",
        "image": image,
        "imagePullPolicy": "Never",
        "args": ["sim", "--host", "0.0.0.0", "--port", str(PORT), *args],
        "ports": [{"containerPort": PORT}],
        "readinessProbe": {"tcpSocket": {"port": PORT}, "periodSeconds": probe_seconds},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": mounts,
    }
    pod: dict[str, Any] = {
        **placement,
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": volumes,
    }
    if grace_seconds is not None:
        pod["terminationGracePeriodSeconds"] = grace_seconds
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(name, namespace),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels(name)},
            "template": {"metadata": {"labels": labels(name)}, "spec": pod},
        },
    }


def service(*, name: str, namespace: str | None = None) -> dict[str, Any]:
    """A ClusterIP Service in front of `deployment(name=...)`'s pod, on PORT."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(name, namespace),
        "spec": {"selector": labels(name), "ports": [{"port": PORT, "targetPort": PORT}]},
    }


def labels(name: str) -> dict[str, str]:
    """The pod labels of the exchange called `name` (`kubectl -l app=NAME`)."""
    return {"app": name}


def _metadata(name: str, namespace: str | None) -> dict[str, str]:
    return {"name": name, **({"namespace": namespace} if namespace else {})}
