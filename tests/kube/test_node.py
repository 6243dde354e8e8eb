"""The local cluster's real node: kubelet, containerd and kube-proxy, secured and routed.

These run real containers of the image `make image` builds (the `node_image` fixture
builds it if needed and loads it into the node).
"""

from __future__ import annotations

import json
import ssl
import textwrap
import urllib.error
import urllib.request
from typing import Any

from kubetest import (
    LOCKED_DOWN,
    NODE_TOLERATION,
    ON_NODE,
    KubeCluster,
    lockdown_report,
    wait_for,
)

from alchemiser.api import TradingStrategySpec
from alchemiser.operator import builders
from alchemiser.operator.builders import StrategyIdentity
from alchemiser.operator.settings import OperatorSettings

RESTRICTED = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _pod(name: str, image: str, command: list[str], **extra: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "main",
        "image": image,
        "imagePullPolicy": "Never",
        "command": command,
        "securityContext": extra.pop("security", RESTRICTED),
    }
    container.update(extra.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "nodeName": "alchemiser-node",
            "tolerations": [NODE_TOLERATION],
            "terminationGracePeriodSeconds": 1,
            "containers": [container],
            **extra,
        },
    }


def _apply(kube_cluster: KubeCluster, namespace: str, manifest: dict[str, Any]) -> None:
    kube_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))


def _running(kube_cluster: KubeCluster, namespace: str, name: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        pod = kube_cluster.get_json("pod", name, "-n", namespace)
        statuses = pod["status"].get("containerStatuses") or []
        return pod if statuses and statuses[0].get("ready") else None

    pod: dict[str, Any] = wait_for(f"pod {name} running", probe, timeout=90)
    return pod


def _exec_python(kube_cluster: KubeCluster, namespace: str, pod: str, code: str) -> str:
    result = kube_cluster.kubectl(
        "exec", "-n", namespace, pod, "--", "python3", "-c", textwrap.dedent(code), timeout=180
    )
    return result.stdout


SLEEPER = [
    "python3",
    "-c",
    "import os, time; print('started as', os.getuid(), flush=True); time.sleep(3600)",
]


def test_real_node_is_ready_and_tainted_for_opt_in_pods(kube_cluster: KubeCluster) -> None:
    """alchemiser-node runs kubelet v1.35.4 on containerd, Ready, with only its own taint."""
    node = kube_cluster.get_json("node", "alchemiser-node")
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True"
    info = node["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.35.4"
    assert info["containerRuntimeVersion"].startswith("containerd://1.6")
    assert [t["key"] for t in node["spec"]["taints"]] == ["alchemiser.io/real-node"]
    addresses = {a["type"]: a["address"] for a in node["status"]["addresses"]}
    assert addresses["InternalIP"] == kube_cluster.node["node_ip"]


def _kubelet_get(kube_cluster: KubeCluster, path: str, client: str | None) -> int:
    pki = kube_cluster.state_dir / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if client:
        context.load_cert_chain(str(pki / f"{client}.crt"), str(pki / f"{client}.key"))
    url = f"https://{kube_cluster.node['node_ip']}:10250{path}"
    try:
        with urllib.request.urlopen(url, context=context, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_kubelet_api_authenticates_and_authorizes_by_webhook(kube_cluster: KubeCluster) -> None:
    """Anonymous: 401; kube-proxy's identity: 403 (no nodes/proxy); the apiserver's: 200."""
    assert _kubelet_get(kube_cluster, "/pods", None) == 401
    assert _kubelet_get(kube_cluster, "/pods", "kube-proxy") == 403
    assert _kubelet_get(kube_cluster, "/pods", "apiserver-kubelet-client") == 200


def test_node_restriction_confines_the_kubelet_to_its_own_node(
    kube_cluster: KubeCluster, namespace: str
) -> None:
    """With kubelet's credentials another node cannot be labelled, nor a Secret read."""
    kube_cluster.kubectl("create", "secret", "generic", "s", "-n", namespace, "--from-literal=k=v")
    as_kubelet = [f"--kubeconfig={kube_cluster.state_dir / 'kubelet.kubeconfig'}"]
    label = kube_cluster.kubectl(
        *as_kubelet, "label", "node", "kwok-node-0", "x=y", "--overwrite", check=False
    )
    assert label.returncode != 0 and "forbidden" in label.stderr.lower(), label.stderr
    secret = kube_cluster.kubectl(*as_kubelet, "get", "secret", "s", "-n", namespace, check=False)
    assert secret.returncode != 0 and "forbidden" in secret.stderr.lower(), secret.stderr
    own = kube_cluster.kubectl(*as_kubelet, "get", "node", "alchemiser-node", check=False)
    assert own.returncode == 0, own.stderr


def test_container_is_locked_down_and_reachable_by_logs_and_exec(
    kube_cluster: KubeCluster, namespace: str, node_image: str
) -> None:
    """uid 10001, read-only root, no capabilities, seccomp filter on; logs and exec work."""
    _apply(kube_cluster, namespace, _pod("locked", node_image, SLEEPER))
    _running(kube_cluster, namespace, "locked")
    logs = wait_for(
        "the container's first log line",
        lambda: (
            "started as 10001" in kube_cluster.kubectl("logs", "-n", namespace, "locked").stdout
        ),
        timeout=30,
    )
    assert logs
    report = lockdown_report(kube_cluster, namespace, "locked")
    assert report == LOCKED_DOWN


def test_pod_that_runs_as_root_is_refused(
    kube_cluster: KubeCluster, namespace: str, node_image: str
) -> None:
    """runAsNonRoot with runAsUser 0: kubelet refuses to start the container."""
    security = {**RESTRICTED, "runAsUser": 0}
    _apply(kube_cluster, namespace, _pod("root", node_image, SLEEPER, security=security))

    def refused() -> str | None:
        pod = kube_cluster.get_json("pod", "root", "-n", namespace)
        for status in pod["status"].get("containerStatuses") or []:
            waiting = status.get("state", {}).get("waiting") or {}
            if waiting.get("reason") == "CreateContainerConfigError":
                return str(waiting.get("message"))
            assert "running" not in status.get("state", {}), status
        return None

    message = wait_for("kubelet to refuse the root container", refused, timeout=60)
    assert "non-root" in message, message


def test_our_worker_pod_template_changed_to_root_is_refused(
    kube_cluster: KubeCluster, namespace: str, node_image: str
) -> None:
    """The operator's own worker pod template, edited to run as uid 0, never starts: its
    runAsNonRoot makes kubelet refuse the container."""
    spec = TradingStrategySpec.model_validate(
        {
            "schedule": "45 15 * * 1-5",
            "mode": "paper",
            "allocations": [{"strategy": "static", "weight": 1.0,
                             "parameters": {"weights": {"SPY": 1.0}}}],
            "broker": {"credentialsSecret": "alpaca-paper"},
        }
    )  # fmt: skip
    (toleration,) = ON_NODE["tolerations"]
    settings = OperatorSettings(
        image=node_image,
        image_pull_policy="Never",
        node_selector=ON_NODE["nodeSelector"],
        tolerations=({**toleration, "value": "true", "operator": "Equal"},),
    )
    identity = StrategyIdentity(namespace, "rooted", "uid-1", {})
    template = builders.pod_template(identity, spec, settings)
    # Root wherever the template names a user (the container's own setting wins).
    template["spec"]["securityContext"]["runAsUser"] = 0
    for container in template["spec"]["containers"]:
        container.setdefault("securityContext", {})["runAsUser"] = 0
    # What the template mounts and runs as, so that only the uid can stop it.
    kube_cluster.kubectl("create", "serviceaccount", "alchemiser-worker", "-n", namespace)
    kube_cluster.kubectl(
        "create", "secret", "generic", "alpaca-paper", "-n", namespace,
        "--from-literal=APCA_API_KEY_ID=k", "--from-literal=APCA_API_SECRET_KEY=s",
    )  # fmt: skip
    metadata = {**template["metadata"], "name": "rooted"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}
    _apply(kube_cluster, namespace, pod)

    def refused() -> str | None:
        found = kube_cluster.get_json("pod", "rooted", "-n", namespace)
        for status in found["status"].get("containerStatuses") or []:
            waiting = status.get("state", {}).get("waiting") or {}
            if waiting.get("reason") == "CreateContainerConfigError":
                return str(waiting.get("message"))
            assert "running" not in status.get("state", {}), status
        return None

    message = wait_for("kubelet to refuse our template as root", refused, timeout=90)
    assert "non-root" in message, message


def test_services_route_to_pods_and_to_the_apiserver(
    kube_cluster: KubeCluster, namespace: str, node_image: str
) -> None:
    """A ClusterIP Service reaches a pod; in-cluster config reaches the apiserver; the
    default service account can read neither Secrets nor strategies."""
    server = ["python3", "-m", "http.server", "8080", "--directory", "/opt/alchemiser"]
    _apply(kube_cluster, namespace, _pod("web", node_image, server))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    _apply(kube_cluster, namespace, service)
    _apply(kube_cluster, namespace, _pod("client", node_image, SLEEPER))
    _running(kube_cluster, namespace, "web")
    _running(kube_cluster, namespace, "client")
    cluster_ip = kube_cluster.get_json("service", "web", "-n", namespace)["spec"]["clusterIP"]
    code = f"""
        import json, time, urllib.request
        import kubernetes
        from kubernetes.client.rest import ApiException
        deadline = time.monotonic() + 90  # kube-proxy writes the Service's rules in seconds
        while True:
            try:
                web = urllib.request.urlopen("http://{cluster_ip}/", timeout=2).status
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        kubernetes.config.load_incluster_config()
        version = kubernetes.client.VersionApi().get_code().git_version
        def status(call):
            try:
                call()
                return 200
            except ApiException as error:
                return error.status
        core = kubernetes.client.CoreV1Api()
        custom = kubernetes.client.CustomObjectsApi()
        print(json.dumps({{
            "web": web, "version": version,
            "secrets": status(lambda: core.list_namespaced_secret("{namespace}")),
            "strategies": status(lambda: custom.list_namespaced_custom_object(
                "alchemiser.io", "v1alpha1", "{namespace}", "tradingstrategies")),
        }}))
    """
    report = json.loads(_exec_python(kube_cluster, namespace, "client", code))
    assert report == {"web": 200, "version": "v1.35.4", "secrets": 403, "strategies": 403}
