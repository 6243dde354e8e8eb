"""The worker's Kubernetes halt source against the real apiserver: list, match, fail closed."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from kubetest import KubeCluster

from alchemiser.api.halt_matching import StrategyScope
from alchemiser.errors import HaltStateUnknown
from alchemiser.worker import halts as worker_halts
from alchemiser.worker.halts import HaltGuard, KubeHaltSource

REPO = Path(__file__).resolve().parents[2]
CRD = REPO / "crds" / "alchemiser.io_tradinghalts.yaml"


@pytest.fixture(scope="module")
def halt_crd(kube_cluster: KubeCluster) -> None:
    """The generated TradingHalt CRD, applied server-side and Established."""
    kube_cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRD))
    kube_cluster.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s", "crd/tradinghalts.alchemiser.io"
    )


@pytest.fixture
def halts(kube_cluster: KubeCluster, namespace: str, halt_crd: None) -> Iterator[list[str]]:
    """Names of TradingHalts this test creates (cluster-scoped), deleted afterwards."""
    created: list[str] = []
    yield created
    for name in created:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--wait=false", check=False)


def create_halt(kube_cluster: KubeCluster, created: list[str], name: str, spec: dict) -> None:
    """Create one TradingHalt and remember it for clean-up."""
    document = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingHalt",
        "metadata": {"name": name},
        "spec": {"reason": "test", **spec},
    }
    kube_cluster.kubectl("create", "-f", "-", input=json.dumps(document))
    created.append(name)


def test_halts_are_read_from_the_cluster_and_matched_by_namespace_and_labels(
    kube_cluster: KubeCluster, namespace: str, halts: list[str]
) -> None:
    """A halt for this namespace and label applies; other labels and expired halts do not."""
    env = {"KUBECONFIG": str(kube_cluster.kubeconfig)}
    mine = StrategyScope(namespace=namespace, labels={"alchemiser-test": namespace})
    other = StrategyScope(namespace=namespace, labels={"alchemiser-test": "someone-else"})
    guard = HaltGuard(KubeHaltSource(env), mine)
    stop, calm, old = f"{namespace}-stop", f"{namespace}-calm", f"{namespace}-old"
    assert stop not in guard.check().halting
    selector = {"matchLabels": {"alchemiser-test": namespace}}
    create_halt(
        kube_cluster, halts, stop, {"namespaces": [namespace], "strategySelector": selector}
    )
    create_halt(
        kube_cluster,
        halts,
        calm,
        {"mode": "ReduceOnly", "namespaces": [namespace], "strategySelector": selector},
    )
    create_halt(
        kube_cluster,
        halts,
        old,
        {"namespaces": [namespace], "expiresAt": "2001-01-01T00:00:00Z"},
    )
    verdict = guard.check()
    assert stop in verdict.halting and calm in verdict.reduce_only
    assert old not in verdict.halting
    elsewhere = HaltGuard(KubeHaltSource(env), other).check()
    assert stop not in elsewhere.halting and calm not in elsewhere.reduce_only


def test_an_unreachable_apiserver_is_halt_state_unknown(
    kube_cluster: KubeCluster, tmp_path: Path
) -> None:
    """When the configured cluster cannot be reached the source raises, it never says 'no halts'."""
    config = yaml.safe_load(kube_cluster.kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:1"
    broken = tmp_path / "kubeconfig"
    broken.write_text(yaml.safe_dump(config))
    source = KubeHaltSource({"KUBECONFIG": str(broken)}, attempts=1)
    with pytest.raises(HaltStateUnknown):
        source.list()


@pytest.fixture
def service_accounts(kube_cluster: KubeCluster, namespace: str) -> Iterator[str]:
    """Two service accounts: `reader` may list TradingHalts (as the chart's worker may),
    `nobody` has no role; the ClusterRole and its binding are deleted afterwards."""
    role = f"{namespace}-halt-reader"
    for account in ("reader", "nobody"):
        kube_cluster.kubectl("-n", namespace, "create", "serviceaccount", account)
    kube_cluster.kubectl(
        "create", "clusterrole", role, "--verb=list", "--resource=tradinghalts.alchemiser.io"
    )
    kube_cluster.kubectl(
        "create", "clusterrolebinding", role, f"--clusterrole={role}",
        f"--serviceaccount={namespace}:reader",
    )  # fmt: skip
    yield role
    kube_cluster.kubectl("delete", "clusterrolebinding,clusterrole", role, check=False)


def mount_service_account(
    kube_cluster: KubeCluster, namespace: str, account: str, into: Path
) -> None:
    """What kubelet mounts in a pod: the account's token and the cluster's CA."""
    into.mkdir()
    token = kube_cluster.kubectl("-n", namespace, "create", "token", account).stdout.strip()
    (into / "token").write_text(token)
    config = yaml.safe_load(kube_cluster.kubeconfig.read_text())
    ca = config["clusters"][0]["cluster"]["certificate-authority-data"]
    (into / "ca.crt").write_bytes(base64.b64decode(ca))


@pytest.mark.usefixtures("service_accounts")
def test_in_a_pod_halts_are_read_with_the_service_account_token(
    kube_cluster: KubeCluster,
    namespace: str,
    halts: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The in-pod path: the API Service's address, the mounted CA and the account's token.
    An account allowed to list halts sees them; one without the role is refused (403),
    which is HaltStateUnknown, never 'no halts'. The token never appears in the error."""
    server = urlsplit(kube_cluster.server)
    pod_env = {"KUBERNETES_SERVICE_HOST": server.hostname, "KUBERNETES_SERVICE_PORT": server.port}
    mine = StrategyScope(namespace=namespace, labels={})
    stop = f"{namespace}-pod-stop"
    create_halt(kube_cluster, halts, stop, {"namespaces": [namespace]})
    for account in ("reader", "nobody"):
        mount_service_account(kube_cluster, namespace, account, tmp_path / account)
    monkeypatch.setattr(worker_halts, "SERVICE_ACCOUNT", tmp_path / "reader")
    source = KubeHaltSource({k: str(v) for k, v in pod_env.items()})
    assert stop in HaltGuard(source, mine).check().halting
    monkeypatch.setattr(worker_halts, "SERVICE_ACCOUNT", tmp_path / "nobody")
    refused = KubeHaltSource({k: str(v) for k, v in pod_env.items()}, attempts=1)
    with pytest.raises(HaltStateUnknown, match="HTTP 403") as raised:
        HaltGuard(refused, mine).check()
    assert (tmp_path / "nobody" / "token").read_text() not in str(raised.value)
