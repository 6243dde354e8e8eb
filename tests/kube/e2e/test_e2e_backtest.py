"""A TradingBacktest on the real node: the operator's Indexed Job runs as containers of the image.

Each variant's pod is scheduled on the node and runs `alchemiser backtest-job` from the built
image under the chart's `alchemiser-backtest` ServiceAccount (a Role allowed only to write
ConfigMaps). The pod writes its report ConfigMap through the in-cluster API (the
`kubernetes` Service, kube-proxy) and its figures as the termination message; the operator
then puts each variant's figures in status.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from chain import Chain, wait
from kubetest import NODE_NAME

from alchemiser.api import runtime

ACCOUNT = "alchemiser-backtest"


def test_a_backtest_sweep_runs_as_containers_on_the_node_and_keeps_its_reports(
    chain: Chain,
) -> None:
    """Two variants over the paper exchange's series: both pods ran the image on the node and
    exited 0, status has each variant's figures, each report ConfigMap holds the report."""
    chain.start_operator()  # the chart: its backtest ServiceAccount and ConfigMap-only Role
    chain.apply({
        "apiVersion": runtime.API_VERSION, "kind": runtime.BACKTEST_KIND,
        "metadata": {"name": "on-node", "namespace": chain.namespace},
        "spec": {
            "strategy": {
                "schedule": "45 15 * * 1-5",
                "allocations": [{"strategy": "static", "weight": 1,
                                 "parameters": {"weights": {"SPY": 0.6, "TLT": 0.4}}}],
                "broker": {"credentialsSecret": "unused-by-backtests"},
                "risk": {"maxOrderNotional": 1e6, "maxPositionFraction": 1,
                         "maxDailyNotional": 1e7},
            },
            "start": "2025-06-02", "end": "2025-07-31",
            "variants": [
                {"name": "blend"},
                {"name": "spy-only", "allocations": [
                    {"strategy": "static", "weight": 1,
                     "parameters": {"weights": {"SPY": 1.0}}}]},
            ],
        },
    })  # fmt: skip

    def finished() -> dict[str, Any] | None:
        found = chain.get("tradingbacktest", "on-node", "-n", chain.namespace) or {}
        state = (found.get("status") or {}).get("state")
        return found if state in ("Succeeded", "Failed") else None

    done = wait("the backtest finished", finished, timeout=300)
    assert done["status"]["state"] == "Succeeded", done["status"]
    job = done["status"]["jobName"]
    pods = chain.get("pods", "-n", chain.namespace, "-l", f"job-name={job}")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["spec"]["nodeName"] == NODE_NAME
        assert pod["spec"]["serviceAccountName"] == ACCOUNT
        (container,) = pod["status"]["containerStatuses"]
        assert container["image"].endswith(chain.image.split("/")[-1]), container["image"]
        assert container["state"]["terminated"]["exitCode"] == 0
    results = {r["variant"]: r for r in done["status"]["results"]}
    assert sorted(results) == ["blend", "spy-only"]
    for variant, result in results.items():
        assert result["state"] == "Succeeded" and result["orders"] > 0, result
        assert result["period"] == "2025-06-02..2025-07-31"
        config_map = chain.get("configmap", result["reportConfigMap"], "-n", chain.namespace)
        assert config_map is not None, variant
        html = gzip.decompress(base64.b64decode(config_map["binaryData"]["report.html.gz"]))
        assert b"<svg" in html and b"</html>" in html
        assert json.loads(config_map["data"]["summary.json"])["orders"] == result["orders"]
    assert results["blend"]["cagr"] != results["spy-only"]["cagr"]
