"""A backtest pod's results on the cluster: the report ConfigMap, owned by the TradingBacktest.

Rule: the only module of the backtest that talks to Kubernetes (the kubernetes client,
in-cluster or KUBECONFIG). The ConfigMap is applied server-side under a fixed field
manager, so a retried pod overwrites its own; the owner reference lets the garbage
collector delete it with the backtest.
"""

import base64
import gzip
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import kubernetes

from alchemiser.api import runtime
from alchemiser.errors import ConfigError

FIELD_MANAGER = "alchemiser-backtest"
IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


def report_name(backtest: str, variant: str) -> str:
    """The report ConfigMap's name (a DNS subdomain, at most 253 characters)."""
    return f"{backtest}-{variant}-report"[:253]


def configmap(
    *, namespace: str, backtest: str, uid: str, variant: str, report_html: str, summary: Any
) -> tuple[dict[str, Any], bool]:
    """The ConfigMap manifest, and whether the report fitted (else only the summary is kept)."""
    packed = gzip.compress(report_html.encode(), mtime=0)
    fits = len(packed) <= runtime.REPORT_LIMIT
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": report_name(backtest, variant),
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/part-of": "alchemiser",
                "app.kubernetes.io/component": "backtest-report",
                "alchemiser.io/backtest": backtest[:63],
            },
            "ownerReferences": [
                {
                    "apiVersion": runtime.API_VERSION,
                    "kind": runtime.BACKTEST_KIND,
                    "name": backtest,
                    "uid": uid,
                }
            ],
        },
        "data": {"summary.json": summary_text(summary)},
    }
    if fits:
        body["binaryData"] = {runtime.REPORT_KEY: base64.b64encode(packed).decode()}
    return body, fits


# summary.json's lists that grow with the period; cut (and said so) to keep the ConfigMap small.
_LONG_LISTS = ("rejected", "failedRuns", "staleValuations")
SUMMARY_LIMIT = 100 * 1024


def summary_text(summary: Mapping[str, Any]) -> str:
    """summary.json for the ConfigMap: whole when under SUMMARY_LIMIT, else with its long
    lists cut to their first 20 entries (`truncated` names them); always valid JSON."""
    text = json.dumps(summary, indent=1)
    if len(text) <= SUMMARY_LIMIT:
        return text
    cut = dict(summary)
    cut["truncated"] = [key for key in _LONG_LISTS if key in cut]
    for key in cut["truncated"]:
        cut[key] = list(cut[key])[:20]
    return json.dumps(cut, indent=1)


def apply(manifest: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> None:
    """Server-side apply the ConfigMap; ConfigError when the cluster cannot be reached."""
    env = os.environ if environ is None else environ
    configuration = kubernetes.client.Configuration()
    try:
        if env.get("KUBERNETES_SERVICE_HOST") and IN_CLUSTER_TOKEN.exists():
            kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        else:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=env.get("KUBECONFIG"), client_configuration=configuration
            )
    except (kubernetes.config.ConfigException, OSError, ValueError) as error:
        raise ConfigError(f"cannot load the cluster configuration: {error}") from None
    api = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(configuration))
    metadata = manifest["metadata"]
    try:
        api.patch_namespaced_config_map(
            metadata["name"],
            metadata["namespace"],
            dict(manifest),
            field_manager=FIELD_MANAGER,
            force=True,
            _content_type="application/apply-patch+yaml",
            _request_timeout=30,
        )
    except kubernetes.client.ApiException as error:
        raise ConfigError(
            f"writing ConfigMap {metadata['name']} failed: HTTP {error.status} {error.reason}"
        ) from None
