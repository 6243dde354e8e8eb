"""The local pod runner on the real control plane behaves as kubelet does for our image."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from chain import PodRunner, credentials, wait
from kubetest import KubeCluster

IMAGE = "ghcr.io/alchemiser/alchemiser:e2e"
# Where the operator mounts credentials; already a mount point on the host after any run.
CREDS = "/var/run/secrets/alchemiser/broker"


def _pod(runner: PodRunner, namespace: str, name: str, script: str, **spec: Any) -> dict[str, Any]:
    container = {
        "name": "main",
        "image": spec.pop("image", IMAGE),
        "command": ["sh", "-c", script],
        **spec.pop("container", {}),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "probe"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [container],
            **runner.placement,
            **spec,
        },
    }


def _apply(kube: KubeCluster, manifest: dict[str, Any]) -> None:
    kube.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(manifest))


def _phase(kube: KubeCluster, namespace: str, name: str) -> Callable[[], Any]:
    def probe() -> Any:
        pod = kube.get_json("pod", name, "-n", namespace)
        return pod if pod["status"].get("phase") in ("Succeeded", "Failed") else None

    return probe


def _terminated(pod: dict[str, Any]) -> dict[str, Any]:
    return dict(pod["status"]["containerStatuses"][0]["state"]["terminated"])


def test_env_volumes_and_security_context_as_kubelet_builds_them(
    kube_cluster: KubeCluster, namespace: str, podrunner: PodRunner
) -> None:
    """valueFrom env, a Secret volume with ..data, a read-only root, the termination message."""
    _apply(kube_cluster, credentials(namespace, "creds", "key-1", "secret-1"))
    kube_cluster.kubectl("create", "configmap", "cm", "-n", namespace, "--from-literal=g=hello")
    token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    script = (
        "touch /probe 2>/dev/null && ro=no || ro=yes; {"
        ' echo "ns=$NS"; echo "app=$APP"; echo "g=$G"; echo "k=$K"; echo "x=$X";'
        f' echo "file=$(cat {CREDS}/APCA_API_KEY_ID)"; echo "data=$(readlink {CREDS}/..data)";'
        f' echo "ro=$ro"; echo "token=$(test -s {token} && echo yes)";'
        " } > /dev/termination-log"
    )
    env = [
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "G", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "g"}}},
        {"name": "K", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "APCA_API_KEY_ID"}}},
        {"name": "X", "value": "$(G)-$(NS)"},
    ]
    pod = _pod(
        podrunner,
        namespace,
        "probe",
        script,
        container={
            "env": env,
            "volumeMounts": [{"name": "creds", "mountPath": CREDS, "readOnly": True}],
            "securityContext": {"readOnlyRootFilesystem": True},
        },
        volumes=[{"name": "creds", "secret": {"secretName": "creds"}}],
    )
    _apply(kube_cluster, pod)
    done = wait("the probe pod to finish", _phase(kube_cluster, namespace, "probe"), 60)
    assert done["status"]["phase"] == "Succeeded"
    assert done["spec"]["nodeName"] == podrunner.node
    seen = dict(line.split("=", 1) for line in _terminated(done)["message"].splitlines())
    assert seen["ns"] == namespace
    assert (seen["app"], seen["g"], seen["k"], seen["file"]) == ("probe", "hello", "key-1", "key-1")
    assert seen["x"] == f"hello-{namespace}"
    assert seen["data"].startswith("..20")
    assert seen["ro"] == "yes"
    assert seen["token"] == "yes"


def test_secret_update_reaches_a_running_container(
    kube_cluster: KubeCluster, namespace: str, podrunner: PodRunner
) -> None:
    """A Secret update swaps ..data under a running process, which then sees the new value."""
    _apply(kube_cluster, credentials(namespace, "creds", "old", "s"))
    script = (
        f'while [ "$(cat {CREDS}/APCA_API_KEY_ID)" != new ]; do sleep 0.1; done; '
        f"readlink {CREDS}/..data > /dev/termination-log"
    )
    pod = _pod(
        podrunner,
        namespace,
        "rotation",
        script,
        container={"volumeMounts": [{"name": "creds", "mountPath": CREDS}]},
        volumes=[{"name": "creds", "secret": {"secretName": "creds"}}],
    )
    _apply(kube_cluster, pod)
    wait(
        "the pod to run",
        lambda: (
            kube_cluster.get_json("pod", "rotation", "-n", namespace)["status"].get("phase")
            == "Running"
        ),
        60,
    )
    first = podrunner.pod_dirs(namespace, "rotation")[0] / "volumes" / "creds" / "..data"
    before = first.readlink()
    _apply(kube_cluster, credentials(namespace, "creds", "new", "s"))
    done = wait("the pod to see the new key", _phase(kube_cluster, namespace, "rotation"), 30)
    assert done["status"]["phase"] == "Succeeded"
    after = _terminated(done)["message"].strip()
    assert after.startswith("..20") and after != str(before)


def test_failure_reports_exit_code_and_falls_back_to_logs(
    kube_cluster: KubeCluster, namespace: str, podrunner: PodRunner
) -> None:
    """Exit 3 with an empty termination file: Failed, exit code 3, message from the log tail."""
    pod = _pod(
        podrunner,
        namespace,
        "fails",
        "echo first; echo boom >&2; exit 3",
        container={"terminationMessagePolicy": "FallbackToLogsOnError"},
    )
    _apply(kube_cluster, pod)
    done = wait("the pod to fail", _phase(kube_cluster, namespace, "fails"), 60)
    assert done["status"]["phase"] == "Failed"
    terminated = _terminated(done)
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert terminated["message"] == "first\nboom\n"


def test_deletion_sends_sigterm_then_sigkill_after_the_grace_period(
    kube_cluster: KubeCluster, namespace: str, podrunner: PodRunner
) -> None:
    """A process that ignores SIGTERM is killed after the grace period; then the pod is gone."""
    script = 'trap "echo got-TERM" TERM; while true; do sleep 0.1; done'
    _apply(
        kube_cluster,
        _pod(podrunner, namespace, "stubborn", script, terminationGracePeriodSeconds=3),
    )
    wait(
        "the pod to run",
        lambda: (
            kube_cluster.get_json("pod", "stubborn", "-n", namespace)["status"].get("phase")
            == "Running"
        ),
        60,
    )
    started = time.monotonic()
    kube_cluster.kubectl("delete", "pod", "stubborn", "-n", namespace, "--wait=true")
    elapsed = time.monotonic() - started
    assert 3 <= elapsed < 15, elapsed
    assert podrunner.lines(rf"pod {namespace}/stubborn: main exited 137 after SIGTERM")
    log = podrunner.pod_dirs(namespace, "stubborn")[0] / "containers" / "main" / "container.log"
    assert "got-TERM" in log.read_text()


def test_foreign_image_stays_pending_with_an_event(
    kube_cluster: KubeCluster, namespace: str, podrunner: PodRunner
) -> None:
    """Only our image runs on alchemiser-local; anything else waits with a Warning Event."""
    _apply(kube_cluster, _pod(podrunner, namespace, "foreign", "echo hi", image="busybox:1.36"))

    def refused() -> Any:
        events = kube_cluster.get_json(
            "events", "-n", namespace, "--field-selector", "involvedObject.name=foreign"
        )["items"]
        return [e for e in events if e["reason"] == "ImageNotRunnable"]

    events = wait("an ImageNotRunnable Event", refused, 60)
    assert events[0]["type"] == "Warning"
    assert "busybox:1.36" in events[0]["message"]
    pod = kube_cluster.get_json("pod", "foreign", "-n", namespace)
    assert pod["status"]["phase"] == "Pending"
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImageNotRunnable"
