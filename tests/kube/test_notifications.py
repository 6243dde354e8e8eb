"""Notifications from a real operator to a real receiver process, failures included.

The operator (a subprocess serving only the test's namespace) is configured with two
webhooks whose URLs live in files, as the chart mounts them from a Secret: one
CloudEvents, one Slack, both pointing at tests/notify/receiver.py, with a secret token
in their path. The receiver's failures are switched on through its admin API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kubetest import KubeCluster, wait_for
from test_operator import (
    LOG_DIR,
    Operator,
    _finish_pod,
    get,
    halt,
    jobs,
    run_now,
    secret,
    strategy,
    wait_condition,
    wait_suspended,
    worker_account,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notify"))

from notify_support import Receiver

from alchemiser.api.result import Outcome, RunResult

TOKEN = "T0KEN-w3bh00k-s3cret"


@pytest.fixture
def notified(
    kube_cluster: KubeCluster, namespace: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Operator, Receiver]]:
    """A receiver and an operator notifying it (CloudEvents at /ce, Slack at /slack)."""
    request.getfixturevalue("crds")
    receiver = Receiver().start()
    urls = tmp_path / "urls"
    urls.mkdir()
    (urls / "ce").write_text(f"{receiver.base}/ce/{TOKEN}\n")
    (urls / "slack").write_text(f"{receiver.base}/slack/{TOKEN}\n")
    config = {
        "attempts": 4,
        "timeoutSeconds": 1,
        "maxBackoffSeconds": 0.5,
        "sinks": [
            {"name": "ce", "urlFile": str(urls / "ce")},
            {"name": "slack", "format": "slack", "urlFile": str(urls / "slack")},
        ],
    }
    path = tmp_path / "notifications.yaml"
    path.write_text(json.dumps(config))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    operator = Operator(
        kube_cluster,
        LOG_DIR / f"{tmp_path.name}.log",
        f"--namespace={namespace}",
        "--standalone",
        f"--notifications-config={path}",
        "--log-level=DEBUG",
    )
    try:
        yield operator.wait_ready(), receiver
    finally:
        operator.stop()
        receiver.stop()


def _events(receiver: Receiver, kind: str) -> list[dict[str, Any]]:
    """CloudEvents of one kind the receiver answered 200 to, as parsed bodies."""
    found = []
    for record in receiver.received():
        if record["path"].startswith("/ce/") and record["status"] == 200:
            body = json.loads(record["body"])
            if body["type"] == f"io.alchemiser.{kind}":
                found.append(body)
    return found


def _wait_event(receiver: Receiver, kind: str, where: Callable[[dict[str, Any]], bool]) -> Any:
    return wait_for(
        f"a {kind} CloudEvent",
        lambda: [e for e in _events(receiver, kind) if where(e["data"])],
        timeout=60,
    )[0]


def _slack_texts(receiver: Receiver) -> list[str]:
    return [
        json.loads(r["body"])["text"]
        for r in receiver.received()
        if r["path"].startswith("/slack/") and r["status"] == 200
    ]


def test_notify_run_halt_and_readiness_reach_the_receiver(kube_cluster, namespace, notified):
    """Run finished, not Ready, halt created and cleared arrive as CloudEvents and Slack."""
    operator, receiver = notified
    kube = kube_cluster
    worker_account(kube, namespace)
    secret(kube, namespace)
    strategy(kube, namespace)
    wait_condition(kube, namespace, "Ready", "True")

    # A run's result, delivered despite two 503s first (same idempotency key each time).
    receiver.mode("error", times=2)
    run_now(kube, namespace, "notify")
    job = wait_for("job", lambda: jobs(kube, namespace), timeout=30)[0]["metadata"]["name"]
    result = RunResult(
        outcome=Outcome.SUCCEEDED, run_id="n-1", orders_submitted=3, orders_rejected=1,
        notional=1234.5, message="rebalanced",
    )  # fmt: skip
    _finish_pod(kube, namespace, job, message=result.to_json(), code=0)
    run = _wait_event(receiver, "run.finished", lambda d: d["job"] == job)
    assert run["subject"] == f"{namespace}/nuclear-trader"
    assert (run["data"]["outcome"], run["data"]["ordersSubmitted"]) == ("Succeeded", 3)
    assert (run["data"]["ordersRejected"], run["data"]["notional"]) == (1, 1234.5)
    assert run["data"]["message"] == "rebalanced"
    attempts = [r for r in receiver.received() if r["headers"].get("idempotency-key") == run["id"]]
    assert len(attempts) >= 3 and {r["status"] for r in attempts} == {503, 200}

    # Not Ready: a strategy whose Secret does not exist.
    strategy(kube, namespace, name="orphan", broker={"credentialsSecret": "missing"})
    ready = _wait_event(receiver, "strategy.notReady", lambda d: d["strategy"] == "orphan")
    assert ready["data"]["reason"] == "CredentialsMissing"

    # A halt by a person, then deleted.
    name = f"{namespace}-by-hand"
    try:
        halt(kube, name, namespace, reason="broker outage")
        created = _wait_event(receiver, "halt.created", lambda d: d["halt"] == name)
        assert created["data"]["by"] == "a person"
        assert created["data"]["reason"] == "broker outage"
    finally:
        kube.kubectl("delete", "tradinghalt", name, "--ignore-not-found")
    cleared = _wait_event(receiver, "halt.cleared", lambda d: d["halt"] == name)
    assert cleared["data"]["cleared"] == "deleted"

    # An expiring halt.
    expiring = f"{namespace}-expiring"
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    try:
        halt(kube, expiring, namespace, expiresAt=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
        gone = _wait_event(receiver, "halt.cleared", lambda d: d["halt"] == expiring)
        assert gone["data"]["cleared"] == "expired"
    finally:
        kube.kubectl("delete", "tradinghalt", expiring, "--ignore-not-found")

    texts = _slack_texts(receiver)
    assert any(f"run {job} finished: Succeeded" in text for text in texts)
    assert any(f"TradingHalt {name}" in text and "created by a person" in text for text in texts)

    # The URLs (their token) are nowhere: operator log, status, Events.
    seen = operator.logs() + json.dumps(get(kube, "tradingstrategies", "-n", namespace))
    seen += json.dumps(get(kube, "events", "-n", namespace))
    assert "delivered a notification" in operator.logs()
    assert TOKEN not in seen


def test_notify_a_hanging_receiver_does_not_hold_up_the_halt(kube_cluster, namespace, notified):
    """With every delivery hanging, a halt still suspends the CronJob and a resume resumes it."""
    operator, receiver = notified
    kube = kube_cluster
    receiver.mode("hang")
    worker_account(kube, namespace)
    secret(kube, namespace)
    strategy(kube, namespace)
    wait_condition(kube, namespace, "Ready", "True")
    strategy(kube, namespace, name="orphan", broker={"credentialsSecret": "missing"})
    wait_for("a delivery hanging", receiver.received, timeout=60)
    name = f"{namespace}-while-hanging"
    try:
        halt(kube, name, namespace)
        wait_suspended(kube, namespace, True, timeout=30)
    finally:
        kube.kubectl("delete", "tradinghalt", name, "--ignore-not-found")
    wait_suspended(kube, namespace, False, timeout=30)
    receiver.mode("ok")
    _wait_event(receiver, "halt.cleared", lambda d: d["halt"] == name)
    assert operator.healthy()
    assert TOKEN not in operator.logs()
