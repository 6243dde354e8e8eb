"""TradingBacktest on the real control plane: an Indexed Job per sweep, status, report ConfigMap.

The operator runs as a subprocess serving namespaces named t-test-bt-* and routes pods
to a node no one serves, as tests/kube/test_operator.py does. Each pod of the Job is
then run here as the kubelet would run it: the real `alchemiser backtest-job` with the
pending pod's environment (its completion index from the downward API), under the
ServiceAccount the pod names (a token of `alchemiser-backtest`, allowed by a Role only
to write ConfigMaps, as the chart grants it), and its termination message written into
the pod's status. The operator must then put each variant's figures in status.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubetest import KubeCluster, wait_for
from test_operator import LOG_DIR, Operator, get, terminate_pod

from alchemiser.api import runtime

PATTERN = "t-test-bt-*"
ACCOUNT = "alchemiser-backtest"
PORTFOLIO = {
    "schedule": "45 15 * * 1-5",
    "allocations": [
        {"strategy": "nuclear", "weight": 0.3},
        {"strategy": "tecl", "weight": 0.5},
        {"strategy": "klm", "weight": 0.2},
    ],
    "broker": {"credentialsSecret": "unused-by-backtests"},
    # Room for whole-portfolio rebalances of 100,000 USD (the defaults refuse most of them).
    "risk": {"maxOrderNotional": 1e6, "maxPositionFraction": 1, "maxDailyNotional": 1e7},
}


@pytest.fixture(scope="module")
def operator(kube_cluster: KubeCluster, crds: None) -> Iterator[Operator]:
    """The operator serving namespaces named t-test-bt-*, standalone."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    process = Operator(
        kube_cluster, LOG_DIR / f"backtest-{os.getpid()}.log", f"--namespace={PATTERN}",
        "--standalone",
    )  # fmt: skip
    try:
        yield process.wait_ready()
    finally:
        process.stop()


def _account(kube: KubeCluster, namespace: str, root: Path) -> Path:
    """The backtest ServiceAccount and its Role (ConfigMaps only); a kubeconfig with its token."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": ACCOUNT, "namespace": namespace},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "patch"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": ACCOUNT, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ACCOUNT},
        "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": namespace}],
    }
    kube.kubectl("create", "serviceaccount", ACCOUNT, "-n", namespace)
    kube.kubectl("apply", "-f", "-", input=json.dumps({"kind": "List", "apiVersion": "v1",
                                                       "items": [role, binding]}))  # fmt: skip
    token = kube.kubectl("create", "token", ACCOUNT, "-n", namespace).stdout.strip()
    admin = yaml.safe_load(kube.kubectl("config", "view", "--raw", "--minify").stdout)
    cluster = admin["clusters"][0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": ACCOUNT, "user": {"token": token}}],
        "contexts": [
            {
                "name": ACCOUNT,
                "context": {"cluster": cluster["name"], "user": ACCOUNT, "namespace": namespace},
            },
        ],
        "current-context": ACCOUNT,
    }
    path = root / "backtest-kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def _backtest(kube: KubeCluster, namespace: str, name: str, spec: dict[str, Any]) -> None:
    document = {
        "apiVersion": runtime.API_VERSION,
        "kind": runtime.BACKTEST_KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(document))


def _tbt(kube: KubeCluster, namespace: str, name: str) -> dict[str, Any]:
    return get(kube, "tradingbacktest", name, "-n", namespace) or {}


def _state(kube: KubeCluster, namespace: str, name: str, wanted: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        found = _tbt(kube, namespace, name)
        return found if (found.get("status") or {}).get("state") == wanted else None

    return wait_for(f"{namespace}/{name} {wanted}", reached, timeout=60)


def _environment(pod: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet resolves it (values, labels, annotations)."""
    metadata = pod["metadata"]
    out: dict[str, str] = {}
    for item in pod["spec"]["containers"][0].get("env") or []:
        if "value" in item:
            out[item["name"]] = item["value"]
            continue
        path = item["valueFrom"]["fieldRef"]["fieldPath"]
        for field in ("labels", "annotations"):
            prefix = f"metadata.{field}['"
            if path.startswith(prefix):
                out[item["name"]] = metadata[field][path.removeprefix(prefix).removesuffix("']")]
        if path == "metadata.namespace":
            out[item["name"]] = metadata["namespace"]
    return out


def _run_pod(pod: dict[str, Any], kubeconfig: Path, root: Path) -> tuple[str, int]:
    """`alchemiser backtest-job` with the pod's environment; its termination message, exit code."""
    name = pod["metadata"]["name"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(_environment(pod))
    env["KUBECONFIG"] = str(kubeconfig)
    termination = root / f"{name}.termination-log"
    argv = [sys.executable, "-m", "alchemiser.cli", "backtest-job",
            "--termination-log", str(termination)]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    (root / f"{name}.log").write_text(done.stdout + done.stderr)
    assert termination.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return termination.read_text(), done.returncode


def _pending_pods(kube: KubeCluster, namespace: str, job: str, count: int) -> list[dict[str, Any]]:
    def pending() -> list[dict[str, Any]] | None:
        found = get(kube, "pods", "-n", namespace, "-l", f"{runtime.LABEL_JOB_NAME}={job}") or {}
        pods = [p for p in found.get("items") or [] if p["status"].get("phase") == "Pending"]
        return pods if len(pods) == count else None

    return wait_for(f"{count} pending pods of {job}", pending, timeout=60)


def test_bt_a_sweep_runs_as_an_indexed_job_and_reports_each_variant(
    kube_cluster: KubeCluster, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    """Two variants: an Indexed Job of two owned by the backtest; after its pods ran, status has
    both variants' figures, the printer columns show the first, each report is in a ConfigMap."""
    kubeconfig = _account(kube_cluster, namespace, tmp_path)
    _backtest(kube_cluster, namespace, "portfolio", {
        "strategy": PORTFOLIO, "start": "2025-06-02", "end": "2025-07-31",
        "variants": [
            {"name": "summer"},
            {"name": "tecl-only", "start": "2025-07-01",
             "allocations": [{"strategy": "tecl", "weight": 1}]},
        ],
    })  # fmt: skip
    running = _state(kube_cluster, namespace, "portfolio", "Running")
    job_name = running["status"]["jobName"]
    job = get(kube_cluster, "job", job_name, "-n", namespace) or {}
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 2
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"]) == (runtime.BACKTEST_KIND, running["metadata"]["uid"])
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == ACCOUNT
    for pod in _pending_pods(kube_cluster, namespace, job_name, 2):
        message, code = _run_pod(pod, kubeconfig, tmp_path)
        assert code == 0, message
        terminate_pod(kube_cluster, pod, message=message, code=code, container="backtest")
    done = _state(kube_cluster, namespace, "portfolio", "Succeeded")["status"]
    results = {r["variant"]: r for r in done["results"]}
    assert list(results) == ["summer", "tecl-only"]
    assert results["summer"]["period"] == "2025-06-02..2025-07-31"
    assert results["tecl-only"]["period"] == "2025-07-01..2025-07-31"
    for result in results.values():
        assert result["state"] == "Succeeded" and result["orders"] > 0
        for key in ("cagr", "maxDrawdown", "sharpe", "totalReturn", "benchmarkCagr"):
            assert isinstance(result[key], float), (key, result)
    assert results["summer"]["cagr"] != results["tecl-only"]["cagr"]
    assert (done["cagr"], done["sharpe"]) == (
        results["summer"]["cagr"],
        results["summer"]["sharpe"],
    )
    table = kube_cluster.kubectl("get", "tbt", "portfolio", "-n", namespace).stdout
    header, row = table.splitlines()[:2]
    assert header.split()[:6] == ["NAME", "PERIOD", "CAGR", "MAX", "DD", "SHARPE"], header
    assert row.split()[1] == "2025-06-02..2025-07-31" and "Succeeded" in row, row
    for variant, result in results.items():
        config_map = get(kube_cluster, "configmap", result["reportConfigMap"], "-n", namespace)
        assert config_map is not None, variant
        assert config_map["metadata"]["ownerReferences"][0]["uid"] == running["metadata"]["uid"]
        html = gzip.decompress(base64.b64decode(config_map["binaryData"]["report.html.gz"]))
        assert b"<svg" in html and b"</html>" in html
        assert (
            json.loads(config_map["data"]["summary.json"])["period"]["start"]
            == (result["period"].split("..")[0])
        )


def test_bt_bad_input_names_the_field(
    kube_cluster: KubeCluster, namespace: str, operator: Operator
) -> None:
    """The schema refuses what it can check (naming the field); the operator fails the rest
    with a message naming the field or the missing TradingStrategy, and starts no Job."""
    both = {"strategy": PORTFOLIO, "strategyRef": {"name": "x"},
            "start": "2025-06-02", "end": "2025-06-30"}  # fmt: skip
    document = {"apiVersion": runtime.API_VERSION, "kind": runtime.BACKTEST_KIND,
                "metadata": {"name": "both", "namespace": namespace}, "spec": both}  # fmt: skip
    refused = kube_cluster.kubectl("apply", "-f", "-", input=json.dumps(document), check=False)
    assert refused.returncode != 0
    assert "exactly one of strategy (inline) and strategyRef" in refused.stderr
    backwards = {**both, "strategyRef": None, "start": "2025-07-01"}
    document = {**document, "metadata": {"name": "backwards", "namespace": namespace},
                "spec": {k: v for k, v in backwards.items() if v is not None}}  # fmt: skip
    refused = kube_cluster.kubectl("apply", "-f", "-", input=json.dumps(document), check=False)
    assert refused.returncode != 0 and "spec.start" in refused.stderr, refused.stderr
    _backtest(kube_cluster, namespace, "no-such-day",
              {"strategy": PORTFOLIO, "start": "2025-02-30", "end": "2025-12-31"})  # fmt: skip
    status = _state(kube_cluster, namespace, "no-such-day", "Failed")["status"]
    assert status["message"].startswith("spec.start: '2025-02-30' is not a date"), status
    _backtest(
        kube_cluster,
        namespace,
        "missing-ref",
        {"strategyRef": {"name": "nowhere"}, "start": "2025-06-02", "end": "2025-06-30"},
    )
    status = _state(kube_cluster, namespace, "missing-ref", "Failed")["status"]
    assert status["message"] == f"TradingStrategy {namespace}/nowhere not found", status
    assert not (get(kube_cluster, "jobs", "-n", namespace) or {}).get("items")
