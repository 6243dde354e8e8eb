"""Circuit breakers, daily throttles and one account per strategy, on the real control plane.

The operator runs as a subprocess serving namespaces named t-test-brk-*. Each trading
run is the real worker (`alchemiser run`) against a real paper exchange process, with
the environment, credentials and run ledger of the Job's own pod: the test starts a
run with run-now, reads the pending pod's env (spec JSON, labels, downward API), writes
the Secret's keys and the ledger ConfigMap into files as the kubelet would mount them,
runs the worker on this machine (KUBECONFIG set, so it reads TradingHalts itself) and
writes its JSON result into the pod's status as the kubelet would (the module's
operator routes pods to a node no one serves, as tests/kube/test_operator.py does).
Price moves and faults go through the exchange's /admin API.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubetest import KubeCluster, wait_for
from test_operator import (
    LOG_DIR,
    Operator,
    _finish_pod,
    condition,
    get,
    jobs,
    run_now,
    tstrat,
    wait_condition,
    wait_event,
    wait_suspended,
    worker_account,
)

from alchemiser.api import runtime
from alchemiser.api.result import Outcome, RunResult

REPO = Path(__file__).resolve().parents[2]
ALCHEMISER = str(Path(sys.executable).parent / "alchemiser")
PATTERN = "t-test-brk-*"
# A minute when NYSE was open; the worker takes its time from the exchange.
MARKET_OPEN = "2026-11-25T20:30:00+00:00"
NAME = "trader"


@dataclass
class Exchange:
    """A paper exchange process (`alchemiser sim`) with a fixed open-market clock."""

    process: subprocess.Popen[bytes]
    url: str
    key_id: str
    secret_key: str

    @classmethod
    def start(cls, directory: Path, key_id: str, secret_key: str) -> Exchange:
        log = directory / "exchange.log"
        argv = [
            ALCHEMISER, "sim", "--host", "127.0.0.1", "--port", "0", "--now", MARKET_OPEN,
            "--key-id", key_id, "--secret-key", secret_key,
            "--state", str(directory / "exchange.sqlite"),
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

        def url() -> str | None:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"serving"' in line:
                    return str(json.loads(line)["url"])
            assert process.poll() is None, log.read_text()[-2000:]
            return None

        return cls(process, wait_for("the exchange", url, timeout=60), key_id, secret_key)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def orders(self) -> list[dict[str, Any]]:
        return list(self.admin("GET", "/admin/orders"))

    def move(self, **moves: float) -> None:
        self.admin("POST", "/admin/prices", {"moves": moves})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def operator(kube_cluster: KubeCluster, crds: None) -> Iterator[Operator]:
    """The operator serving namespaces named t-test-brk-*, standalone, 5 s resync sweep."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    process = Operator(
        kube_cluster,
        LOG_DIR / f"breakers-{os.getpid()}.log",
        f"--namespace={PATTERN}",
        "--standalone",
    )
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[Exchange]:
    """A fresh paper exchange (100,000 USD cash) for one test."""
    running = Exchange.start(tmp_path, "brk-key", "brk-secret")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _breaker_halts(kube_cluster: KubeCluster, namespace: str) -> Iterator[None]:
    """Breaker halts are cluster-scoped: delete this test's namespace's afterwards."""
    yield
    kube_cluster.kubectl(
        "delete", "tradinghalt", "-l", f"{runtime.LABEL_STRATEGY_NAMESPACE}={namespace}",
        "--ignore-not-found", "--wait=false", check=False,
    )  # fmt: skip


# --- helpers -----------------------------------------------------------------------------


def setup(kube: KubeCluster, namespace: str, exchange: Exchange, **strategy: Any) -> dict[str, Any]:
    """A Ready strategy on the exchange (its Secret holds the exchange's keys); `strategy`
    is apply_strategy's options (name, secret, weights, spec fields)."""
    name, secret = strategy.get("name", NAME), strategy.get("secret", "paper-keys")
    if get(kube, "serviceaccount", "alchemiser-worker", "-n", namespace) is None:
        worker_account(kube, namespace)
    if get(kube, "secret", secret, "-n", namespace) is None:
        kube.kubectl(
            "create", "secret", "generic", secret, "-n", namespace,
            f"--from-literal={runtime.KEY_ID_FILE}={exchange.key_id}",
            f"--from-literal={runtime.SECRET_KEY_FILE}={exchange.secret_key}",
        )  # fmt: skip
    apply_strategy(kube, namespace, exchange, **strategy)
    return wait_condition(kube, namespace, "Ready", "True", name=name)


def apply_strategy(
    kube: KubeCluster,
    namespace: str,
    exchange: Exchange,
    *,
    name: str = NAME,
    secret: str = "paper-keys",
    weights: dict[str, float] | None = None,
    **spec: Any,
) -> None:
    body: dict[str, Any] = {
        "schedule": "45 15 * * 1-5",
        "mode": "paper",
        "allocations": [
            {
                "strategy": "static",
                "weight": 1.0,
                "parameters": {"weights": weights or {"SPY": 1.0}},
            }
        ],
        "broker": {"credentialsSecret": secret, "endpoint": exchange.url},
        "risk": {"maxOrderNotional": 100_000, "maxPositionFraction": 1.0, "maxDailyNotional": 1e6},
        **spec,
    }
    manifest = {
        "apiVersion": runtime.API_VERSION,
        "kind": runtime.STRATEGY_KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def _resolve(env: list[dict[str, Any]], pod: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet resolves it (values and downward API)."""
    out: dict[str, str] = {}
    for item in env:
        if "value" in item:
            out[item["name"]] = item["value"]
            continue
        path = item["valueFrom"]["fieldRef"]["fieldPath"]
        if path == "metadata.namespace":
            out[item["name"]] = pod["metadata"]["namespace"]
        elif path == "metadata.name":
            out[item["name"]] = pod["metadata"]["name"]
        else:
            label = path.removeprefix("metadata.labels['").removesuffix("']")
            out[item["name"]] = pod["metadata"]["labels"][label]
    return out


def _mounts(
    kube: KubeCluster, namespace: str, pod: dict[str, Any], root: Path
) -> tuple[Path, Path]:
    """The credentials and ledger volumes' files, as the kubelet would mount them."""
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    creds, ledger = root / "credentials", root / "ledger"
    creds.mkdir()
    ledger.mkdir()
    secret = get(
        kube, "secret", volumes["broker-credentials"]["secret"]["secretName"], "-n", namespace
    )
    for key, value in (secret or {}).get("data", {}).items():
        (creds / key).write_bytes(base64.b64decode(value))
    config_map = get(kube, "configmap", volumes["ledger"]["configMap"]["name"], "-n", namespace)
    for key, value in ((config_map or {}).get("data") or {}).items():
        (ledger / key).write_text(value)
    return creds, ledger


def _pending_pod(kube: KubeCluster, namespace: str, job: str) -> dict[str, Any]:
    def pending() -> list[dict[str, Any]]:
        found = get(kube, "pods", "-n", namespace, "-l", f"{runtime.LABEL_JOB_NAME}={job}") or {}
        return [p for p in found.get("items") or [] if p["status"].get("phase") == "Pending"]

    return dict(wait_for(f"a pending pod of {job}", pending, timeout=30)[0])


def worker(kube: KubeCluster, pod: dict[str, Any], root: Path) -> RunResult:
    """Run the real worker with the pod's environment and volumes; return its result."""
    namespace = pod["metadata"]["namespace"]
    root.mkdir(parents=True)
    creds, ledger = _mounts(kube, namespace, pod, root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(_resolve(pod["spec"]["containers"][0]["env"], pod))
    env["KUBECONFIG"] = str(kube.kubeconfig)
    termination = root / "termination-log"
    argv = [
        ALCHEMISER, "run", "--credentials-dir", str(creds), "--ledger-dir", str(ledger),
        "--termination-log", str(termination), "--log-format", "console", "--fill-timeout", "5",
    ]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180, check=False)
    (root / "worker.log").write_text(done.stdout + done.stderr)
    assert termination.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return RunResult.from_json(termination.read_text())


def run(kube: KubeCluster, namespace: str, tmp: Path, token: str, name: str = NAME) -> RunResult:
    """One run-now run: the real worker's result recorded on the Job's pod."""
    before = {j["metadata"]["name"] for j in jobs(kube, namespace)}
    run_now(kube, namespace, token, name=name)
    job = wait_for(
        f"the Job of run-now {token}",
        lambda: [j for j in jobs(kube, namespace) if j["metadata"]["name"] not in before],
        timeout=30,
    )[0]["metadata"]["name"]
    pod = _pending_pod(kube, namespace, job)
    result = worker(kube, pod, tmp / token)
    code = 1 if result.outcome is Outcome.FAILED else 0

    def recorded() -> bool:
        last = (tstrat(kube, namespace, name).get("status") or {}).get("lastRun") or {}
        return bool(last.get("job") == job)

    # A failed pod is retried once by the Job (backoffLimit 1): the retry fails the same way.
    for _ in range(2):
        _finish_pod(kube, namespace, job, message=result.to_json(), code=code)
        if code == 0 or _wait_quietly(recorded, 8):
            break
    wait_for(f"{job} recorded", recorded, timeout=30)
    return result


def _wait_quietly(probe: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(0.3)
    return False


def breaker_halt(
    kube: KubeCluster, namespace: str, breaker: str, name: str = NAME
) -> dict[str, Any]:
    selector = (
        f"{runtime.LABEL_STRATEGY_NAMESPACE}={namespace},{runtime.LABEL_STRATEGY}={name},"
        f"{runtime.LABEL_BREAKER}={breaker}"
    )

    def found() -> dict[str, Any] | None:
        items = (get(kube, "tradinghalts", "-l", selector) or {}).get("items") or []
        return items[0] if items else None

    return dict(wait_for(f"the {breaker} halt", found, timeout=30))


def buys(exchange: Exchange, symbol: str) -> list[dict[str, Any]]:
    return [o for o in exchange.orders() if o["symbol"] == symbol and o["side"] == "buy"]


def trips_metric(operator: Operator, namespace: str, breaker: str) -> float:
    prefix = (
        f'alchemiser_breaker_trips_total{{breaker="{breaker}",namespace="{namespace}",'
        f'strategy="{NAME}"}} '
    )
    for line in operator.metrics().splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


# --- breakers ----------------------------------------------------------------------------


def test_brk_daily_loss_trips_in_the_run_that_sees_it_and_a_person_clears_it(
    kube_cluster: KubeCluster,
    namespace: str,
    operator: Operator,
    exchange: Exchange,
    tmp_path: Path,
) -> None:
    """A 20% price drop trips dailyLoss in the worker's own run; its ReduceOnly halt refuses the
    next buy while a sell passes; `alchemiser resume` clears it and the buy then goes through."""
    setup(kube_cluster, namespace, exchange, breakers={"dailyLossPercent": 5})
    first = run(kube_cluster, namespace, tmp_path, "buy")
    assert first.outcome is Outcome.SUCCEEDED and buys(exchange, "SPY"), first.message
    assert first.account is not None and first.account.number.startswith("PA")
    exchange.move(SPY=0.8)
    seen = run(kube_cluster, namespace, tmp_path, "drop")
    assert [t.breaker for t in seen.breaker_trips] == ["dailyLoss"], seen.message
    halt = breaker_halt(kube_cluster, namespace, "dailyLoss")
    assert halt["metadata"]["name"] == f"breaker.{namespace}.{NAME}.daily-loss"
    assert halt["spec"]["mode"] == "ReduceOnly" and "expiresAt" not in halt["spec"]
    assert halt["spec"]["strategySelector"] == {"matchLabels": {runtime.LABEL_STRATEGY: NAME}}
    assert "below the session's starting equity" in halt["spec"]["reason"]
    assert "daily-loss" in wait_event(kube_cluster, namespace, "BreakerTripped")
    wait_for("the trip metric", lambda: trips_metric(operator, namespace, "dailyLoss") == 1.0, 10)
    obj = wait_condition(kube_cluster, namespace, "Halted", "True", reason="ReduceOnly", name=NAME)
    assert obj["status"]["breakers"]["trips"][0]["breaker"] == "dailyLoss"

    # The halt stops the next buy; a sell still passes.
    apply_strategy(kube_cluster, namespace, exchange, weights={"SPY": 0.5, "TLT": 0.5},
                   breakers={"dailyLossPercent": 5})  # fmt: skip
    wait_for(
        "generation 2",
        lambda: tstrat(kube_cluster, namespace, NAME)["status"].get("observedGeneration") == 2,
        30,
    )
    halted = run(kube_cluster, namespace, tmp_path, "rebalance-halted")
    assert not buys(exchange, "TLT"), halted.message
    sells = [o for o in exchange.orders() if o["symbol"] == "SPY" and o["side"] == "sell"]
    assert sells and any("ReduceOnly" in r.reason for r in halted.rejections), halted
    # A person clears it: the next run buys, and dailyLoss does not trip again today.
    kubeconfig = str(kube_cluster.kubeconfig)
    resume = [ALCHEMISER, "resume", halt["metadata"]["name"], "--kubeconfig", kubeconfig]
    subprocess.run(resume, check=True, capture_output=True)
    wait_condition(kube_cluster, namespace, "Halted", "False", name=NAME)
    cleared = run(kube_cluster, namespace, tmp_path, "rebalance-cleared")
    assert buys(exchange, "TLT") and cleared.breaker_trips == [], cleared.message
    assert get(kube_cluster, "tradinghalt", halt["metadata"]["name"]) is None
    assert trips_metric(operator, namespace, "dailyLoss") == 1.0


def test_brk_drawdown_in_halt_mode_stops_runs_until_deleted_and_goes_with_its_strategy(
    kube_cluster: KubeCluster,
    namespace: str,
    operator: Operator,
    exchange: Exchange,
    tmp_path: Path,
) -> None:
    """Equity 15% below the high-water mark trips a Halt-mode drawdown halt with its cooldown:
    the run that sees it submits nothing, the CronJob is suspended, the worker refuses a run
    by itself; deleting the strategy deletes its breaker halt."""
    breakers = {"drawdownPercent": 10, "mode": "Halt", "cooldown": "1h"}
    setup(kube_cluster, namespace, exchange, breakers=breakers)
    run(kube_cluster, namespace, tmp_path, "buy")
    mark = tstrat(kube_cluster, namespace, NAME)["status"]["breakers"]["highWaterMark"]
    assert mark > 90_000
    exchange.move(SPY=0.85)
    before = len(exchange.orders())
    seen = run(kube_cluster, namespace, tmp_path, "drop")
    assert seen.outcome is Outcome.HALTED and seen.orders_submitted == 0, seen.message
    assert len(exchange.orders()) == before
    halt = breaker_halt(kube_cluster, namespace, "drawdown")
    assert halt["spec"]["mode"] == "Halt" and halt["spec"].get("expiresAt")
    assert "high-water mark" in halt["spec"]["reason"]
    wait_suspended(kube_cluster, namespace, True, name=NAME)
    wait_condition(kube_cluster, namespace, "Halted", "True", reason="HaltActive", name=NAME)
    # Defence in depth: a run started anyway (the pod as the CronJob would make it) refuses.
    cronjob = get(kube_cluster, "cronjob", NAME, "-n", namespace) or {}
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    labels = {**template["metadata"]["labels"], runtime.LABEL_JOB_NAME: "by-hand"}
    pod = {
        "metadata": {"namespace": namespace, "name": "by-hand", "labels": labels},
        "spec": template["spec"],
    }
    refused = worker(kube_cluster, pod, tmp_path / "by-hand")
    assert refused.outcome is Outcome.HALTED and halt["metadata"]["name"] in refused.message
    assert len(exchange.orders()) == before
    kube_cluster.kubectl("delete", "tradingstrategy", NAME, "-n", namespace)
    wait_for(
        "the breaker halt to go with its strategy",
        lambda: get(kube_cluster, "tradinghalt", halt["metadata"]["name"]) is None,
        timeout=30,
    )


def test_brk_failed_runs_and_rejected_orders_trip_their_breakers(
    kube_cluster: KubeCluster,
    namespace: str,
    operator: Operator,
    exchange: Exchange,
    tmp_path: Path,
) -> None:
    """Two runs failing on injected 5xx trip consecutiveFailedRuns 2; a run whose orders the
    risk engine rejects trips rejectedOrdersPerRun 1."""
    setup(
        kube_cluster, namespace, exchange,
        breakers={"consecutiveFailedRuns": 2, "rejectedOrdersPerRun": 1},
        risk={"maxOrderNotional": 100_000, "maxPositionFraction": 1.0, "maxDailyNotional": 1e6,
              "allowedSymbols": ["TLT"]},
    )  # fmt: skip
    exchange.admin("POST", "/admin/faults", {"spec": "5xx=1"})
    for token in ("fail-1", "fail-2"):
        assert run(kube_cluster, namespace, tmp_path, token).outcome is Outcome.FAILED
    halt = breaker_halt(kube_cluster, namespace, "consecutiveFailedRuns")
    assert "2 runs in a row ended Failed" in halt["spec"]["reason"]
    exchange.admin("POST", "/admin/faults", {"spec": ""})
    rejected = run(kube_cluster, namespace, tmp_path, "rejected")
    assert rejected.risk_rejected >= 1 and not buys(exchange, "SPY"), rejected
    halt = breaker_halt(kube_cluster, namespace, "rejectedOrdersPerRun")
    assert "rejected 1 orders" in halt["spec"]["reason"]


# --- throttles ---------------------------------------------------------------------------


def test_brk_runs_and_orders_per_day_throttle(
    kube_cluster: KubeCluster,
    namespace: str,
    operator: Operator,
    exchange: Exchange,
    tmp_path: Path,
) -> None:
    """maxOrdersPerDay 1 lets one of two orders through, then throttles; maxRunsPerDay 3 throttles
    the fourth run of the day; Throttled runs submit nothing."""
    setup(
        kube_cluster, namespace, exchange, weights={"SPY": 0.5, "TLT": 0.5},
        risk={"maxOrderNotional": 100_000, "maxPositionFraction": 1.0, "maxDailyNotional": 1e6,
              "maxOrdersPerDay": 1, "maxRunsPerDay": 3},
    )  # fmt: skip
    first = run(kube_cluster, namespace, tmp_path, "one")
    assert first.orders_submitted == 1 and len(exchange.orders()) == 1, first
    second = run(kube_cluster, namespace, tmp_path, "two")
    assert second.outcome is Outcome.THROTTLED and "maxOrdersPerDay 1" in second.message
    assert len(exchange.orders()) == 1
    third = run(kube_cluster, namespace, tmp_path, "three")
    assert third.outcome is Outcome.THROTTLED
    status = tstrat(kube_cluster, namespace, NAME)["status"]
    assert status["runsToday"]["runs"] == 3
    assert (
        condition(tstrat(kube_cluster, namespace, NAME), "LastRunSucceeded")["reason"]
        == "Throttled"
    )
    fourth = run(kube_cluster, namespace, tmp_path, "four")
    assert fourth.outcome is Outcome.THROTTLED and "maxRunsPerDay 3" in fourth.message
    assert len(exchange.orders()) == 1


# --- one account, one strategy -----------------------------------------------------------


def test_brk_a_second_strategy_on_the_same_secret_is_not_ready(
    kube_cluster: KubeCluster, namespace: str, operator: Operator, exchange: Exchange
) -> None:
    """Two strategies on one Secret: the younger is not Ready (AccountInUse, naming the older)
    and its CronJob is suspended; deleting the older frees it."""
    setup(kube_cluster, namespace, exchange, name="first")
    time.sleep(1.1)  # creationTimestamp has whole seconds
    apply_strategy(kube_cluster, namespace, exchange, name="second")
    obj = wait_condition(
        kube_cluster, namespace, "Ready", "False", reason="AccountInUse", name="second"
    )
    message = condition(obj, "Ready")["message"]
    assert f"{namespace}/first" in message and "Secret paper-keys" in message
    wait_suspended(kube_cluster, namespace, True, name="second")
    assert f"{namespace}/first" in wait_event(kube_cluster, namespace, "AccountInUse")
    assert condition(tstrat(kube_cluster, namespace, "first"), "Ready")["status"] == "True"
    kube_cluster.kubectl("delete", "tradingstrategy", "first", "-n", namespace)
    wait_condition(kube_cluster, namespace, "Ready", "True", name="second", timeout=60)


def test_brk_the_same_account_behind_two_secrets_is_refused_after_it_reports(
    kube_cluster: KubeCluster,
    namespace: str,
    operator: Operator,
    exchange: Exchange,
    tmp_path: Path,
) -> None:
    """Two Secrets with the same keys: once both runs report one account number, the younger
    strategy is not Ready (AccountInUse) and names the older; the older stays Ready."""
    setup(kube_cluster, namespace, exchange, name="older", secret="keys-a")
    time.sleep(1.1)
    setup(kube_cluster, namespace, exchange, name="younger", secret="keys-b")
    older = run(kube_cluster, namespace, tmp_path, "a", name="older")
    younger = run(kube_cluster, namespace, tmp_path, "b", name="younger")
    assert older.account is not None and younger.account is not None
    assert older.account.number == younger.account.number
    obj = wait_condition(
        kube_cluster, namespace, "Ready", "False", reason="AccountInUse", name="younger"
    )
    message = condition(obj, "Ready")["message"]
    assert f"paper account {older.account.number}" in message and f"{namespace}/older" in message
    assert condition(tstrat(kube_cluster, namespace, "older"), "Ready")["status"] == "True"
