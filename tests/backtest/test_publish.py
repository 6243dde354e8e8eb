"""The report ConfigMap a backtest pod writes: report kept while it fits, summary always JSON."""

import base64
import gzip
import json
import random

from alchemiser.backtest import publish


def _summary(failed_runs: int) -> dict[str, object]:
    return {
        "metrics": {"cagr": 0.1},
        "failedRuns": [{"session": "2025-01-02", "message": "x" * 200}] * failed_runs,
        "rejected": [],
    }


def test_a_report_that_fits_is_kept_gzip_and_owned_by_the_backtest() -> None:
    """binaryData holds the gzip page; the owner is the TradingBacktest; the name is fixed."""
    body, fits = publish.configmap(
        namespace="team-a", backtest="sweep", uid="u-1", variant="as-given",
        report_html="<html><svg></svg></html>", summary=_summary(0),
    )  # fmt: skip
    assert fits and body["metadata"]["name"] == "sweep-as-given-report"
    assert body["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    page = gzip.decompress(base64.b64decode(body["binaryData"]["report.html.gz"]))
    assert page == b"<html><svg></svg></html>"


def test_a_report_too_large_is_left_out_and_the_summary_stays_valid_json() -> None:
    """Over the limit: no binaryData, fits False; a long summary is cut, not broken."""
    noise = base64.b64encode(random.Random(1).randbytes(1_000_000)).decode()  # gzip: ~1 MiB
    body, fits = publish.configmap(
        namespace="team-a", backtest="sweep", uid="u-1", variant="long",
        report_html=noise, summary=_summary(2000),
    )  # fmt: skip
    assert not fits and "binaryData" not in body
    summary = json.loads(body["data"]["summary.json"])
    assert summary["truncated"] == ["rejected", "failedRuns"]
    assert len(summary["failedRuns"]) == 20 and summary["metrics"] == {"cagr": 0.1}
