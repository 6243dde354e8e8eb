"""`make demo`: the whole product on this machine, against the paper exchange.

    hack/demo.py up      build what is missing, start everything, run one trade, show the halt
    hack/demo.py down    stop what `up` started (and the control plane if `up` started it)
    hack/demo.py status  show what is running

Steps of `up`: the local control plane (hack/devcluster.py), the CRDs, the
paper exchange (`alchemiser sim`), the local pod runner (hack/podrunner), the
operator (`alchemiser operator`, worker pods routed to node alchemiser-local),
then a namespace with the worker ServiceAccount, the exchange's credentials
Secret and the example paper strategy; one run triggered with the run-now
annotation; then the kill switch (a TradingHalt created and removed).

Idempotent: processes that are still running are reused, manifests are
applied. Background processes log to files under .devcluster/demo/; this
script prints short steps only. Standard library plus the project's venv.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HACK = Path(__file__).resolve().parent
REPO = HACK.parent
CLUSTER_DIR = Path(os.environ.get("DEVCLUSTER_DIR") or REPO / ".devcluster")
STATE = CLUSTER_DIR / "demo"
RECORD = STATE / "processes.json"
VENV_BIN = Path(sys.executable).parent
ALCHEMISER = VENV_BIN / "alchemiser"
NAMESPACE = "alchemiser-demo"
WORKER_SA = "alchemiser-worker"
LOCAL_LABEL = "alchemiser.io/local-runner"
IMAGE_REPOSITORY = "ghcr.io/alchemiser/alchemiser"
HALT = "demo-halt"
# The example's risk limits cap an order at $10,000; on a $20,000 account every order of
# the 0.3/0.5/0.2 portfolio fits, so the demo shows trades rather than only rejections.
DEMO_CASH = 20_000
TOTAL_STEPS = 9


class DemoError(Exception):
    """A step of the demo failed; the message says which and where its log is."""


# --- output ------------------------------------------------------------------------------------
def step(number: int, text: str) -> None:
    print(f"\n[{number}/{TOTAL_STEPS}] {text}", flush=True)


def say(text: str = "") -> None:
    print(f"      {text}" if text else "", flush=True)


def indent(block: str) -> None:
    for line in block.rstrip("\n").splitlines():
        say(line)


# --- processes ---------------------------------------------------------------------------------
def _start_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19])


def alive(entry: dict[str, Any]) -> bool:
    """Whether the recorded process still runs (pid and start time match)."""
    return _start_ticks(int(entry["pid"])) == entry.get("ticks")


def load() -> dict[str, Any]:
    if RECORD.exists():
        loaded: dict[str, Any] = json.loads(RECORD.read_text())
        return loaded
    return {"processes": {}}


def save(record: dict[str, Any]) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2) + "\n")


def spawn(name: str, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Start a background process in its own session, output to .devcluster/demo/NAME.log."""
    log = STATE / f"{name}.log"
    offset = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
    return {
        "pid": process.pid,
        "ticks": _start_ticks(process.pid),
        "log": str(log),
        "offset": offset,
        "argv": argv,
    }


def stop(name: str, entry: dict[str, Any], grace: float = 10.0) -> None:
    """SIGTERM the recorded process, SIGKILL it after `grace` seconds."""
    if not alive(entry):
        return
    os.kill(int(entry["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(entry) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(entry):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(entry["pid"]), signal.SIGKILL)
    say(f"stopped {name} (pid {entry['pid']})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(what: str, probe: Any, timeout: float, log: str | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            where = f" (see {log})" if log else ""
            raise DemoError(f"timed out after {timeout:.0f}s waiting for {what}{where}")
        time.sleep(0.5)


# --- the control plane -------------------------------------------------------------------------
def devcluster(*args: str, stream: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(HACK / "devcluster.py"), *args, "--state-dir", str(CLUSTER_DIR)]
    if not stream:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        say(line.rstrip())
    return subprocess.CompletedProcess(command, process.wait(), "", "")


class Cluster:
    """kubectl against the local control plane."""

    def __init__(self) -> None:
        record = json.loads((CLUSTER_DIR / "cluster.json").read_text())
        self.kubeconfig = str(record["kubeconfig"])
        self.kubectl_path = str(record["binaries"]["kubectl"])
        self.server = str(record["server"])
        self.env = dict(os.environ, KUBECONFIG=self.kubeconfig)
        self.env["PATH"] = os.pathsep.join([*record["path"], str(VENV_BIN), self.env["PATH"]])

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.kubectl_path, *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise DemoError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def get(self, *args: str) -> Any:
        result = self.kubectl("get", *args, "-o", "json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def apply(self, manifest: dict[str, Any]) -> None:
        self.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=alchemiser-demo",
            "-f",
            "-",
            input=json.dumps(manifest),
        )


# --- market time -------------------------------------------------------------------------------
def simulated_now() -> tuple[datetime | None, str]:
    """Real time when NYSE is open now; otherwise 30 minutes before the last session's close."""
    import exchange_calendars  # noqa: PLC0415  (slow to import; only `up` needs it)
    import pandas as pd  # noqa: PLC0415

    calendar = exchange_calendars.get_calendar("XNYS")
    now = pd.Timestamp.now(tz="UTC").floor("min")
    close_today = None
    if calendar.is_session(now.normalize().tz_localize(None)):
        close_today = calendar.session_close(now.normalize().tz_localize(None))
    open_now = calendar.is_open_on_minute(now) and close_today is not None
    if open_now and close_today - now > pd.Timedelta(minutes=20):
        return None, f"the market is open now (closes {close_today:%H:%M} UTC)"
    day = now.normalize().tz_localize(None)
    for _ in range(15):
        if calendar.is_session(day):
            close = calendar.session_close(day)
            moment = close - pd.Timedelta(minutes=30)
            if moment <= now:
                chosen = moment.to_pydatetime().astimezone(UTC)
                eastern = moment.tz_convert("America/New_York")
                return chosen, (
                    f"NYSE is closed right now, so the paper exchange runs at simulated time "
                    f"{eastern:%a %Y-%m-%d %H:%M} New York ({chosen:%H:%M} UTC), "
                    f"30 minutes before that session's close"
                )
        day -= pd.Timedelta(days=1)
    raise DemoError("found no NYSE session in the last two weeks")


# --- exchange HTTP -----------------------------------------------------------------------------
def exchange_get(url: str, keys: dict[str, str]) -> Any:
    request = urllib.request.Request(
        url,
        headers={"APCA-API-KEY-ID": keys["key_id"], "APCA-API-SECRET-KEY": keys["secret_key"]},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def exchange_url(entry: dict[str, Any]) -> str | None:
    """The URL the exchange printed when it started (the last start in its log)."""
    found = None
    with Path(entry["log"]).open("rb") as log:
        log.seek(int(entry.get("offset", 0)))
        text = log.read().decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("{") and '"serving"' in line:
            with contextlib.suppress(json.JSONDecodeError, KeyError):
                found = str(json.loads(line)["url"])
    return found


# --- the steps of `up` -------------------------------------------------------------------------
def ensure_cluster(record: dict[str, Any]) -> Cluster:
    step(1, "Local Kubernetes control plane (etcd, kube-apiserver, controllers, scheduler, kwok)")
    if devcluster("status").returncode == 0:
        say("already running")
    else:
        say("starting it; the first start on a machine builds the binaries (many minutes)")
        if devcluster("up", "--core-only", stream=True).returncode != 0:
            raise DemoError(f"the control plane did not start (logs in {CLUSTER_DIR / 'logs'})")
        record["started_cluster"] = True
        save(record)
    cluster = Cluster()
    say(f"API server {cluster.server}; kubeconfig {cluster.kubeconfig}")
    return cluster


def install_crds(cluster: Cluster) -> None:
    step(2, "Custom resource definitions from crds/")
    for path in sorted((REPO / "crds").glob("*.yaml")):
        cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
        say(f"applied {path.relative_to(REPO)}")
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/tradingstrategies.alchemiser.io",
        "crd/tradinghalts.alchemiser.io",
    )


def ensure_process(
    record: dict[str, Any], name: str, argv: list[str], env: dict[str, str]
) -> dict[str, Any]:
    entry = record["processes"].get(name)
    if entry and alive(entry):
        say(f"{name} already running (pid {entry['pid']}, log {entry['log']})")
        return dict(entry)
    entry = spawn(name, argv, env)
    record["processes"][name] = entry
    save(record)
    say(f"started {name} (pid {entry['pid']}, log {entry['log']})")
    return entry


def start_exchange(record: dict[str, Any], cluster: Cluster) -> tuple[str, dict[str, str]]:
    step(3, "Paper exchange (alchemiser sim): an Alpaca-compatible broker on loopback")
    keys_file = STATE / "exchange-keys.json"
    if not keys_file.exists():
        keys_file.write_text(
            json.dumps({"key_id": "demo-key-id", "secret_key": secrets.token_urlsafe(24)})
        )
        keys_file.chmod(0o600)
    keys: dict[str, str] = json.loads(keys_file.read_text())
    argv: list[str] = []
    entry = record["processes"].get("exchange")
    if not (entry and alive(entry)):
        moment, record["market_time"] = simulated_now()
        argv = [
            str(ALCHEMISER), "sim", "--host", "127.0.0.1", "--port", "0",
            "--state", str(STATE / "exchange.sqlite"), "--cash", str(DEMO_CASH),
            "--key-id", keys["key_id"], "--secret-key", keys["secret_key"],
        ]  # fmt: skip
        if moment is not None:
            argv += ["--now", moment.isoformat()]
    entry = ensure_process(record, "exchange", argv, cluster.env)
    url = wait_until("the exchange to listen", lambda: exchange_url(entry), 60, entry["log"])
    say(record.get("market_time", ""))
    say(f"serving {url}: a ${DEMO_CASH:,} paper account (book in {STATE / 'exchange.sqlite'})")
    return url, keys


def start_runner(record: dict[str, Any], cluster: Cluster) -> None:
    step(4, "Local pod runner: runs worker pods bound to node alchemiser-local as processes")
    argv = [
        sys.executable,
        str(HACK / "podrunner"),
        "--kubeconfig",
        cluster.kubeconfig,
        "--state-dir",
        str(STATE / "podrunner"),
        "--image-repository",
        IMAGE_REPOSITORY,
    ]
    entry = ensure_process(record, "podrunner", argv, cluster.env)

    def ready() -> bool:
        node = cluster.get("node", "alchemiser-local") or {}
        conditions = (node.get("status") or {}).get("conditions") or []
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    wait_until("node alchemiser-local to be Ready", ready, 60, entry["log"])
    say("node alchemiser-local is Ready")


def image() -> str:
    version = subprocess.run(
        [str(ALCHEMISER), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    return f"{IMAGE_REPOSITORY}:{version}"


def start_operator(record: dict[str, Any], cluster: Cluster) -> int:
    step(5, "Operator (alchemiser operator), worker pods routed to alchemiser-local")
    entry = record["processes"].get("operator")
    metrics = int(record.get("metrics_port") or free_port())
    argv: list[str] = []
    if not (entry and alive(entry)):
        metrics = free_port()
        argv = [
            str(ALCHEMISER),
            "operator",
            "--standalone",
            "--log-format",
            "console",
            "--namespace",
            NAMESPACE,
            "--worker-image",
            image(),
            "--worker-image-pull-policy",
            "IfNotPresent",
            "--worker-service-account",
            WORKER_SA,
            "--worker-node-selector",
            f"{LOCAL_LABEL}=true",
            "--worker-toleration",
            f"{LOCAL_LABEL}=true:NoSchedule",
            "--metrics-address",
            "127.0.0.1",
            "--metrics-port",
            str(metrics),
            "--health-port",
            str(free_port()),
        ]
        record["metrics_port"] = metrics
    entry = ensure_process(record, "operator", argv, cluster.env)
    wait_until(
        "the operator's /metrics",
        lambda: _http_ok(f"http://127.0.0.1:{metrics}/metrics"),
        90,
        entry["log"],
    )
    say(f"metrics at http://127.0.0.1:{metrics}/metrics")
    return metrics


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def example_strategy() -> dict[str, Any]:
    """The example paper strategy running nuclear/tecl/klm from examples/."""
    import yaml  # noqa: PLC0415  (the venv's PyYAML; only `up` needs it)

    for path in sorted((REPO / "examples").glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "TradingStrategy":
                continue
            spec = doc.get("spec") or {}
            names = sorted(a.get("strategy") for a in spec.get("allocations") or [])
            if spec.get("mode") == "paper" and names == ["klm", "nuclear", "tecl"]:
                doc["_source"] = str(path.relative_to(REPO))
                return doc
    raise DemoError("examples/ has no paper TradingStrategy with nuclear, tecl and klm")


def create_strategy(cluster: Cluster, url: str, keys: dict[str, str]) -> dict[str, Any]:
    step(6, f"Namespace {NAMESPACE}: worker ServiceAccount, credentials Secret, strategy")
    strategy = example_strategy()
    source = strategy.pop("_source")
    secret_name = strategy["spec"]["broker"]["credentialsSecret"]
    wait_until(
        f"namespace {NAMESPACE} to finish terminating",
        lambda: (
            ((cluster.get("namespace", NAMESPACE) or {}).get("status") or {}).get("phase")
            != "Terminating"
        ),
        120,
    )
    for manifest in worker_rbac():
        cluster.apply(manifest)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret_name, "namespace": NAMESPACE},
            "type": "Opaque",
            "stringData": {
                "APCA_API_KEY_ID": keys["key_id"],
                "APCA_API_SECRET_KEY": keys["secret_key"],
            },
        }
    )
    say(f"Secret {secret_name}: the exchange's key pair (files in the worker, never env vars)")
    strategy["metadata"] = {"name": strategy["metadata"]["name"], "namespace": NAMESPACE}
    strategy["spec"]["broker"]["endpoint"] = url
    cluster.apply(strategy)
    name = strategy["metadata"]["name"]
    weights = ", ".join(f"{a['strategy']} {a['weight']}" for a in strategy["spec"]["allocations"])
    say(f"TradingStrategy {name} from {source} ({weights}), broker.endpoint {url}")

    def ready() -> Any:
        obj = cluster.get("tstrat", name, "-n", NAMESPACE) or {}
        status = obj.get("status") or {}
        conditions = {c["type"]: c for c in status.get("conditions") or []}
        if conditions.get("Ready", {}).get("status") == "True" and status.get("cronJobName"):
            return obj
        return None

    obj = wait_until(f"strategy {name} to be Ready", ready, 90)
    say(f"Ready; CronJob {obj['status']['cronJobName']} (schedule {obj['spec']['schedule']})")
    return dict(obj)


def worker_rbac() -> list[dict[str, Any]]:
    """The worker's ServiceAccount: its only permission is reading TradingHalts."""
    role = "alchemiser-demo-worker"
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": WORKER_SA, "namespace": NAMESPACE},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role},
            "rules": [
                {
                    "apiGroups": ["alchemiser.io"],
                    "resources": ["tradinghalts"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
        {
            # TradingHalts are cluster-scoped, so reading them needs a ClusterRoleBinding.
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": role},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"kind": "ServiceAccount", "name": WORKER_SA, "namespace": NAMESPACE}],
        },
    ]


def run_now(cluster: Cluster, strategy: dict[str, Any]) -> dict[str, Any]:
    name = strategy["metadata"]["name"]
    step(7, f"One trading run now (annotation alchemiser.io/run-now on {name})")
    before = ((strategy.get("status") or {}).get("lastRun") or {}).get("job")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    cluster.kubectl(
        "annotate", "tstrat", name, "-n", NAMESPACE, f"alchemiser.io/run-now={stamp}", "--overwrite"
    )
    cron = strategy["status"]["cronJobName"]

    def new_job() -> str | None:
        jobs = cluster.get("jobs", "-n", NAMESPACE) or {"items": []}
        for job in jobs["items"]:
            owners = job["metadata"].get("ownerReferences") or []
            ours = any(o.get("name") == cron for o in owners)
            if ours and job["metadata"]["name"] != before and not _finished(job):
                return str(job["metadata"]["name"])
        return None

    job = wait_until("the operator to create the Job", new_job, 60)
    say(f"Job {job} created; the pod runner starts its worker process")

    def recorded() -> Any:
        obj = cluster.get("tstrat", name, "-n", NAMESPACE) or {}
        last = (obj.get("status") or {}).get("lastRun") or {}
        return obj if last.get("job") == job and last.get("finishedAt") else None

    obj = wait_until(f"the result of {job} in status.lastRun", recorded, 300)
    last = obj["status"]["lastRun"]
    say(
        f"outcome {last.get('outcome')}: {last.get('ordersSubmitted', 0)} orders submitted, "
        f"{last.get('ordersRejected', 0)} rejected, notional ${last.get('notional', 0):,.2f}"
    )
    if last.get("message"):
        say(f"message: {last['message'][:200]}")
    return {"strategy": obj, "job": job}


def _finished(job: dict[str, Any]) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in conditions)


def run_result(cluster: Cluster, job: str) -> dict[str, Any] | None:
    """The worker's JSON result, from its pod's termination message."""
    pods = cluster.get("pods", "-n", NAMESPACE, "-l", f"batch.kubernetes.io/job-name={job}")
    for pod in (pods or {}).get("items") or []:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            message = (status.get("state") or {}).get("terminated", {}).get("message", "")
            with contextlib.suppress(json.JSONDecodeError):
                parsed: dict[str, Any] = json.loads(message)
                return parsed
    return None


def show(cluster: Cluster, run: dict[str, Any], url: str, keys: dict[str, str]) -> None:
    step(8, "What happened")
    say(f"$ kubectl get tstrat -n {NAMESPACE}")
    indent(cluster.kubectl("get", "tstrat", "-n", NAMESPACE).stdout)
    result = run_result(cluster, run["job"])
    say()
    say(f"Orders of run {run['job']} (from the worker's termination message and the exchange):")
    orders = (result or {}).get("orders") or []
    if not orders:
        say("  (none: " + ((result or {}).get("message") or "no orders in this run") + ")")
    for order in orders:
        filled = ""
        with contextlib.suppress(OSError, ValueError):
            placed = exchange_get(
                f"{url}/v2/orders:by_client_order_id?client_order_id={order['clientOrderId']}", keys
            )
            price = placed.get("filled_avg_price")
            filled = f" filled {placed.get('filled_qty')} @ {price}" if price else ""
        side, symbol, amount = order["side"], order["symbol"], order["amount"]
        say(f"  {side:<4} {symbol:<6} {amount:<16} {order['status']}{filled}")
    for rejection in (result or {}).get("rejections") or []:
        say(f"  rejected {rejection['symbol']}: {rejection['reason']}")
    say()
    account = exchange_get(f"{url}/v2/account", keys)
    positions = exchange_get(f"{url}/v2/positions", keys)
    say(f"Account: equity ${float(account['equity']):,.2f}, cash ${float(account['cash']):,.2f}")
    for position in positions:
        say(
            f"  {position['symbol']:<6} {float(position['qty']):>12.4f} shares  "
            f"market value ${float(position['market_value']):>12,.2f}"
        )
    if not positions:
        say("  (no positions)")


def kill_switch(cluster: Cluster, strategy: dict[str, Any]) -> None:
    name = strategy["metadata"]["name"]
    cron = strategy["status"]["cronJobName"]
    step(9, "The kill switch: a TradingHalt suspends every matching strategy")
    subprocess.run(
        [str(ALCHEMISER), "halt", HALT, "--reason", "demo: showing the kill switch",
         "--namespace", NAMESPACE],
        env=cluster.env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    say(
        f"$ alchemiser halt {HALT} --namespace {NAMESPACE} --reason 'demo: showing the kill switch'"
    )

    def suspended(value: bool) -> Any:
        cronjob = cluster.get("cronjob", cron, "-n", NAMESPACE) or {}
        return (cronjob.get("spec") or {}).get("suspend", False) is value

    wait_until(f"CronJob {cron} to be suspended", lambda: suspended(True), 60)

    def halt_status() -> dict[str, Any]:
        return (cluster.get("halt", HALT) or {}).get("status") or {}

    # The halt's status is written after the CronJobs are suspended; show it once it is.
    wait_until(
        f"TradingHalt {HALT} to report what it affected",
        lambda: (halt_status().get("affectedStrategies") or 0) > 0,
        60,
    )
    halted = cluster.get("tstrat", name, "-n", NAMESPACE) or {}
    conditions = {c["type"]: c for c in (halted.get("status") or {}).get("conditions") or []}
    halted_condition = conditions.get("Halted", {})
    say(
        f"CronJob {cron} suspend=true; strategy Halted={halted_condition.get('status')} "
        f"({halted_condition.get('reason', '')})"
    )
    indent(cluster.kubectl("get", "halt", HALT).stdout)
    say(f"propagated in {halt_status().get('propagationSeconds')} s (creation to last suspend)")
    subprocess.run(
        [str(ALCHEMISER), "resume", HALT], env=cluster.env, check=True, capture_output=True
    )
    say(f"$ alchemiser resume {HALT}")
    wait_until(f"CronJob {cron} to resume", lambda: suspended(False), 60)
    say(f"CronJob {cron} suspend=false again: scheduling resumed")


def next_steps(strategy: dict[str, Any], metrics: int) -> None:
    name = strategy["metadata"]["name"]
    print("\nDone. Try next:", flush=True)
    rows = (
        (f"source {CLUSTER_DIR / 'env'}", "kubectl for the local cluster"),
        (f"kubectl describe tstrat {name} -n {NAMESPACE}", "conditions and Events"),
        (
            f"kubectl annotate tstrat {name} -n {NAMESPACE} --overwrite "
            "alchemiser.io/run-now=$(date +%s)",
            "another run",
        ),
        (
            f".venv/bin/alchemiser halt try-it -n {NAMESPACE} --reason testing",
            "halt; then kubectl get tstrat,cronjob -n " + NAMESPACE,
        ),
        (".venv/bin/alchemiser resume try-it", "resume"),
        (f"curl -s http://127.0.0.1:{metrics}/metrics | grep ^alchemiser_", "metrics"),
        (f"ls {STATE}", "logs: operator, exchange, podrunner, worker pods"),
        ("make demo-down", "stop everything"),
    )
    for command, why in rows:
        print(f"  {command}\n      # {why}", flush=True)


# --- commands ----------------------------------------------------------------------------------
def up() -> int:
    if os.geteuid() != 0:
        print("make demo needs root: the local pod runner bind-mounts volumes", file=sys.stderr)
        return 1
    STATE.mkdir(parents=True, exist_ok=True)
    record = load()
    try:
        cluster = ensure_cluster(record)
        install_crds(cluster)
        url, keys = start_exchange(record, cluster)
        start_runner(record, cluster)
        metrics = start_operator(record, cluster)
        strategy = create_strategy(cluster, url, keys)
        run = run_now(cluster, strategy)
        show(cluster, run, url, keys)
        kill_switch(cluster, run["strategy"])
        next_steps(run["strategy"], metrics)
    except (DemoError, subprocess.CalledProcessError, OSError) as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        print(f"logs: {STATE}/*.log; stop with `make demo-down`", file=sys.stderr)
        return 1
    return 0


def down() -> int:
    record = load()
    for name in ("operator", "podrunner", "exchange"):
        entry = record["processes"].pop(name, None)
        if entry:
            stop(name, entry, grace=20.0 if name == "podrunner" else 10.0)
    save(record)
    if record.pop("started_cluster", False):
        result = devcluster("down")
        say((result.stdout + result.stderr).strip() or "control plane stopped")
        save(record)
    say("demo stopped")
    return 0


def status() -> int:
    record = load()
    for name, entry in record["processes"].items():
        state = "running" if alive(entry) else "not running"
        print(f"{name:<10} pid {entry['pid']:<8} {state:<12} log {entry['log']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Alchemiser's local demo")
    parser.add_argument("command", choices=("up", "down", "status"))
    args = parser.parse_args(argv)
    return {"up": up, "down": down, "status": status}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
