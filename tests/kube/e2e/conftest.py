"""Fixtures for the end-to-end tests: the whole chain on the control plane and its real node.

Session: the CRDs from crds/. Per test: a `chain` (a tests/kube/e2e/chain.py
`Chain`) in the test's namespace, which starts paper exchanges (Deployments on
the node, each behind a recording proxy) and an operator for that namespace,
whose workers run as containers of the built image, and stops them afterwards.
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
    """This test's namespace with the worker ServiceAccount, ready for exchanges and operators."""
    world = Chain(kube_cluster, namespace, tmp_path, node_image)
    yield world
    world.close()
