"""`make demo`: the whole product on this machine, as a user installs it, on the paper exchange.

    hack/demo.py up      build what is missing, start everything, run one trade, show the halt
    hack/demo.py down    uninstall what `up` installed (and stop the cluster if `up` started it)
    hack/demo.py status  show the demo's pods

Steps of `up`: the local cluster with its real node (hack/devcluster.py), the CRDs,
the image built from the Dockerfile (hack/image.py) and loaded into the node, the
Helm chart installed with that image (the operator is the chart's Deployment, a
container on the node), the paper exchange as a Deployment + Service in the demo
namespace, the credentials Secret and the example paper strategy; one run triggered
with the run-now annotation (the worker is a container from the CronJob's pod
template); then the kill switch (a TradingHalt created and removed).

Idempotent: the release is upgraded and manifests are applied. Logs are the pods'
own (`kubectl logs`); this script prints short steps only. Standard library plus
the project's venv.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
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
RECORD = STATE / "demo.json"
VENV_BIN = Path(sys.executable).parent
ALCHEMISER = VENV_BIN / "alchemiser"
NAMESPACE = "alchemiser-demo"
SYSTEM_NAMESPACE = "alchemiser-system"
RELEASE = "alchemiser"
OPERATOR = f"{RELEASE}-operator"  # the chart's Deployment (fullname = release name)
SIM_PORT = 8765  # alchemiser.sim.manifests.PORT
HALT = "demo-halt"
# Pods of the demo go to the real node (kwok's simulated nodes run nothing).
NODE_NAME = "alchemiser-node"
NODE_TAINT = "alchemiser.io/real-node"
# The example's risk limits cap an order at $10,000; on a $20,000 account every order of
# the 0.3/0.5/0.2 portfolio fits, so the demo shows trades rather than only rejections.
DEMO_CASH = 20_000
METRICS_PORT = 9090  # the chart's metrics.port
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


# --- the record of what `up` did ------------------------------------------------------------
def load() -> dict[str, Any]:
    if RECORD.exists():
        loaded: dict[str, Any] = json.loads(RECORD.read_text())
        return loaded
    return {}


def save(record: dict[str, Any]) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2) + "\n")


def wait_until(what: str, probe: Any, timeout: float, hint: str | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            where = f" (try: {hint})" if hint else ""
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
        self.helm_path = str(record["binaries"]["helm"])
        self.server = str(record["server"])
        self.node = dict(record["node"])
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

    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.helm_path, *args], capture_output=True, text=True, env=self.env, check=False
        )
        if result.returncode != 0:
            raise DemoError(f"helm {args[0]} failed: {(result.stdout + result.stderr).strip()}")
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


# --- the steps of `up` -------------------------------------------------------------------------
def ensure_cluster(record: dict[str, Any]) -> Cluster:
    step(1, "Local Kubernetes: control plane and a real node (kubelet, containerd, kube-proxy)")
    if devcluster("status").returncode == 0:
        say("already running")
    else:
        say("starting it; the first start on a machine builds the binaries (many minutes)")
        if devcluster("up", stream=True).returncode != 0:
            raise DemoError(f"the control plane did not start (logs in {CLUSTER_DIR / 'logs'})")
        record["started_cluster"] = True
        save(record)
    cluster = Cluster()
    say(f"API server {cluster.server}; kubeconfig {cluster.kubeconfig}")
    say(f"node {NODE_NAME} at {cluster.node['node_ip']}, pods in {cluster.node['pod_cidr']}")
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


def build_image(cluster: Cluster) -> str:
    step(3, "The image, built from the Dockerfile (podman; rebuilt only when its content changes)")
    built = subprocess.run(
        [sys.executable, str(HACK / "image.py"), "build"],
        stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if built.returncode != 0:
        raise DemoError("building the image failed (see above)")
    reference = built.stdout.strip().splitlines()[-1]
    loaded = devcluster("load-image")
    if loaded.returncode != 0:
        raise DemoError(f"loading the image into the node failed: {loaded.stderr.strip()}")
    say(f"{reference}, in the node's containerd")
    return reference


def on_node() -> dict[str, Any]:
    """nodeSelector and tolerations that put a pod on the real node."""
    return {
        "nodeSelector": {"kubernetes.io/hostname": NODE_NAME},
        "tolerations": [{"key": NODE_TAINT, "operator": "Exists", "effect": "NoSchedule"}],
    }


def install_chart(cluster: Cluster, image: str) -> str:
    step(4, f"The Helm chart: release {RELEASE} in {SYSTEM_NAMESPACE}, watching {NAMESPACE}")
    wait_until(
        f"namespace {NAMESPACE} to finish terminating",
        lambda: (
            ((cluster.get("namespace", NAMESPACE) or {}).get("status") or {}).get("phase")
            != "Terminating"
        ),
        120,
    )
    # The chart creates the worker ServiceAccount in the watched namespace.
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    repository, tag = image.rsplit(":", 1)
    values = {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "Never"},
        # The CRDs came from crds/ (step 2), shared with tests: Helm would not adopt them.
        "crds": {"install": False},
        "operator": {"watchNamespaces": [NAMESPACE], "logFormat": "console", **on_node()},
        "workers": on_node(),
    }
    values_file = STATE / "values.json"
    STATE.mkdir(parents=True, exist_ok=True)
    values_file.write_text(json.dumps(values, indent=2))
    cluster.helm(
        "upgrade", "--install", RELEASE, str(REPO / "charts" / "alchemiser"),
        "--namespace", SYSTEM_NAMESPACE, "--create-namespace", "--values", str(values_file),
        "--wait", "--timeout", "5m",
    )  # fmt: skip
    say(
        f"$ helm upgrade --install {RELEASE} charts/alchemiser -n {SYSTEM_NAMESPACE} "
        f"--values {values_file} --wait"
    )
    pod = wait_until(
        "the operator pod to be ready",
        lambda: ready_pod(cluster, SYSTEM_NAMESPACE, "app.kubernetes.io/component=operator"),
        180,
        f"kubectl -n {SYSTEM_NAMESPACE} describe pod -l app.kubernetes.io/component=operator",
    )
    say(
        f"operator pod {pod['metadata']['name']} Ready on {pod['spec']['nodeName']} "
        f"(image {image}, uid 10001, read-only root)"
    )
    return str(pod["status"]["podIP"])


def ready_pod(cluster: Cluster, namespace: str, selector: str) -> dict[str, Any] | None:
    pods = cluster.get("pods", "-n", namespace, "-l", selector) or {"items": []}
    for pod in pods["items"]:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        if statuses and all(s.get("ready") for s in statuses):
            return dict(pod)
    return None


def start_exchange(cluster: Cluster, image: str, secret: str) -> tuple[str, str, dict[str, str]]:
    step(5, f"Paper exchange (alchemiser sim): a Deployment + Service in {NAMESPACE}")
    keys_file = STATE / "exchange-keys.json"
    if not keys_file.exists():
        keys_file.write_text(
            json.dumps({"key_id": "demo-key-id", "secret_key": secrets.token_urlsafe(24)})
        )
        keys_file.chmod(0o600)
    keys: dict[str, str] = json.loads(keys_file.read_text())
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret, "namespace": NAMESPACE},
            "type": "Opaque",
            "stringData": {
                "APCA_API_KEY_ID": keys["key_id"],
                "APCA_API_SECRET_KEY": keys["secret_key"],
            },
        }
    )
    say(f"Secret {secret}: the exchange's key pair (files in the worker, never env vars)")
    existing = cluster.get("deployment", "paper-exchange", "-n", NAMESPACE)
    if existing:
        market_time = "the exchange keeps the simulated time it started with"
        (running,) = existing["spec"]["template"]["spec"]["containers"]
        now_args = [a for a in running["args"] if a.startswith("--now=")]
    else:
        moment, market_time = simulated_now()
        now_args = [f"--now={moment.isoformat()}"] if moment is not None else []
    for manifest in exchange_manifests(image, secret, keys["key_id"], now_args):
        cluster.apply(manifest)
    pod = wait_until(
        "the paper exchange to be ready",
        lambda: ready_pod(cluster, NAMESPACE, "app=paper-exchange"),
        120,
        f"kubectl -n {NAMESPACE} logs deploy/paper-exchange",
    )
    service_ip = cluster.get("service", "paper-exchange", "-n", NAMESPACE)["spec"]["clusterIP"]
    say(market_time)
    say(
        f"pod {pod['metadata']['name']}; Service paper-exchange at {service_ip}:{SIM_PORT}: "
        f"a ${DEMO_CASH:,} paper account"
    )
    # Pods resolve no names (the cluster runs no DNS): the strategy uses the ClusterIP.
    return f"http://{service_ip}:{SIM_PORT}", f"http://{pod['status']['podIP']}:{SIM_PORT}", keys


def exchange_manifests(
    image: str, secret: str, key_id: str, now_args: list[str]
) -> list[dict[str, Any]]:
    """The paper exchange's Deployment and Service (alchemiser.sim.manifests), on the node."""
    from alchemiser.sim import manifests  # noqa: PLC0415  (the venv's package; only `up`)

    args = [
        *("--cash", str(DEMO_CASH), "--key-id", key_id),
        *("--secret-key-file", "/broker/APCA_API_SECRET_KEY", "--state", "/state/exchange.sqlite"),
        *now_args,
    ]
    deployment = manifests.deployment(
        name="paper-exchange", namespace=NAMESPACE, image=image, args=args, secret=secret,
        secret_dir="/broker", placement=on_node(), state=True, probe_seconds=2,
    )  # fmt: skip
    return [deployment, manifests.service(name="paper-exchange", namespace=NAMESPACE)]


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


def create_strategy(cluster: Cluster, strategy: dict[str, Any], url: str) -> dict[str, Any]:
    step(6, f"The example strategy in {NAMESPACE}")
    source = strategy.pop("_source")
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

    obj = wait_until(
        f"strategy {name} to be Ready",
        ready,
        90,
        f"kubectl -n {SYSTEM_NAMESPACE} logs deploy/{OPERATOR}",
    )
    say(f"Ready; CronJob {obj['status']['cronJobName']} (schedule {obj['spec']['schedule']})")
    return dict(obj)


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
    say(f"Job {job} created; kubelet starts its worker container on {NODE_NAME}")

    def recorded() -> Any:
        obj = cluster.get("tstrat", name, "-n", NAMESPACE) or {}
        last = (obj.get("status") or {}).get("lastRun") or {}
        return obj if last.get("job") == job and last.get("finishedAt") else None

    obj = wait_until(
        f"the result of {job} in status.lastRun",
        recorded,
        300,
        f"kubectl -n {NAMESPACE} logs job/{job}",
    )
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


def next_steps(strategy: dict[str, Any], operator_ip: str, metrics_port: int) -> None:
    name = strategy["metadata"]["name"]
    print("\nDone. Try next:", flush=True)
    rows = (
        (f"source {CLUSTER_DIR / 'env'}", "kubectl and helm for the local cluster"),
        (f"kubectl -n {SYSTEM_NAMESPACE} logs deploy/{OPERATOR}", "the operator's log"),
        (
            f"kubectl -n {NAMESPACE} logs -l alchemiser.io/strategy={name} --tail=20",
            "the workers' logs (the last line is the run's JSON result)",
        ),
        (f"kubectl -n {NAMESPACE} logs deploy/paper-exchange", "the paper exchange's log"),
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
        (
            f"curl -s http://{operator_ip}:{metrics_port}/metrics | grep ^alchemiser_",
            "metrics (this machine routes to pod IPs)",
        ),
        ("make demo-down", "uninstall the demo"),
    )
    for command, why in rows:
        print(f"  {command}\n      # {why}", flush=True)


# --- commands ----------------------------------------------------------------------------------
def up() -> int:
    if os.geteuid() != 0:
        print("make demo needs root: the local node runs containerd and kubelet", file=sys.stderr)
        return 1
    STATE.mkdir(parents=True, exist_ok=True)
    record = load()
    try:
        cluster = ensure_cluster(record)
        install_crds(cluster)
        image = build_image(cluster)
        operator_ip = install_chart(cluster, image)
        record["installed"] = True
        save(record)
        strategy = example_strategy()
        secret = strategy["spec"]["broker"]["credentialsSecret"]
        url, direct_url, keys = start_exchange(cluster, image, secret)
        created = create_strategy(cluster, strategy, url)
        run = run_now(cluster, created)
        show(cluster, run, direct_url, keys)
        kill_switch(cluster, run["strategy"])
        next_steps(run["strategy"], operator_ip, METRICS_PORT)
    except (DemoError, subprocess.CalledProcessError, OSError) as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        print("stop with `make demo-down`", file=sys.stderr)
        return 1
    return 0


def down() -> int:
    record = load()
    if record.pop("installed", False) and (CLUSTER_DIR / "cluster.json").exists():
        with contextlib.suppress(DemoError, OSError, KeyError):
            cluster = Cluster()
            cluster.kubectl(
                "delete", "tstrat", "--all", "-n", NAMESPACE, "--timeout=60s", check=False
            )
            cluster.kubectl("delete", "halt", HALT, "--ignore-not-found", check=False)
            cluster.helm("uninstall", RELEASE, "--namespace", SYSTEM_NAMESPACE, "--wait")
            cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)
            say(f"uninstalled release {RELEASE}; namespace {NAMESPACE} deleted")
        save(record)
    if record.pop("started_cluster", False):
        result = devcluster("down")
        say((result.stdout + result.stderr).strip() or "cluster stopped")
        save(record)
    say("demo stopped")
    return 0


def status() -> int:
    if not (CLUSTER_DIR / "cluster.json").exists():
        print("no local cluster")
        return 0
    cluster = Cluster()
    for namespace in (SYSTEM_NAMESPACE, NAMESPACE):
        print(cluster.kubectl("get", "pods", "-n", namespace, "-o", "wide", check=False).stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Alchemiser's local demo")
    parser.add_argument("command", choices=("up", "down", "status"))
    args = parser.parse_args(argv)
    return {"up": up, "down": down, "status": status}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
