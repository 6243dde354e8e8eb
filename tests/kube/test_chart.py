"""The Helm chart on the real local control plane, with RBAC enforced.

The rendered chart passes the apiserver's server-side dry run; installed with the image
built from the Dockerfile, its operator Deployment runs on the real node (kubelet,
containerd) under the chart's ServiceAccount, reconciles a strategy, has a worker
container from the CronJob's pod template trade against the paper exchange (a Deployment
+ Service in the cluster), propagates a halt and records the run result, with no
Forbidden anywhere in its log; the worker ServiceAccount can read TradingHalts and nothing
else; and every metric the alerts and dashboards name is on the live /metrics page.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubetest import (
    LOCKED_DOWN,
    ON_NODE,
    KubeCluster,
    lockdown_report,
    paper_exchange,
    ready_pod,
    wait_for,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chart"))

from chart_support import (
    ALL_FEATURES,
    CHART,
    PROMETHEUS_SYNTHETIC,
    all_metric_names,
    exported_names,
    helm_template,
)

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]
FIELD_MANAGER = "alchemiser-chart-test"

# A hand-written subset of prometheus-operator's ServiceMonitor and PrometheusRule CRDs
# (their upstream manifests are not in any package registry reachable here): exactly
# the fields the chart uses, typed, and nothing else, so a strict server-side dry run
# rejects a misspelt or misplaced field. It proves the chart's objects have the shape
# written here, not that they match upstream's full schema.
_STRING = {"type": "string"}
_STRINGS = {"type": "object", "additionalProperties": _STRING}
MONITORING_CRDS: list[dict[str, Any]] = [
    {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.monitoring.coreos.com"},
        "spec": {
            "group": "monitoring.coreos.com",
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": plural[:-1], "kind": kind},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": spec},
                        }
                    },
                }
            ],
        },
    }
    for plural, kind, spec in (
        (
            "servicemonitors",
            "ServiceMonitor",
            {
                "type": "object",
                "required": ["selector", "endpoints"],
                "properties": {
                    "jobLabel": _STRING,
                    "namespaceSelector": {
                        "type": "object",
                        "properties": {"matchNames": {"type": "array", "items": _STRING}},
                    },
                    "selector": {"type": "object", "properties": {"matchLabels": _STRINGS}},
                    "endpoints": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "port": _STRING,
                                "path": _STRING,
                                "scheme": {"type": "string", "enum": ["http", "https"]},
                                "interval": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                                "scrapeTimeout": {
                                    "type": "string",
                                    "pattern": "^([0-9]+(ms|s|m|h))+$",
                                },
                            },
                        },
                    },
                },
            },
        ),
        (
            "prometheusrules",
            "PrometheusRule",
            {
                "type": "object",
                "properties": {
                    "groups": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "rules"],
                            "properties": {
                                "name": _STRING,
                                "interval": _STRING,
                                "rules": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["expr"],
                                        "properties": {
                                            "alert": _STRING,
                                            "record": _STRING,
                                            "expr": {"x-kubernetes-int-or-string": True},
                                            "for": {
                                                "type": "string",
                                                "pattern": "^([0-9]+(ms|s|m|h|d|w|y))+$",
                                            },
                                            "labels": _STRINGS,
                                            "annotations": _STRINGS,
                                        },
                                    },
                                },
                            },
                        },
                    }
                },
            },
        ),
    )
]


def _documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _render(
    kube: KubeCluster, values: dict[str, Any], *, release: str, namespace: str, tmp: Path
) -> list[dict[str, Any]]:
    version = json.loads(kube.kubectl("version", "-o", "json").stdout)["serverVersion"]
    result = helm_template(
        values,
        release=release,
        namespace=namespace,
        kube_version=version["gitVersion"].lstrip("v"),
        tmp=tmp,
    )
    assert result.returncode == 0, result.stderr
    return _documents(result.stdout)


def _apply(kubectl: Kubectl, docs: list[dict[str, Any]], *flags: str) -> str:
    result = kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        f"--field-manager={FIELD_MANAGER}",
        "--validate=strict",
        *flags,
        "-f",
        "-",
        input=yaml.safe_dump_all(docs),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def _install_crds(kubectl: Kubectl, docs: list[dict[str, Any]]) -> None:
    crds = [doc for doc in docs if doc["kind"] == "CustomResourceDefinition"]
    _apply(kubectl, crds)
    for crd in crds:
        kubectl(
            "wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd['metadata']['name']}"
        )


def _without_crds(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] != "CustomResourceDefinition"]


@pytest.fixture
def extra_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    """A second namespace (the release's), deleted afterwards."""
    name = f"t-chart-system-{secrets.token_hex(3)}"
    kube_cluster.kubectl("create", "namespace", name)
    yield name
    kube_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def cluster_objects(kube_cluster: KubeCluster) -> Iterator[list[dict[str, Any]]]:
    """Cluster-scoped objects a test created (other than CRDs); deleted afterwards."""
    created: list[dict[str, Any]] = []
    yield created
    for doc in created:
        where = ["-n", doc["metadata"]["namespace"]] if "namespace" in doc["metadata"] else []
        kube_cluster.kubectl(
            "delete",
            doc["kind"],
            doc["metadata"]["name"],
            *where,
            "--ignore-not-found",
            check=False,
        )


def _outside(docs: list[dict[str, Any]], namespaces: set[str]) -> list[dict[str, Any]]:
    """Objects that deleting the test namespaces leaves behind (CRDs are shared, kept)."""
    return [
        doc
        for doc in docs
        if doc["kind"] != "CustomResourceDefinition"
        and doc["metadata"].get("namespace") not in namespaces
    ]


def test_rendered_chart_passes_server_side_dry_run(
    kube_cluster: KubeCluster, namespace: str, extra_namespace: str, tmp_path: Path
) -> None:
    """Defaults and every optional feature pass a strict server-side dry run on the apiserver."""
    kubectl = kube_cluster.kubectl
    _apply(kubectl, MONITORING_CRDS)
    for crd in MONITORING_CRDS:
        kubectl(
            "wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd['metadata']['name']}"
        )
    release = f"dry-{secrets.token_hex(3)}"
    everything = {**ALL_FEATURES, "operator": {"watchNamespaces": [namespace]}}
    for values in ({}, everything):
        docs = _render(
            kube_cluster, values, release=release, namespace=extra_namespace, tmp=tmp_path
        )
        _install_crds(kubectl, docs)
        out = _apply(kubectl, docs, "--dry-run=server")
        kinds = {doc["kind"] for doc in docs}
        assert out.count("(server dry run)") == len(docs), out
        if values:
            assert {"ServiceMonitor", "PrometheusRule", "ConfigMap", "KopfPeering"} <= kinds
    # Nothing was created by the dry runs.
    assert kubectl("get", "clusterrole", f"{release}-alchemiser-operator", check=False).returncode


def test_helm_installs_upgrades_and_uninstalls_the_release(
    kube_cluster: KubeCluster, namespace: str, extra_namespace: str
) -> None:
    """helm itself installs (hook included), upgrades and uninstalls the chart on the apiserver.

    crds.install=false: the CRDs already exist in this shared cluster, applied by kubectl
    (tests, `make demo`), and Helm refuses to take over objects it did not create.
    """
    release = f"helm-{secrets.token_hex(3)}"
    helm = [
        str(kube_cluster.helm_path),
        f"--kubeconfig={kube_cluster.kubeconfig}",
        f"--namespace={extra_namespace}",
    ]
    values = [
        "--set=crds.install=false",
        f"--set=operator.watchNamespaces={{{namespace}}}",
        f"--set=operator.peering.name={release}",
    ]

    def helm_run(*args: str) -> str:
        result = subprocess.run(
            [*helm, *args], capture_output=True, text=True, check=False, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    try:
        out = helm_run("install", release, str(CHART), *values, "--wait", "--timeout=120s")
        assert "STATUS: deployed" in out and "rollout status" in out
        peering = kube_cluster.get_json("kopfpeering", release, "-n", namespace)
        assert peering["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
        role = kube_cluster.get_json("clusterrole", f"{release}-alchemiser-worker")
        assert role["rules"][0]["verbs"] == ["get", "list", "watch"]
        out = helm_run("upgrade", release, str(CHART), *values, "--set=allowLiveTrading=true")
        assert "STATUS: deployed" in out and "Live trading: ALLOWED" in out
        deployment = kube_cluster.get_json(
            "deployment", f"{release}-alchemiser-operator", "-n", extra_namespace
        )
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert "--allow-live-trading" in container["args"]
    finally:
        helm_run("uninstall", release, "--wait", "--timeout=120s")
    gone = kube_cluster.kubectl("get", "clusterrole", f"{release}-alchemiser-worker", check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    kube_cluster.kubectl("delete", "kopfpeering", release, "-n", namespace, "--ignore-not-found")


def test_cluster_wide_install_grants_the_same_verbs_everywhere_and_no_more(
    kube_cluster: KubeCluster,
    namespace: str,
    extra_namespace: str,
    cluster_objects: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    """Default values (all namespaces): the operator's verbs hold in any namespace, no more."""
    release = f"wide-{secrets.token_hex(3)}"
    values = {"workers": {"namespaces": [namespace]}}
    docs = _render(kube_cluster, values, release=release, namespace=extra_namespace, tmp=tmp_path)
    rbac = [
        doc
        for doc in docs
        if doc["kind"] in {"ServiceAccount", "ClusterRole", "ClusterRoleBinding"}
    ]
    cluster_objects.extend(_outside(rbac, {namespace, extra_namespace}))
    _apply(kube_cluster.kubectl, rbac)
    operator = f"system:serviceaccount:{extra_namespace}:{release}-alchemiser-operator"
    for args in (
        ("list", "tradingstrategies.alchemiser.io", "--all-namespaces"),
        ("watch", "jobs.batch", "--all-namespaces"),
        ("patch", "tradingstrategies.alchemiser.io", "--subresource=status", "-n", "default"),
        ("create", "cronjobs.batch", "-n", "default"),
        ("get", "secrets", "-n", "default"),
        ("create", "events", "-n", "default"),
        ("patch", "clusterkopfpeerings.kopf.dev"),
        ("list", "customresourcedefinitions.apiextensions.k8s.io"),
        ("patch", "tradinghalts.alchemiser.io", "--subresource=status"),
        ("create", "tradinghalts.alchemiser.io"),  # a circuit breaker trips
        ("delete", "tradinghalts.alchemiser.io"),  # a deleted strategy's breaker halts go
    ):
        assert _can(kube_cluster, operator, *args), args
    for args in (
        ("list", "secrets", "--all-namespaces"),
        ("update", "tradinghalts.alchemiser.io"),
        ("update", "tradingstrategies.alchemiser.io", "-n", "default"),
        ("delete", "cronjobs.batch", "-n", "default"),
        ("list", "namespaces"),
        ("create", "pods", "-n", "default"),
        ("create", "clusterroles.rbac.authorization.k8s.io"),
        ("patch", "kopfpeerings.kopf.dev", "-n", "default"),
    ):
        assert not _can(kube_cluster, operator, *args), args
    _check_worker_permissions(
        kube_cluster, f"system:serviceaccount:{namespace}:alchemiser-worker", namespace
    )


# ---------------------------------------------------------------- the live operator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Operator:
    """The chart's operator pod on the real node: its logs and where to reach it."""

    kube: KubeCluster
    namespace: str
    pod: str
    ip: str
    metrics_port: int

    @property
    def metrics_url(self) -> str:
        return f"http://{self.ip}:{self.metrics_port}/metrics"  # the host routes to pod IPs

    def text(self) -> str:
        logs = self.kube.kubectl("logs", "-n", self.namespace, self.pod, check=False)
        return logs.stdout + logs.stderr

    def restarts(self) -> int:
        pod = self.kube.get_json("pod", self.pod, "-n", self.namespace)
        return sum(s.get("restartCount", 0) for s in pod["status"].get("containerStatuses", []))


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def _operator_env(docs: list[dict[str, Any]], pod_name: str) -> dict[str, str]:
    """The chart's environment for the operator container, the downward API filled in."""
    env = {}
    for item in _container(docs).get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            assert item["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}, item
            env[item["name"]] = pod_name
    return env


def _operator_argv(docs: list[dict[str, Any]], metrics_port: int, health_port: int) -> list[str]:
    """The chart's own operator arguments, with local ports and a loopback address."""
    container = _container(docs)
    local = {
        "--metrics-address": "127.0.0.1",
        "--metrics-port": str(metrics_port),
        "--health-port": str(health_port),
    }
    argv = []
    for arg in container["args"]:
        flag = arg.split("=", 1)[0]
        argv.append(f"{flag}={local[flag]}" if flag in local else arg)
    assert argv[0] == "operator"
    return argv


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _get(kube: KubeCluster, *args: str) -> dict[str, Any]:
    result = kube.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else {}


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("type") == kind:
            return str(condition.get("status"))
    return None


def _can(kube: KubeCluster, who: str, *args: str) -> bool:
    result = kube.kubectl("auth", "can-i", *args, f"--as={who}", check=False)
    assert result.stdout.strip() in {"yes", "no"}, result.stdout + result.stderr
    return result.stdout.strip() == "yes"


def _strategy(name: str, endpoint: str) -> dict[str, Any]:
    return {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {"name": name, "labels": {"team": "chart-test"}},
        "spec": {
            # Sunday 03:00: never fires by itself during the test; runs come from run-now.
            "schedule": "0 3 * * 0",
            "mode": "paper",
            "allocations": [
                {
                    "strategy": "static",
                    "weight": 1.0,
                    "parameters": {"weights": {"SPY": 0.5, "TLT": 0.5}},
                }
            ],
            "broker": {"credentialsSecret": "broker", "endpoint": endpoint},
            # Half of the $100,000 paper account per order.
            "risk": {"maxOrderNotional": 60000, "maxDailyNotional": 200000},
        },
    }


def test_operator_runs_with_only_the_charts_permissions(
    *,
    kube_cluster: KubeCluster,
    namespace: str,
    extra_namespace: str,
    cluster_objects: list[dict[str, Any]],
    node_image: str,
    tmp_path: Path,
) -> None:
    """The chart's operator pod, from the built image on the real node, reconciles, has a
    worker container trade, halts and records the run, with the chart's permissions only."""
    kube = kube_cluster
    kubectl = kube.kubectl
    release = f"chart-{secrets.token_hex(3)}"
    repository, tag = node_image.rsplit(":", 1)
    values = {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "Never"},
        "operator": {
            "watchNamespaces": [namespace],
            "peering": {"enabled": True, "name": release},
            **ON_NODE,
        },
        "workers": ON_NODE,
    }
    docs = _render(kube, values, release=release, namespace=extra_namespace, tmp=tmp_path)
    cluster_objects.extend(_outside(docs, {namespace, extra_namespace}))
    _install_crds(kubectl, docs)

    operator_sa = f"system:serviceaccount:{extra_namespace}:{release}-alchemiser-operator"
    worker_sa = f"system:serviceaccount:{namespace}:alchemiser-worker"
    key_id, secret_key = f"chart-{secrets.token_hex(4)}", secrets.token_hex(16)
    kubectl(
        "create", "secret", "generic", "broker", "-n", namespace,
        f"--from-literal=APCA_API_KEY_ID={key_id}",
        f"--from-literal=APCA_API_SECRET_KEY={secret_key}",
    )  # fmt: skip
    # Inside today's regular session (2026-11-27 closes at 13:00 New York).
    sim_url = paper_exchange(kube, namespace, node_image, "broker", "2026-11-27T15:00:00+00:00")
    _apply(kubectl, _without_crds(docs))
    _check_worker_permissions(kube, worker_sa, namespace)
    _check_operator_permissions(kube, operator_sa, namespace, extra_namespace)

    selector = "app.kubernetes.io/component=operator,app.kubernetes.io/instance=" + release
    pod = ready_pod(kube, extra_namespace, selector, timeout=180)  # the readiness probe: /healthz
    assert pod["spec"]["nodeName"] == "alchemiser-node"
    ports = {port["name"]: port["containerPort"] for port in _container(docs)["ports"]}
    # The runtime enforces the chart's securityContext: checked from inside the container.
    assert lockdown_report(kube, extra_namespace, pod["metadata"]["name"]) == LOCKED_DOWN
    metrics_port = int(ports["metrics"])
    operator = Operator(
        kube, extra_namespace, pod["metadata"]["name"], pod["status"]["podIP"], metrics_port
    )
    try:
        _exercise(kube=kube, operator=operator, namespace=namespace, sim_url=sim_url,
                  tmp_path=tmp_path)  # fmt: skip
    finally:
        (tmp_path / "operator.log").write_text(operator.text())
        # Deleted while the operator runs, so kopf releases its finalizer and the
        # namespace can go.
        kubectl(
            "delete", "tradingstrategies", "--all", "-n", namespace, "--timeout=60s", check=False
        )
        kubectl("delete", "deployment", "--all", "-n", extra_namespace, check=False)
    assert operator.restarts() == 0
    denied = _denials(operator.text())
    assert not denied, "the operator was refused (RBAC or credentials):\n" + "\n".join(denied)


def _denials(log: str) -> list[str]:
    """Log lines where the API server refused the operator, or kopf lacked a permission."""
    needles = ("forbidden", "not enough permissions", "http 403", "http 401", "unauthorized")
    lines = [line[:400] for line in log.splitlines() if any(n in line.lower() for n in needles)]
    return lines[:5]


def _exercise(
    *, kube: KubeCluster, operator: Operator, namespace: str, sim_url: str, tmp_path: Path
) -> None:
    def wait(description: str, probe: Callable[[], Any], timeout: float) -> Any:
        try:
            return wait_for(description, probe, timeout=timeout, interval=0.5)
        except AssertionError as error:
            raise AssertionError(
                f"{error}\noperator log (end):\n{operator.text()[-3000:]}"
            ) from None

    def alive() -> bool:
        assert operator.restarts() == 0, f"operator restarted:\n{operator.text()[-4000:]}"
        return True

    # 1. Reconciled: the CronJob exists and the strategy is Ready.
    name = "chart-e2e"
    kube.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(_strategy(name, sim_url)))

    def ready() -> dict[str, Any] | None:
        alive()
        strategy = _get(kube, "tradingstrategy", name, "-n", namespace)
        return strategy if _condition(strategy, "Ready") == "True" else None

    strategy = wait("the strategy to be Ready", ready, timeout=90)
    cronjob_name = strategy["status"]["cronJobName"]
    cronjob = _get(kube, "cronjob", cronjob_name, "-n", namespace)
    assert cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"] == (
        "alchemiser-worker"
    )

    # 2. A run result recorded: run now, kubelet runs the worker container.
    kube.kubectl(
        "annotate", "tradingstrategy", name, "-n", namespace,
        f"alchemiser.io/run-now={int(time.time())}", "--overwrite",
    )  # fmt: skip

    def recorded() -> dict[str, Any] | None:
        alive()
        last = _get(kube, "tradingstrategy", name, "-n", namespace).get("status", {}).get("lastRun")
        return last if last and last.get("outcome") else None

    last_run = wait("the run result in status.lastRun", recorded, timeout=240)
    (tmp_path / "run.json").write_text(
        json.dumps(
            {
                "lastRun": last_run,
                "pods": _get(kube, "pods", "-n", namespace),
                "jobs": _get(kube, "jobs", "-n", namespace),
            },
            indent=1,
        )
    )
    # The worker also read TradingHalts with the chart's worker ServiceAccount: had it been
    # refused, it would have failed closed instead of trading.
    worker_logs = kube.kubectl("logs", "-n", namespace, "-l", "job-name", "--tail=40", check=False)
    assert last_run["outcome"] == "Succeeded", (last_run, worker_logs.stdout[-3000:])
    assert last_run["ordersSubmitted"] >= 2 and last_run["notional"] > 0, last_run

    # 3. A halt propagated: the CronJob is suspended and the halt counts the strategy.
    halt = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingHalt",
        "metadata": {"name": f"{namespace}-halt"},
        "spec": {"reason": "chart test", "mode": "Halt", "namespaces": [namespace]},
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(halt))
    try:

        def suspended() -> bool:
            alive()
            return bool(_get(kube, "cronjob", cronjob_name, "-n", namespace)["spec"].get("suspend"))

        wait("the CronJob to be suspended by the halt", suspended, timeout=60)

        def counted() -> dict[str, Any] | None:
            alive()
            status = _get(kube, "tradinghalt", halt["metadata"]["name"]).get("status", {})
            return status if status.get("affectedStrategies") == 1 else None

        halt_status = wait("the halt's status", counted, timeout=60)
        (tmp_path / "halt-status.json").write_text(json.dumps(halt_status, indent=1))
        halted = _get(kube, "tradingstrategy", name, "-n", namespace)
        assert halt["metadata"]["name"] in halted["status"].get("haltedBy", [])
    finally:
        kube.kubectl("delete", "tradinghalt", halt["metadata"]["name"], "--ignore-not-found")

    def resumed() -> bool:
        alive()
        return not _get(kube, "cronjob", cronjob_name, "-n", namespace)["spec"].get("suspend")

    wait("the CronJob to resume after the halt is deleted", resumed, timeout=60)

    # 3b. A halt that expires: the operator re-reads it (get) at expiresAt and resumes.
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    expiring = {
        **halt,
        "metadata": {"name": f"{namespace}-expiring"},
        "spec": {**halt["spec"], "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(expiring))
    try:
        wait("the CronJob to be suspended by the expiring halt", suspended, timeout=60)
        wait("the CronJob to resume when the halt expires", resumed, timeout=90)
        assert datetime.now(UTC) >= expires
    finally:
        kube.kubectl("delete", "tradinghalt", expiring["metadata"]["name"], "--ignore-not-found")

    # 4. Every metric the alerts and dashboards use is on the live page.
    with urllib.request.urlopen(operator.metrics_url, timeout=5) as response:
        page = response.read().decode()
    live = exported_names(page)
    rendered = helm_template({"metrics": {"prometheusRule": {"enabled": True}}}, tmp=tmp_path)
    docs = _documents(rendered.stdout)
    for where, names in all_metric_names(docs).items():
        missing = names - live - PROMETHEUS_SYNTHETIC
        assert not missing, f"{where} uses {sorted(missing)}, absent from the live /metrics"
    assert f'strategy="{name}"' in page


def test_live_metrics_page_has_every_metric_the_rules_and_dashboards_use(
    kube_cluster: KubeCluster, namespace: str, tmp_path: Path
) -> None:
    """A running operator (chart's flags, admin identity) serves every metric family named."""
    values = {"operator": {"watchNamespaces": [namespace], "peering": {"enabled": False}}}
    docs = _render(kube_cluster, values, release="metrics", namespace=namespace, tmp=tmp_path)
    _install_crds(kube_cluster.kubectl, docs)
    metrics_port, health_port = _free_port(), _free_port()
    log = tmp_path / "operator.log"
    env = {**os.environ, **_operator_env(docs, "metrics-test")}
    env["KUBECONFIG"] = str(kube_cluster.kubeconfig)
    argv = _operator_argv(docs, metrics_port, health_port)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "alchemiser.cli", *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:

        def page() -> str | None:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                url = f"http://127.0.0.1:{metrics_port}/metrics"
                with urllib.request.urlopen(url, timeout=2) as response:
                    return str(response.read().decode())
            except OSError:
                return None

        text = wait_for("the operator's /metrics", page, timeout=60, interval=0.5)
    finally:
        _stop(process)
    live = exported_names(text)
    rendered = helm_template({"metrics": {"prometheusRule": {"enabled": True}}}, tmp=tmp_path)
    used = all_metric_names(_documents(rendered.stdout))
    assert len(used) == 11  # 9 alerts, 2 dashboards
    for where, names in used.items():
        missing = names - live - PROMETHEUS_SYNTHETIC
        assert not missing, f"{where} uses {sorted(missing)}, absent from the live /metrics"


def _check_worker_permissions(kube: KubeCluster, worker: str, namespace: str) -> None:
    """The worker reads TradingHalts and nothing else: no Secrets, no strategies, no pods."""
    for verb in ("get", "list", "watch"):
        assert _can(kube, worker, verb, "tradinghalts.alchemiser.io"), verb
    for args in (
        ("get", "secrets"),
        ("list", "secrets"),
        ("get", "tradingstrategies.alchemiser.io"),
        ("list", "tradingstrategies.alchemiser.io"),
        ("create", "tradinghalts.alchemiser.io"),
        ("delete", "tradinghalts.alchemiser.io"),
        ("list", "pods"),
        ("create", "jobs.batch"),
    ):
        assert not _can(kube, worker, *args, "-n", namespace), args


def _check_operator_permissions(
    kube: KubeCluster, operator: str, namespace: str, own_namespace: str
) -> None:
    """The operator's rights stop at the watched namespace and at what its code uses."""
    assert _can(kube, operator, "create", "cronjobs.batch", "-n", namespace)
    assert _can(kube, operator, "get", "secrets", "-n", namespace)
    assert _can(kube, operator, "create", "events", "-n", "default")  # events about halts
    assert _can(kube, operator, "create", "tradinghalts.alchemiser.io")  # breakers trip halts
    for args in (
        ("list", "secrets", "-n", namespace),
        ("get", "secrets", "-n", own_namespace),
        ("get", "secrets", "-n", "default"),
        ("create", "cronjobs.batch", "-n", "default"),
        ("list", "tradingstrategies.alchemiser.io", "-n", "default"),
        ("update", "tradinghalts.alchemiser.io"),
        ("delete", "tradingstrategies.alchemiser.io", "-n", namespace),
        ("create", "pods", "-n", namespace),
        ("update", "cronjobs.batch", "-n", namespace),
    ):
        assert not _can(kube, operator, *args), args
