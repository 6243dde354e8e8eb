"""The operator as a real process against the local control plane.

One module-scoped `alchemiser operator` serves every namespace whose name starts
with `t-test-op-` (the namespace fixture names namespaces after the test), with a
5 s resync sweep. Tests that restart the operator or run two replicas start their
own and use test names outside that pattern.

kwok completes Job pods on its fake nodes at once and never writes termination
messages, so the operator here routes worker pods to a node label no node has:
pods stay Pending (the Job stays active) until a test writes the pod's status
itself through the API, simulating a terminated worker container with its JSON
result as termination message. The e2e tests run the real worker instead.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kubetest import KubeCluster, wait_for

from alchemiser.api import runtime
from alchemiser.api.result import Outcome, RunResult

REPO = Path(__file__).resolve().parents[2]
PATTERN = "t-test-op-*"
NO_NODE = "alchemiser.io/test-no-such-node=true"
LOG_DIR = Path(tempfile.gettempdir()) / "alchemiser-operator-tests"  # kept for post-mortems


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Operator:
    """An `alchemiser operator` subprocess with its own metrics and health ports."""

    def __init__(self, cluster: KubeCluster, log: Path, *args: str) -> None:
        self.metrics_port = _free_port()
        self.health_port = _free_port()
        self.log = log
        command = [
            sys.executable, "-m", "alchemiser.cli", "operator",
            "--metrics-address=127.0.0.1",
            f"--metrics-port={self.metrics_port}",
            f"--health-port={self.health_port}",
            "--worker-image=alchemiser:test",
            f"--worker-node-selector={NO_NODE}",
            "--resync-seconds=5",
            "--log-format=console",
            *args,
        ]  # fmt: skip
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            command, env=cluster.env, stdout=self._out, stderr=subprocess.STDOUT, cwd=REPO
        )

    def healthy(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.health_port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def wait_ready(self) -> Operator:
        wait_for("operator /healthz", self.healthy, timeout=60)
        return self

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()


@pytest.fixture(scope="module")
def operator(kube_cluster: KubeCluster, crds: None) -> Iterator[Operator]:
    """The operator serving namespaces named t-test-op-*, standalone, 5 s resync sweep."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"module-{os.getpid()}.log"
    process = Operator(kube_cluster, log, f"--namespace={PATTERN}", "--standalone")
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def start_operator(
    kube_cluster: KubeCluster, crds: None, tmp_path: Path
) -> Iterator[Callable[..., Operator]]:
    """Start extra operators for one test; all are stopped afterwards."""
    started: list[Operator] = []

    def start(*args: str, name: str = "operator") -> Operator:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        process = Operator(kube_cluster, LOG_DIR / f"{tmp_path.name}-{name}.log", *args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


# --- helpers -----------------------------------------------------------------------------


def apply(kube: KubeCluster, manifest: dict[str, Any]) -> None:
    kube.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def secret(kube: KubeCluster, namespace: str, name: str = "alpaca-paper", **keys: str) -> None:
    data = keys or {runtime.KEY_ID_FILE: "id", runtime.SECRET_KEY_FILE: "secret"}
    args = [f"--from-literal={key}={value}" for key, value in data.items()]
    kube.kubectl("create", "secret", "generic", name, "-n", namespace, *args)


def strategy(
    kube: KubeCluster,
    namespace: str,
    name: str = "nuclear-trader",
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> None:
    body: dict[str, Any] = {
        "schedule": "45 15 * * 1-5",
        "mode": "paper",
        "allocations": [
            {"strategy": "static", "weight": 1.0, "parameters": {"weights": {"SPY": 1.0}}}
        ],
        "broker": {"credentialsSecret": "alpaca-paper"},
    }
    body.update(spec)
    apply(
        kube,
        {
            "apiVersion": runtime.API_VERSION,
            "kind": runtime.STRATEGY_KIND,
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": body,
        },
    )


def halt(kube: KubeCluster, name: str, namespace: str, **spec: Any) -> None:
    """A halt always limited to the test's namespace, so it never touches other tests."""
    apply(
        kube,
        {
            "apiVersion": runtime.API_VERSION,
            "kind": runtime.HALT_KIND,
            "metadata": {"name": name},
            "spec": {"reason": "test", "namespaces": [namespace], **spec},
        },
    )


def get(kube: KubeCluster, *args: str) -> dict[str, Any] | None:
    result = kube.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def condition(obj: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    for item in ((obj or {}).get("status") or {}).get("conditions") or ():
        if item.get("type") == kind:
            return dict(item)
    return {}


def tstrat(kube: KubeCluster, namespace: str, name: str = "nuclear-trader") -> dict[str, Any]:
    return get(kube, "tradingstrategy", name, "-n", namespace) or {}


def cronjob(kube: KubeCluster, namespace: str, name: str = "nuclear-trader") -> dict[str, Any]:
    return get(kube, "cronjob", name, "-n", namespace) or {}


def wait_condition(
    kube: KubeCluster,
    namespace: str,
    kind: str,
    status: str,
    *,
    reason: str | None = None,
    name: str = "nuclear-trader",
    timeout: float = 60,
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        obj = tstrat(kube, namespace, name)
        found = condition(obj, kind)
        ok = found.get("status") == status and (reason is None or found.get("reason") == reason)
        return obj if ok else None

    return wait_for(f"{name} {kind}={status} {reason or ''}", probe, timeout=timeout)


def wait_suspended(
    kube: KubeCluster,
    namespace: str,
    value: bool,
    name: str = "nuclear-trader",
    timeout: float = 60,
) -> dict[str, Any]:
    return wait_for(
        f"cronjob {name} suspend={value}",
        lambda: (c := cronjob(kube, namespace, name)) and c["spec"].get("suspend") is value and c,
        timeout=timeout,
    )


def events(kube: KubeCluster, namespace: str, reason: str) -> list[dict[str, Any]]:
    items = (get(kube, "events", "-n", namespace) or {}).get("items") or []
    return [e for e in items if e.get("reason") == reason]


def wait_event(kube: KubeCluster, namespace: str, reason: str, timeout: float = 30) -> str:
    found = wait_for(f"event {reason}", lambda: events(kube, namespace, reason), timeout=timeout)
    return str(found[-1].get("message", ""))


def jobs(kube: KubeCluster, namespace: str) -> list[dict[str, Any]]:
    return list((get(kube, "jobs", "-n", namespace) or {}).get("items") or [])


def run_now(kube: KubeCluster, namespace: str, token: str, name: str = "nuclear-trader") -> None:
    kube.kubectl(
        "annotate", "--overwrite", "tradingstrategy", name, "-n", namespace,
        f"{runtime.ANNOTATION_RUN_NOW}={token}",
    )  # fmt: skip


def worker_account(kube: KubeCluster, namespace: str) -> None:
    """The worker ServiceAccount the chart creates; Jobs cannot make pods without it."""
    kube.kubectl("create", "serviceaccount", "alchemiser-worker", "-n", namespace)


def ready_strategy(kube: KubeCluster, namespace: str, **kwargs: Any) -> dict[str, Any]:
    worker_account(kube, namespace)
    secret(kube, namespace)
    strategy(kube, namespace, **kwargs)
    return wait_condition(kube, namespace, "Ready", "True")


# --- reconciling strategies --------------------------------------------------------------


def test_op_strategy_becomes_a_ready_cronjob(kube_cluster, namespace, operator):
    """A strategy with its Secret gets an owned CronJob, Ready status and a CronJobCreated Event."""
    obj = ready_strategy(kube_cluster, namespace)
    status = obj["status"]
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert status["cronJobName"] == "nuclear-trader"
    assert status["haltedBy"] == []
    assert condition(obj, "Halted")["status"] == "False"
    assert condition(obj, "LastRunSucceeded")["status"] == "Unknown"
    cj = cronjob(kube_cluster, namespace)
    assert cj["spec"]["suspend"] is False
    assert cj["spec"]["schedule"] == "45 15 * * 1-5"
    assert cj["spec"]["timeZone"] == "America/New_York"
    owner = cj["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == (
        "TradingStrategy",
        obj["metadata"]["uid"],
        True,
    )
    shown = get(kube_cluster, "cronjob", "nuclear-trader", "-n", namespace, "--show-managed-fields")
    managers = {m["manager"] for m in (shown or {})["metadata"]["managedFields"]}
    assert runtime.FIELD_MANAGER in managers
    allowed = {"observedGeneration", "conditions", "cronJobName", "haltedBy", "lastScheduleTime"}
    assert set(status) <= allowed | {"lastRun"}
    assert not [k for k in obj["metadata"].get("annotations", {}) if "kopf.zalando.org" in k]
    assert not obj["metadata"].get("finalizers")  # deleting never waits for the operator
    assert "created CronJob nuclear-trader" in wait_event(kube_cluster, namespace, "CronJobCreated")


def test_op_spec_change_updates_the_cronjob(kube_cluster, namespace, operator):
    """Changing the schedule updates the CronJob and observedGeneration, with an Event."""
    ready_strategy(kube_cluster, namespace)
    strategy(kube_cluster, namespace, schedule="30 15 * * 1-5")
    wait_for(
        "new schedule",
        lambda: cronjob(kube_cluster, namespace)["spec"]["schedule"] == "30 15 * * 1-5",
        timeout=30,
    )
    wait_for(
        "observedGeneration 2",
        lambda: tstrat(kube_cluster, namespace)["status"].get("observedGeneration") == 2,
        timeout=30,
    )
    wait_event(kube_cluster, namespace, "CronJobUpdated")


def test_op_drift_is_repaired(kube_cluster, namespace, operator):
    """A CronJob edited by hand, then deleted by hand, is restored by the sweep within 60 s."""
    ready_strategy(kube_cluster, namespace)
    kube_cluster.kubectl(
        "patch", "cronjob", "nuclear-trader", "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": {"schedule": "* * * * *", "suspend": True}}),
    )  # fmt: skip
    wait_for(
        "schedule restored",
        lambda: (
            (c := cronjob(kube_cluster, namespace))["spec"]["schedule"] == "45 15 * * 1-5"
            and c["spec"]["suspend"] is False
        ),
        timeout=60,
    )
    uid = cronjob(kube_cluster, namespace)["metadata"]["uid"]
    kube_cluster.kubectl("delete", "cronjob", "nuclear-trader", "-n", namespace)
    wait_for(
        "cronjob recreated",
        lambda: cronjob(kube_cluster, namespace).get("metadata", {}).get("uid") not in (None, uid),
        timeout=60,
    )


def test_op_deleting_the_strategy_garbage_collects_the_cronjob(kube_cluster, namespace, operator):
    """The owner reference lets the garbage collector delete the CronJob with the strategy."""
    ready_strategy(kube_cluster, namespace)
    kube_cluster.kubectl("delete", "tradingstrategy", "nuclear-trader", "-n", namespace)
    wait_for(
        "cronjob gone",
        lambda: get(kube_cluster, "cronjob", "nuclear-trader", "-n", namespace) is None,
    )


def test_op_missing_secret_then_created(kube_cluster, namespace, operator):
    """No Secret: not Ready (CredentialsMissing), suspended; the Secret appearing fixes it."""
    strategy(kube_cluster, namespace)
    obj = wait_condition(kube_cluster, namespace, "Ready", "False", reason="CredentialsMissing")
    assert "alpaca-paper" in condition(obj, "Ready")["message"]
    assert wait_suspended(kube_cluster, namespace, True)
    wait_event(kube_cluster, namespace, "CredentialsMissing")
    secret(kube_cluster, namespace, **{runtime.KEY_ID_FILE: "only-the-id"})
    wait_condition(kube_cluster, namespace, "Ready", "False", reason="CredentialsMissing")
    wait_for(
        "message names the missing key",
        lambda: (
            runtime.SECRET_KEY_FILE
            in condition(tstrat(kube_cluster, namespace), "Ready")["message"]
        ),
        timeout=30,
    )
    kube_cluster.kubectl("delete", "secret", "alpaca-paper", "-n", namespace)
    secret(kube_cluster, namespace)
    wait_condition(kube_cluster, namespace, "Ready", "True", timeout=60)
    wait_suspended(kube_cluster, namespace, False)
    text = json.dumps(tstrat(kube_cluster, namespace)) + json.dumps(
        get(kube_cluster, "events", "-n", namespace)
    )
    assert "only-the-id" not in text


def test_op_invalid_parameters(kube_cluster, namespace, operator):
    """Parameters the strategy's model refuses make it not Ready with InvalidParameters."""
    secret(kube_cluster, namespace)
    strategy(
        kube_cluster,
        namespace,
        allocations=[{"strategy": "nuclear", "weight": 1.0, "parameters": {"bogus": 1}}],
    )
    obj = wait_condition(kube_cluster, namespace, "Ready", "False", reason="InvalidParameters")
    assert "bogus" in condition(obj, "Ready")["message"]
    wait_suspended(kube_cluster, namespace, True)


def test_op_live_mode_is_gated(kube_cluster, namespace, operator):
    """mode: live without --allow-live-trading is not Ready (LiveTradingNotAllowed)."""
    secret(kube_cluster, namespace)
    strategy(kube_cluster, namespace, mode="live")
    wait_condition(kube_cluster, namespace, "Ready", "False", reason="LiveTradingNotAllowed")
    wait_suspended(kube_cluster, namespace, True)
    wait_event(kube_cluster, namespace, "LiveTradingNotAllowed")


def test_op_own_suspend_is_respected(kube_cluster, namespace, operator):
    """spec.suspend suspends the CronJob while the strategy stays Ready."""
    ready_strategy(kube_cluster, namespace, suspend=True)
    wait_suspended(kube_cluster, namespace, True)


# --- the kill switch ---------------------------------------------------------------------


def test_op_halt_by_namespace_and_resume(kube_cluster, namespace, operator):
    """A halt for the namespace suspends, reports Halted and haltedBy; deleting it resumes."""
    ready_strategy(kube_cluster, namespace)
    name = f"{namespace}-ns"
    try:
        halt(kube_cluster, name, namespace)
        wait_suspended(kube_cluster, namespace, True, timeout=10)
        obj = wait_condition(kube_cluster, namespace, "Halted", "True", reason="HaltActive")
        assert obj["status"]["haltedBy"] == [name]
        assert condition(obj, "Ready")["status"] == "True"
        wait_event(kube_cluster, namespace, "Halted")
        h = wait_for(
            "halt status",
            lambda: (h := get(kube_cluster, "tradinghalt", name)) and condition(h, "Active") and h,
            timeout=30,
        )
        assert condition(h, "Active")["status"] == "True"
        assert h["status"]["affectedStrategies"] == 1
        assert 0 <= h["status"]["propagationSeconds"] < 10
        assert not h["metadata"].get("finalizers")  # deleting the kill switch never waits
        assert "alchemiser_halt_propagation_seconds_count" in operator.metrics()
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")
    wait_suspended(kube_cluster, namespace, False, timeout=30)
    obj = wait_condition(kube_cluster, namespace, "Halted", "False")
    assert obj["status"]["haltedBy"] == []
    wait_event(kube_cluster, namespace, "Resumed")


def test_op_halt_by_selector(kube_cluster, namespace, operator):
    """Only strategies whose labels match the halt's selector are halted."""
    secret(kube_cluster, namespace)
    secret(kube_cluster, namespace, "alpaca-ops")  # one account per strategy (AccountInUse)
    strategy(kube_cluster, namespace, "quant", labels={"team": "quant"})
    strategy(
        kube_cluster, namespace, "ops", labels={"team": "ops"},
        broker={"credentialsSecret": "alpaca-ops"},
    )  # fmt: skip
    wait_condition(kube_cluster, namespace, "Ready", "True", name="quant")
    wait_condition(kube_cluster, namespace, "Ready", "True", name="ops")
    name = f"{namespace}-sel"
    try:
        halt(kube_cluster, name, namespace, strategySelector={"matchLabels": {"team": "quant"}})
        wait_suspended(kube_cluster, namespace, True, name="quant", timeout=10)
        wait_condition(kube_cluster, namespace, "Halted", "True", name="quant")
        h = wait_for(
            "halt status",
            lambda: (h := get(kube_cluster, "tradinghalt", name)) and h.get("status") and h,
            timeout=30,
        )
        assert h["status"]["affectedStrategies"] == 1
        assert cronjob(kube_cluster, namespace, "ops")["spec"]["suspend"] is False
        assert condition(tstrat(kube_cluster, namespace, "ops"), "Halted")["status"] == "False"
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")
    wait_suspended(kube_cluster, namespace, False, name="quant", timeout=30)


def test_op_halt_expires(kube_cluster, namespace, operator):
    """A halt past its expiresAt stops applying: Active=False, the strategy resumes."""
    ready_strategy(kube_cluster, namespace)
    name = f"{namespace}-exp"
    expires = (datetime.now(UTC) + timedelta(seconds=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        halt(kube_cluster, name, namespace, expiresAt=expires)
        wait_suspended(kube_cluster, namespace, True, timeout=10)
        wait_suspended(kube_cluster, namespace, False, timeout=40)
        wait_condition(kube_cluster, namespace, "Halted", "False")
        wait_for(
            "halt inactive",
            lambda: (
                condition(get(kube_cluster, "tradinghalt", name), "Active").get("status") == "False"
            ),
            timeout=30,
        )
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")


def test_op_reduce_only_halt_keeps_scheduling(kube_cluster, namespace, operator):
    """A ReduceOnly halt is reported but the CronJob keeps running."""
    ready_strategy(kube_cluster, namespace)
    name = f"{namespace}-ro"
    try:
        halt(kube_cluster, name, namespace, mode="ReduceOnly")
        obj = wait_condition(kube_cluster, namespace, "Halted", "True", reason="ReduceOnly")
        assert obj["status"]["haltedBy"] == [name]
        assert cronjob(kube_cluster, namespace)["spec"]["suspend"] is False
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")


def test_op_halt_deletes_the_active_job(kube_cluster, namespace, operator):
    """A halt deletes the strategy's running Job (the worker gets SIGTERM)."""
    ready_strategy(kube_cluster, namespace)
    run_now(kube_cluster, namespace, "first")
    wait_for("a job", lambda: jobs(kube_cluster, namespace), timeout=30)
    name = f"{namespace}-job"
    try:
        halt(kube_cluster, name, namespace)
        wait_for(
            "job deleted",
            lambda: (
                not [
                    j
                    for j in jobs(kube_cluster, namespace)
                    if not j["metadata"].get("deletionTimestamp")
                ]
            ),
            timeout=30,
        )
        assert "halted by" in wait_event(kube_cluster, namespace, "JobDeleted")
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")


def test_op_strategy_created_during_a_halt_starts_halted(kube_cluster, namespace, operator):
    """A strategy created while a halt matches never gets an unsuspended CronJob."""
    name = f"{namespace}-pre"
    try:
        halt(kube_cluster, name, namespace)
        wait_for(
            "halt seen",
            lambda: (get(kube_cluster, "tradinghalt", name) or {}).get("status"),
            timeout=30,
        )
        secret(kube_cluster, namespace)
        strategy(kube_cluster, namespace)
        obj = wait_condition(kube_cluster, namespace, "Halted", "True")
        assert obj["status"]["haltedBy"] == [name]
        cj = cronjob(kube_cluster, namespace)
        assert cj["spec"]["suspend"] is True
        assert cj["metadata"]["generation"] == 1  # never applied unsuspended
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")
    wait_suspended(kube_cluster, namespace, False, timeout=30)


# --- run-now and run results -------------------------------------------------------------


def test_op_run_now_creates_one_job_owned_by_the_cronjob(kube_cluster, namespace, operator):
    """A new run-now value creates exactly one Job from the CronJob's template."""
    ready_strategy(kube_cluster, namespace)
    run_now(kube_cluster, namespace, "2026-11-27T15:00:00Z")
    found = wait_for("job", lambda: jobs(kube_cluster, namespace), timeout=30)
    time.sleep(2)
    assert len(jobs(kube_cluster, namespace)) == 1
    job = found[0]
    owner = job["metadata"]["ownerReferences"][0]
    cj = cronjob(kube_cluster, namespace)
    assert (owner["kind"], owner["uid"]) == ("CronJob", cj["metadata"]["uid"])
    assert job["metadata"]["labels"][runtime.LABEL_STRATEGY] == "nuclear-trader"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["run"]
    wait_event(kube_cluster, namespace, "RunStarted")


def test_op_run_now_is_refused_while_halted_or_suspended(kube_cluster, namespace, operator):
    """run-now on a halted or suspended strategy creates no Job and says why in an Event."""
    ready_strategy(kube_cluster, namespace, suspend=True)
    run_now(kube_cluster, namespace, "one")
    assert "suspended" in wait_event(kube_cluster, namespace, "RunNowRefused")
    strategy(kube_cluster, namespace, suspend=False)
    name = f"{namespace}-rn"
    try:
        halt(kube_cluster, name, namespace)
        wait_condition(kube_cluster, namespace, "Halted", "True")
        run_now(kube_cluster, namespace, "two")
        wait_for(
            "halted refusal",
            lambda: any(
                "halted by" in e.get("message", "")
                for e in events(kube_cluster, namespace, "RunNowRefused")
            ),
            timeout=30,
        )
        assert jobs(kube_cluster, namespace) == []
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")


def _finish_pod(
    kube: KubeCluster, namespace: str, job: str, *, message: str | None, code: int
) -> None:
    """Write the status a kubelet would write for a terminated worker container."""

    def running() -> list[dict[str, Any]]:
        pods = get(kube, "pods", "-n", namespace, "-l", f"{runtime.LABEL_JOB_NAME}={job}") or {}
        items = pods.get("items") or []
        return [p for p in items if p["status"].get("phase") not in ("Succeeded", "Failed")]

    pod = wait_for("an unfinished job pod", running, timeout=30)[0]
    terminate_pod(kube, pod, message=message, code=code)


def terminate_pod(
    kube: KubeCluster,
    pod: dict[str, Any],
    *,
    message: str | None,
    code: int,
    container: str = "worker",
) -> None:
    """Write the status a kubelet writes when the pod's one container ended with `code`."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    terminated: dict[str, Any] = {
        "exitCode": code,
        "reason": "Completed" if code == 0 else "Error",
        "startedAt": now,
        "finishedAt": now,
    }
    if message is not None:
        terminated["message"] = message
    status = {
        "status": {
            "phase": "Succeeded" if code == 0 else "Failed",
            "containerStatuses": [
                {
                    "name": container,
                    "image": "alchemiser:test",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"terminated": terminated},
                }
            ],
        }
    }
    kube.kubectl(
        "patch", "pod", pod["metadata"]["name"], "-n", pod["metadata"]["namespace"],
        "--subresource=status", "--type=merge", "-p", json.dumps(status),
    )  # fmt: skip


def test_op_run_result_is_read_from_the_termination_message(kube_cluster, namespace, operator):
    """A finished Job's result lands in status.lastRun, LastRunSucceeded, an Event and metrics."""
    ready_strategy(kube_cluster, namespace)
    run_now(kube_cluster, namespace, "result")
    job = wait_for("job", lambda: jobs(kube_cluster, namespace), timeout=30)[0]["metadata"]["name"]
    result = RunResult(
        outcome=Outcome.SUCCEEDED, run_id="r-1", orders_submitted=2, orders_rejected=1,
        notional=2500.0, message="rebalanced",
    )  # fmt: skip
    _finish_pod(kube_cluster, namespace, job, message=result.to_json(), code=0)
    obj = wait_condition(kube_cluster, namespace, "LastRunSucceeded", "True", reason="Succeeded")
    last = obj["status"]["lastRun"]
    assert (last["job"], last["outcome"], last["ordersSubmitted"], last["ordersRejected"]) == (
        job, "Succeeded", 2, 1,
    )  # fmt: skip
    assert last["notional"] == 2500.0
    assert "Succeeded" in wait_event(kube_cluster, namespace, "RunFinished")
    text = operator.metrics()
    assert (
        f'alchemiser_runs_total{{namespace="{namespace}",outcome="Succeeded",'
        'strategy="nuclear-trader"} 1.0' in text
    )
    assert (
        f'alchemiser_orders_total{{namespace="{namespace}",outcome="submitted",'
        'strategy="nuclear-trader"} 2.0' in text
    )
    assert f'alchemiser_last_successful_run_timestamp_seconds{{namespace="{namespace}"' in text


def test_op_halt_leaves_a_finished_job_alone(kube_cluster, namespace, operator):
    """A halt after a run finished does not delete that Job: only active Jobs are deleted."""
    ready_strategy(kube_cluster, namespace)
    run_now(kube_cluster, namespace, "finished")
    job = wait_for("job", lambda: jobs(kube_cluster, namespace), timeout=30)[0]["metadata"]["name"]
    result = RunResult(outcome=Outcome.NO_TRADES, run_id="r-2", message="nothing to do")
    _finish_pod(kube_cluster, namespace, job, message=result.to_json(), code=0)
    wait_condition(kube_cluster, namespace, "LastRunSucceeded", "True", reason="NoTrades")

    def complete() -> bool:
        found = get(kube_cluster, "job", job, "-n", namespace) or {}
        conditions = (found.get("status") or {}).get("conditions") or []
        return any(c["type"] == "Complete" and c["status"] == "True" for c in conditions)

    wait_for("the Job to be Complete", complete, timeout=30)
    name = f"{namespace}-after"
    try:
        halt(kube_cluster, name, namespace)
        wait_condition(kube_cluster, namespace, "Halted", "True")
        wait_suspended(kube_cluster, namespace, True, timeout=30)
        time.sleep(2)  # the Job deletions of the halt's second phase would have been sent
        remaining = get(kube_cluster, "job", job, "-n", namespace) or {}
        assert remaining and not remaining["metadata"].get("deletionTimestamp")
        assert not events(kube_cluster, namespace, "JobDeleted")
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")


def test_op_failed_job_without_result_is_failed_with_the_reason(kube_cluster, namespace, operator):
    """A Job whose pod died without a result is recorded as Failed with the pod's reason."""
    ready_strategy(kube_cluster, namespace)
    run_now(kube_cluster, namespace, "crash")
    job = wait_for("job", lambda: jobs(kube_cluster, namespace), timeout=30)[0]["metadata"]["name"]
    for attempt in range(3):  # backoffLimit 1: up to two pods
        _finish_pod(kube_cluster, namespace, job, message="Traceback: boom", code=1)
        time.sleep(2)
        if condition(tstrat(kube_cluster, namespace), "LastRunSucceeded").get("status") == "False":
            break
        del attempt
    obj = wait_condition(kube_cluster, namespace, "LastRunSucceeded", "False", reason="Failed")
    assert obj["status"]["lastRun"]["outcome"] == "Failed"
    assert "Error (exit code 1)" in obj["status"]["lastRun"]["message"]


# --- observability -----------------------------------------------------------------------


def test_op_metrics_and_probe(kube_cluster, namespace, operator):
    """/metrics serves alchemiser_ metrics (strategies by state, reconciles); /healthz answers."""
    ready_strategy(kube_cluster, namespace)
    wait_for(
        "reconcile metric", lambda: "alchemiser_reconcile_total" in operator.metrics(), timeout=10
    )
    text = operator.metrics()
    for name in (
        "alchemiser_strategies{",
        "alchemiser_reconcile_duration_seconds_bucket",
        "alchemiser_strategy_ready{",
        "alchemiser_halts_active{",
    ):
        assert name in text, name
    assert operator.healthy()


# --- restarts and replicas (their own operators; names outside t-test-op-*) --------------


def test_restart_during_a_halt_keeps_it_and_sees_deletion(kube_cluster, namespace, start_operator):
    """A restart changes nothing during a halt; a halt deleted while down is resumed on start."""
    args = (f"--namespace={namespace}", "--standalone")
    first = start_operator(*args, name="first").wait_ready()
    ready_strategy(kube_cluster, namespace)
    name = f"{namespace}-rs"
    try:
        halt(kube_cluster, name, namespace)
        wait_suspended(kube_cluster, namespace, True, timeout=10)
        first.stop()
        second = start_operator(*args, name="second").wait_ready()
        time.sleep(8)  # more than one resync interval
        assert cronjob(kube_cluster, namespace)["spec"]["suspend"] is True
        assert condition(tstrat(kube_cluster, namespace), "Halted")["status"] == "True"
        second.stop()
        # Deleted while no operator runs: the next one sees it gone and resumes.
        kube_cluster.kubectl("delete", "tradinghalt", name, "--wait=false")
        start_operator(*args, name="third").wait_ready()
        wait_suspended(kube_cluster, namespace, False, timeout=30)
        wait_condition(kube_cluster, namespace, "Halted", "False")
        wait_for("halt gone", lambda: get(kube_cluster, "tradinghalt", name) is None, timeout=30)
    finally:
        kube_cluster.kubectl("delete", "tradinghalt", name, "--ignore-not-found", "--wait=false")


def test_second_replica_stays_passive(kube_cluster, namespace, start_operator):
    """With peering, the lower-priority replica pauses and the higher one does the work."""
    apply(
        kube_cluster,
        {
            "apiVersion": "kopf.dev/v1",
            "kind": "KopfPeering",
            "metadata": {"name": "alchemiser", "namespace": namespace},
        },
    )
    args = (f"--namespace={namespace}", "--peering-name=alchemiser")
    low = start_operator(*args, "--priority=100", name="low").wait_ready()
    ready_strategy(kube_cluster, namespace)  # low is alone: active, and indexes it
    high = start_operator(*args, "--priority=200", name="high").wait_ready()
    wait_for("low pauses", lambda: "Pausing operations" in low.logs(), timeout=60)
    assert "Pausing operations" not in high.logs()
    peering = get(kube_cluster, "kopfpeering", "alchemiser", "-n", namespace) or {}
    assert len(peering.get("status") or {}) == 2
    strategy(kube_cluster, namespace, schedule="30 15 * * 1-5")
    wait_for(
        "high applies the change",
        lambda: cronjob(kube_cluster, namespace)["spec"]["schedule"] == "30 15 * * 1-5",
        timeout=30,
    )
    # The active replica dies without leaving the peering object: until its entry expires
    # (60 s) the passive one stays paused, and its resync sweep must not write either,
    # although its index still holds the strategy.
    high.process.kill()
    high.stop()
    seen = len(low.logs())
    kube_cluster.kubectl("delete", "cronjob", "nuclear-trader", "-n", namespace)
    time.sleep(12)  # two resync intervals
    assert cronjob(kube_cluster, namespace) == {}
    assert "repairing CronJob drift" not in low.logs()[seen:]


def test_op_halt_and_resume_commands(kube_cluster, namespace, operator):
    """`alchemiser halt` creates a TradingHalt the operator enforces; `resume` deletes it."""
    ready_strategy(kube_cluster, namespace)
    name = f"{namespace}-cli"
    command = [sys.executable, "-m", "alchemiser.cli"]
    try:
        done = subprocess.run(
            [*command, "halt", name, "--reason", "cli test", "-n", namespace],
            env=kube_cluster.env, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_suspended(kube_cluster, namespace, True, timeout=15)
    finally:
        done = subprocess.run(
            [*command, "resume", name],
            env=kube_cluster.env, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wait_suspended(kube_cluster, namespace, False, timeout=30)
