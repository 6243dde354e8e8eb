"""Fixtures for the end-to-end tests: the whole chain on the control plane and its real node.

Session: the CRDs from crds/ and the built image. Per test: a `chain` (a
tests/kube/e2e/chain.py `Chain`) in the test's namespace, which starts paper
exchanges (Deployments on the node, each behind a recording proxy) and installs
the Helm chart for that namespace (its operator Deployment, whose workers run as
containers of the built image), and removes them afterwards. One release per test
(helm install and uninstall take a few seconds): a test never sees another's
operator, RBAC or peering state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain import Chain
from kubetest import KubeCluster

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def chain(
    kube_cluster: KubeCluster,
    namespace: str,
    crds: None,
    node_image: str,
    tmp_path: Path,
) -> Iterator[Chain]:
    """This test's namespace, ready for exchanges and the chart's operator."""
    world = Chain(kube_cluster, namespace, tmp_path, node_image)
    yield world
    world.close()
