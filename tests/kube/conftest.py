"""Fixtures for tests on the real local control plane (hack/devcluster.py).

Every test under tests/kube/ is marked `kube`. The session reuses the healthy
cluster recorded in .devcluster/ (or $DEVCLUSTER_DIR) or starts one and leaves
it running. A control plane that cannot start fails the tests; nothing here
skips.

Fixtures: `kube_cluster` (session, a kubetest.KubeCluster), `crds` (session: the
project's CRDs from crds/ or $ALCHEMISER_CRDS_DIR, Established), `kubectl` (its
`kubectl(*args, input=None, check=True)` method), `namespace` (a fresh
namespace per test, deleted afterwards) and `node_image` (session: this
checkout's image, built by hack/image.py if needed and loaded into the node).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubetest import KubeCluster, wait_for

REPO = Path(__file__).resolve().parents[2]
DEVCLUSTER = REPO / "hack" / "devcluster.py"
KUBE_DIR = Path(__file__).resolve().parent


def _state_dir() -> Path:
    return Path(os.environ.get("DEVCLUSTER_DIR") or REPO / ".devcluster").resolve()


def _devcluster(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(DEVCLUSTER), *args, "--state-dir", str(_state_dir())]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.hookimpl(tryfirst=True)  # before `-m "not kube"` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if KUBE_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.kube)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Builds the binaries (and the image, if a test uses it) before any test runs, so
    per-test timeouts exclude a cold build."""
    if not any(item.get_closest_marker("kube") for item in session.items):
        return
    capture = session.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        # Progress goes straight to the terminal: a cold build takes many minutes.
        result = subprocess.run([sys.executable, str(DEVCLUSTER), "build"], check=False)
    if result.returncode != 0:
        raise pytest.UsageError("building the local control plane failed (see above)")
    if any("node_image" in getattr(item, "fixturenames", ()) for item in session.items):
        with capture.global_and_fixture_disabled():  # minutes when the content changed
            image_py = str(REPO / "hack" / "image.py")
            built = subprocess.run([sys.executable, image_py, "build"], check=False)
        if built.returncode != 0:
            raise pytest.UsageError("building the image failed (see above)")


@pytest.fixture(scope="session")
def kube_cluster() -> KubeCluster:
    """The running local control plane; started here if none is healthy."""
    if _devcluster("status").returncode != 0:
        result = _devcluster("up")
        if result.returncode != 0:
            pytest.fail(
                f"the local control plane did not start:\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )
    # Left running on purpose: other sessions in this checkout may share it, and
    # the next run starts at once. `make cluster-down` (and CI's trap) stop it.
    return KubeCluster.from_record(_state_dir())


@pytest.fixture(scope="session")
def crds(kube_cluster: KubeCluster) -> None:
    """The CRDs (ours and kopf's peering) are installed and Established."""
    for path in sorted(Path(os.environ.get("ALCHEMISER_CRDS_DIR", REPO / "crds")).glob("*.yaml")):
        kube_cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
    kube_cluster.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        "crd/tradingstrategies.alchemiser.io", "crd/tradinghalts.alchemiser.io",
        "crd/clusterkopfpeerings.kopf.dev", "crd/kopfpeerings.kopf.dev",
    )  # fmt: skip


@pytest.fixture
def kubectl(kube_cluster: KubeCluster) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`kubectl(*args, input=None, check=True) -> CompletedProcess[str]` for this cluster."""
    return kube_cluster.kubectl


@pytest.fixture
def namespace(kube_cluster: KubeCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new namespace named after the test, whose default ServiceAccount exists."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{stem}-{secrets.token_hex(3)}"
    kube_cluster.kubectl("create", "namespace", name)
    # Pods are rejected until the service account controller has made `default`.
    wait_for(
        f"serviceaccount default in {name}",
        lambda: (
            kube_cluster.kubectl(
                "get", "serviceaccount", "default", "-n", name, check=False
            ).returncode
            == 0
        ),
        timeout=30,
    )
    yield name
    kube_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def node_image(kube_cluster: KubeCluster) -> str:
    """This checkout's image, built if needed and present in the node's containerd."""
    hack = REPO / "hack"
    built = subprocess.run(
        [sys.executable, str(hack / "image.py"), "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    loaded = _devcluster("load-image")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    return built.stdout.strip().splitlines()[-1]
