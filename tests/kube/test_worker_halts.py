"""The worker's Kubernetes halt source against the real apiserver: list, match, fail closed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubetest import KubeCluster

from alchemiser.api.halt_matching import StrategyScope
from alchemiser.errors import HaltStateUnknown
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
