"""The smoke test a kind user runs (hack/smoke-e2e.sh), here on the local provider.

The same script, with PROVIDER=local: the chart installed with the built image on the
real node, the paper exchange as a Deployment + Service, one paper trade through a
worker container, one halt; then `--down` uninstalls the release.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from kubetest import KubeCluster

SCRIPT = Path(__file__).resolve().parents[2] / "hack" / "smoke-e2e.sh"


@pytest.mark.timeout(900)
def test_smoke_script_passes_on_the_local_provider(
    kube_cluster: KubeCluster, namespace: str, crds: None, node_image: str
) -> None:
    """hack/smoke-e2e.sh exits 0 on the local cluster and reports a Succeeded run."""
    env = {**kube_cluster.env, "PROVIDER": "local", "SMOKE_NS": namespace}
    env["DEVCLUSTER_DIR"] = str(kube_cluster.state_dir)
    try:
        result = subprocess.run(
            ["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=840, check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "smoke test passed on provider local" in result.stdout
        # The worker's last log line (read with kubectl logs) is its JSON run result.
        lines = result.stdout.splitlines()
        marker = next(i for i, line in enumerate(lines) if "the worker's log" in line)
        assert json.loads(lines[marker + 1])["outcome"] == "Succeeded", lines[marker + 1]
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "--down"], capture_output=True, env=env, timeout=300, check=False
        )
