"""Fixtures for the end-to-end tests: the whole chain as real processes on the control plane.

Session: the CRDs from crds/. Module: one local pod runner serving a
throw-away Node of its own (so concurrent sessions on a shared control plane,
or tests/kube/test_chart.py's runner on alchemiser-local, never collide).
Per test: a `chain` (a tests/kube/e2e/chain.py `Chain`) in the test's
namespace, which starts paper exchanges (each behind a recording proxy) and an
operator for that namespace, and stops them afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain import Chain, PodRunner
from kubetest import KubeCluster

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def podrunner(
    kube_cluster: KubeCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PodRunner]:
    """A local pod runner with its own Node, per module."""
    runner = PodRunner.start(kube_cluster.kubeconfig, tmp_path_factory.mktemp("podrunner"))
    yield runner
    runner.stop()


@pytest.fixture
def chain(
    kube_cluster: KubeCluster,
    namespace: str,
    crds: None,
    podrunner: PodRunner,
    tmp_path: Path,
) -> Iterator[Chain]:
    """This test's namespace with the worker ServiceAccount, ready for exchanges and operators."""
    world = Chain(kube_cluster, namespace, tmp_path, podrunner)
    yield world
    world.close()
