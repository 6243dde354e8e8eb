"""The chart's alerts and dashboards against a real Prometheus scraping a real operator.

One operator (a subprocess serving only the test's namespace, as in test_operator.py)
and one Prometheus (Debian's package, scraping every second, evaluating the chart's
rendered rules every second with each `for` at 0m and the weekday/hour window of
AlchemiserNoSuccessfulRunToday opened) watch a namespace where each alert gets a
scenario built to fire it. A healthy strategy beside them shows the alerts stay silent
where they should, and before any scenario nothing fires at all. Run results are
written as a kubelet would (test_operator._finish_pod). Finally every dashboard
query returns data, and stopping the operator fires AlchemiserOperatorDown.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kubetest import KubeCluster, wait_for
from prometheus_support import Prometheus
from test_operator import (
    LOG_DIR,
    Operator,
    _finish_pod,
    _free_port,
    halt,
    jobs,
    run_now,
    secret,
    strategy,
    tstrat,
    wait_condition,
    worker_account,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chart"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notify"))

from chart_support import dashboards, panels, render, rule_groups
from notify_support import Receiver

from alchemiser.api.result import Outcome, RunResult

JOB = "alchemiser-metrics"  # the job label the chart's rules select for release "alchemiser"
ALERT_NAMES = (
    "AlchemiserHaltActive",
    "AlchemiserRunFailed",
    "AlchemiserNoSuccessfulRunToday",
    "AlchemiserOperatorDown",
    "AlchemiserReconcileErrors",
    "AlchemiserOrdersRejected",
    "AlchemiserHaltPropagationSlow",
    "AlchemiserStrategyNotReady",
    "AlchemiserBreakerTripped",
)
LIVE_VALUES = {
    "metrics": {
        "prometheusRule": {
            "enabled": True,
            "noSuccessfulRunByHourUTC": 0,
            "noSuccessfulRunDays": {"first": 0, "last": 6},
            "haltPropagationThresholdSeconds": 1,
            "alerts": {
                name: {"severity": severity, "for": "0m"}
                for name, severity in (
                    ("haltActive", "warning"),
                    ("runFailed", "critical"),
                    ("noSuccessfulRunToday", "critical"),
                    ("operatorDown", "critical"),
                    ("reconcileErrors", "warning"),
                    ("ordersRejected", "warning"),
                    ("haltPropagationSlow", "warning"),
                    ("strategyNotReady", "warning"),
                    ("breakerTripped", "critical"),
                )
            },
        }
    }
}
# Grafana's variables for an instant query "now" (the panels' own windows otherwise).
GRAFANA = {"$__rate_interval": "1m", "$__interval": "5m", "$__range": "1h"}


@pytest.fixture
def watched(
    kube_cluster: KubeCluster, namespace: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Operator, Prometheus]]:
    """An operator serving `namespace` and a Prometheus scraping it with the chart's rules."""
    request.getfixturevalue("crds")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    receiver = Receiver().start()  # the notifications panel needs a webhook to count
    (tmp_path / "url").write_text(f"{receiver.base}/hook\n")
    notifications = tmp_path / "notifications.yaml"
    notifications.write_text(
        json.dumps({"sinks": [{"name": "ops", "urlFile": str(tmp_path / "url")}]})
    )
    operator = Operator(
        kube_cluster,
        LOG_DIR / f"{tmp_path.name}.log",
        f"--namespace={namespace}",
        "--standalone",
        f"--notifications-config={notifications}",
    )
    rules = rule_groups(render(LIVE_VALUES, tmp=tmp_path))
    data = Path(tempfile.mkdtemp(prefix="prometheus-", dir=tmp_path))
    prometheus = Prometheus(data, _free_port(), JOB, [f"127.0.0.1:{operator.metrics_port}"], rules)
    try:
        operator.wait_ready()
        wait_for("prometheus ready", prometheus.ready, timeout=60)
        yield operator, prometheus
    finally:
        operator.stop()
        prometheus.stop()
        receiver.stop()


def _run(kube: KubeCluster, namespace: str, name: str, result: RunResult) -> None:
    """One run of `name` (run-now) whose worker wrote `result`, recorded by the operator."""
    run_now(kube, namespace, f"prom-{name}", name=name)

    def job() -> str | None:
        mine = [j for j in jobs(kube, namespace) if j["metadata"]["name"].startswith(name)]
        return mine[0]["metadata"]["name"] if mine else None

    job_name = wait_for(f"a job of {name}", job, timeout=30)
    _finish_pod(kube, namespace, job_name, message=result.to_json(), code=0)
    wait_for(
        f"{name}'s run recorded",
        lambda: (
            (tstrat(kube, namespace, name).get("status") or {}).get("lastRun", {}).get("job")
            == job_name
        ),
        timeout=60,
    )


def _ready(kube: KubeCluster, namespace: str, name: str, **kwargs: Any) -> None:
    """A Ready strategy on a Secret of its own (one account per strategy: AccountInUse)."""
    secret(kube, namespace, f"broker-{name}")
    strategy(
        kube, namespace, name=name, labels={"alchemiser.io/test-role": name},
        broker={"credentialsSecret": f"broker-{name}"}, **kwargs,
    )  # fmt: skip
    wait_condition(kube, namespace, "Ready", "True", name=name)


def _firing(prometheus: Prometheus, alert: str, namespace: str) -> list[dict[str, str]]:
    return [
        labels
        for labels in prometheus.firing(alert)
        if labels.get("namespace") in (None, namespace)
    ]


def _wait_firing(
    prometheus: Prometheus, alert: str, namespace: str, strategy: str | None = None
) -> dict[str, str]:
    def found() -> dict[str, str] | None:
        for labels in _firing(prometheus, alert, namespace):
            if strategy is None or labels.get("strategy") == strategy:
                return labels
        return None

    return wait_for(f"{alert} firing for {strategy or 'the operator'}", found, timeout=90)


def _strategies_alerted(prometheus: Prometheus, namespace: str) -> dict[str, set[str]]:
    fired: dict[str, set[str]] = {}
    for alert in ALERT_NAMES:
        for labels in _firing(prometheus, alert, namespace):
            fired.setdefault(alert, set()).add(labels.get("strategy", ""))
    return fired


def _substituted(expr: str, namespace: str, strategy: str) -> str:
    for key, value in GRAFANA.items():
        expr = expr.replace(key, value)
    expr = expr.replace("$job", JOB).replace("$namespace", namespace)
    expr = expr.replace("$strategy", strategy)
    assert "$" not in expr, expr
    return expr


def _has_data(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(item["value"][1])) for item in result)


def test_prom_every_alert_fires_in_its_scenario_and_stays_silent_otherwise(
    kube_cluster, namespace, watched
):
    """Each shipped alert fires for its scenario only; then every dashboard query has data."""
    operator, prometheus = watched
    kube = kube_cluster
    worker_account(kube, namespace)
    secret(kube, namespace)
    now = datetime.now(UTC)

    # Baseline: a healthy strategy with a successful run today; nothing fires.
    _ready(kube, namespace, "calm")
    _run(kube, namespace, "calm", RunResult(outcome=Outcome.SUCCEEDED, run_id="calm-1",
         orders_submitted=2, notional=2500.0, message="rebalanced", finished_at=now))  # fmt: skip
    wait_for(
        "prometheus to scrape calm's run",
        lambda: prometheus.query(
            f'alchemiser_last_successful_run_timestamp_seconds{{namespace="{namespace}",'
            'strategy="calm"}'
        ),
        timeout=60,
    )
    assert prometheus.query(f'up{{job="{JOB}"}} == 1')
    time.sleep(3)  # a few evaluations
    assert _strategies_alerted(prometheus, namespace) == {}

    # Each scenario.
    strategy(kube, namespace, name="nosecret", broker={"credentialsSecret": "missing"})
    _wait_firing(prometheus, "AlchemiserStrategyNotReady", namespace, "nosecret")

    _ready(kube, namespace, "failing")
    _run(kube, namespace, "failing", RunResult(outcome=Outcome.FAILED, run_id="f-1",
         message="broker unavailable", finished_at=now))  # fmt: skip
    _wait_firing(prometheus, "AlchemiserRunFailed", namespace, "failing")

    _ready(kube, namespace, "rejecting")
    _run(kube, namespace, "rejecting", RunResult(outcome=Outcome.SUCCEEDED, run_id="r-1",
         orders_submitted=1, orders_rejected=2, notional=100.0, finished_at=now))  # fmt: skip
    _wait_firing(prometheus, "AlchemiserOrdersRejected", namespace, "rejecting")

    _ready(kube, namespace, "stale")
    yesterday = now - timedelta(days=1)
    _run(kube, namespace, "stale", RunResult(outcome=Outcome.SUCCEEDED, run_id="s-1",
         finished_at=yesterday, started_at=yesterday))  # fmt: skip
    _wait_firing(prometheus, "AlchemiserNoSuccessfulRunToday", namespace, "stale")

    _ready(kube, namespace, "victim")
    name = f"{namespace}-victim"
    try:
        # A stalled operator (SIGSTOP for 2.5 s, as a CPU-starved pod would be) learns of
        # the halt late: its propagation, counted from the halt's creation, exceeds 1 s.
        operator.process.send_signal(signal.SIGSTOP)
        try:
            halt(kube, name, namespace, strategySelector={
                "matchLabels": {"alchemiser.io/test-role": "victim"}})  # fmt: skip
            time.sleep(2.5)
        finally:
            operator.process.send_signal(signal.SIGCONT)
        wait_condition(kube, namespace, "Halted", "True", name="victim")
        assert _wait_firing(prometheus, "AlchemiserHaltActive", namespace)["mode"] == "Halt"
        _wait_firing(prometheus, "AlchemiserHaltPropagationSlow", namespace)
    finally:
        kube.kubectl("delete", "tradinghalt", name, "--ignore-not-found")
    wait_for(
        "AlchemiserHaltActive resolved once the halt is gone",
        lambda: not _firing(prometheus, "AlchemiserHaltActive", namespace),
        timeout=60,
    )

    # A quota that admits no further CronJob: the next strategy's apply is refused.
    count = len(
        json.loads(kube.kubectl("get", "cronjobs", "-n", namespace, "-o", "json").stdout)["items"]
    )
    kube.kubectl("create", "quota", "no-more-cronjobs", "-n", namespace,
                 f"--hard=count/cronjobs.batch={count}")  # fmt: skip
    strategy(kube, namespace, name="blocked")
    _wait_firing(prometheus, "AlchemiserReconcileErrors", namespace)

    # Silent where nothing happened: calm has no alert; each scenario only its own.
    fired = _strategies_alerted(prometheus, namespace)
    for alert, strategies in fired.items():
        assert "calm" not in strategies, (alert, strategies)
    assert fired["AlchemiserStrategyNotReady"] >= {"nosecret"}
    assert fired["AlchemiserRunFailed"] == {"failing"}
    assert fired["AlchemiserOrdersRejected"] == {"rejecting"}
    assert fired["AlchemiserNoSuccessfulRunToday"] == {"stale"}
    assert "AlchemiserOperatorDown" not in fired

    # Every dashboard panel's query returns data (calm's run, the halt, the reconciles).
    empty = []
    for file, dashboard in dashboards().items():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                expr = _substituted(target["expr"], namespace, "calm")
                if "alchemiser_breaker_trips_total" in expr:
                    continue  # no breaker can trip yet: see the notify note
                if not _has_data(prometheus.query(expr)):
                    empty.append(f"{file}: {panel['title']}: {expr}")
    assert not empty, "\n".join(empty)

    # The operator stopped: AlchemiserOperatorDown.
    operator.stop()
    _wait_firing(prometheus, "AlchemiserOperatorDown", namespace)
