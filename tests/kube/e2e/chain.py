"""The pieces of the whole chain, for end-to-end tests and bench/halt_e2e.py.

Rule: no pytest here. Everything runs as the user runs it, on the cluster's real node
(kubelet, containerd), from the image built from the Dockerfile: the operator is the
Helm chart's Deployment (one release per test, watching the test's namespace), workers
are containers from its CronJobs' pod template, and the paper exchange is a
Deployment. Each helper starts one thing (an exchange, the chart's operator, a
recording proxy in front of an exchange) and stops exactly what it started. The proxy
listens on the host end of the node's link, where worker pods reach it, and stamps
every request with this process's wall clock, so tests compare "when did an order
reach the exchange" with "when was the halt created" on one clock.
"""

from __future__ import annotations

import http.client
import json
import secrets
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubetest import ON_NODE, SIM_PORT, KubeCluster, ready_pod

from alchemiser.sim import manifests

REPO = Path(__file__).resolve().parents[3]
# A minute when NYSE was open (the Wednesday before Thanksgiving 2026, 15:30 New York),
# so runs trade whatever the real clock says; the worker takes its time from the broker.
MARKET_OPEN = "2026-11-25T20:30:00+00:00"


def wait(description: str, probe: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    """Poll `probe` until it returns something truthy; raise AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {description}")
        time.sleep(interval)


# Run inside the exchange's container: METHOD URL BODY -> the JSON reply on stdout.
_ADMIN_CALL = """
import sys, urllib.request
method, url, body = sys.argv[1:4]
headers = {"Content-Type": "application/json"}
request = urllib.request.Request(url, data=body.encode() or None, method=method, headers=headers)
with urllib.request.urlopen(request, timeout=30) as response:
    sys.stdout.write(response.read().decode())
"""


# --- the paper exchange ------------------------------------------------------------------------
@dataclass
class Exchange:
    """`alchemiser sim` as a Deployment on the real node, reached from here by its pod IP."""

    kube: KubeCluster
    namespace: str
    name: str
    url: str
    key_id: str
    secret_key: str

    @classmethod
    def start(
        cls,
        kube: KubeCluster,
        namespace: str,
        name: str,
        image: str,
        *,
        key_id: str,
        secret_key: str,
        faults: str = "",
        cash: float = 100_000,
    ) -> Exchange:
        secret = f"{name}-exchange-key"
        kube.kubectl(
            "create", "secret", "generic", secret, "-n", namespace,
            f"--from-literal=secret-key={secret_key}",
        )  # fmt: skip
        args = [
            "--now", MARKET_OPEN, "--key-id", key_id, "--secret-key-file", "/exchange/secret-key",
            "--cash", str(cash), "--state", "/state/exchange.sqlite", "--faults", faults,
        ]  # fmt: skip
        deployment = manifests.deployment(
            name=name, namespace=namespace, image=image, args=args, secret=secret,
            secret_dir="/exchange", placement=ON_NODE, state=True, grace_seconds=1,
        )  # fmt: skip
        kube.kubectl("apply", "-f", "-", input=json.dumps(deployment))
        pod = ready_pod(kube, namespace, f"app={name}")
        url = f"http://{pod['status']['podIP']}:{SIM_PORT}"  # the host routes to pod IPs
        return cls(kube, namespace, name, url, key_id, secret_key)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """An /admin call; the exchange answers those from loopback only, so from inside its pod."""
        data = json.dumps(body) if body is not None else ""
        result = self.kube.kubectl(
            "exec", "-n", self.namespace, f"deployment/{self.name}", "--",
            "python3", "-c", _ADMIN_CALL, method, f"http://127.0.0.1:{SIM_PORT}{path}", data,
            timeout=120,
        )  # fmt: skip
        return json.loads(result.stdout)

    def orders(self) -> list[dict[str, Any]]:
        """Every order the exchange holds, oldest first."""
        orders: list[dict[str, Any]] = self.admin("GET", "/admin/orders")
        return orders

    def set_faults(self, spec: str) -> None:
        self.admin("POST", "/admin/faults", {"spec": spec})

    def rotate(self, key_id: str, secret_key: str) -> None:
        """Accept only the new pair from now on."""
        self.admin("POST", "/admin/keys", {"key_id": key_id, "secret_key": secret_key})
        self.key_id, self.secret_key = key_id, secret_key

    def api(self, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path,
            headers={"APCA-API-KEY-ID": self.key_id, "APCA-API-SECRET-KEY": self.secret_key},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.kube.kubectl(
            "delete", "deployment", self.name, "-n", self.namespace, "--wait=false", check=False
        )


# --- a recording proxy in front of the exchange ------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One request that passed through the proxy."""

    received: float  # time.time() when the request line arrived
    answered: float
    method: str
    path: str
    key_id: str
    status: int
    body: bytes


@dataclass
class Proxy:
    """Forwards to the exchange and records every request with wall-clock times.

    It listens on `listen`, the host end of the node's link, which pods reach.
    """

    target: str
    listen: str
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{self.listen}:{self.server.server_address[1]}"

    def start(self) -> Proxy:
        proxy = self
        host, port = self.target.removeprefix("http://").split(":")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _forward(self) -> None:
                received = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection = http.client.HTTPConnection(host, int(port), timeout=120)
                try:
                    connection.request(self.command, self.path, body=body or None, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    status = response.status
                    self.send_response(status)
                    for key, value in response.getheaders():
                        if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    status = 599  # the client went away or the exchange dropped the connection
                finally:
                    connection.close()
                record = Request(
                    received,
                    time.time(),
                    self.command,
                    self.path,
                    self.headers.get("APCA-API-KEY-ID", ""),
                    status,
                    body,
                )
                with proxy.lock:
                    proxy.requests.append(record)

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _forward

        self.server = ThreadingHTTPServer((self.listen, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def order_posts(self) -> list[Request]:
        """Every order submission attempt (POST /v2/orders) that reached the exchange."""
        with self.lock:
            return [
                r for r in self.requests if r.method == "POST" and r.path.startswith("/v2/orders")
            ]

    def cancels(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "DELETE" and "/v2/orders" in r.path]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# --- the operator ------------------------------------------------------------------------------
CHART = REPO / "charts" / "alchemiser"
OPERATOR_SELECTOR = "app.kubernetes.io/component=operator,app.kubernetes.io/instance={release}"
METRICS_PORT = 9090  # the chart's metrics.port


def chart_values(namespace: str, release: str, image: str) -> dict[str, Any]:
    """The chart's values for one test: the built image, one watched namespace, the real node."""
    repository, tag = image.rsplit(":", 1)
    return {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "Never"},
        # The session applied crds/ already; Helm would refuse to adopt them.
        "crds": {"install": False},
        "operator": {
            "watchNamespaces": [namespace],
            "peering": {"enabled": True, "name": release},
            "logFormat": "console",
            **ON_NODE,
        },
        "workers": ON_NODE,
    }


@dataclass
class Operator:
    """One pod of the chart's operator Deployment: `alchemiser operator` in a container of
    the built image on the real node, reached from here by its pod IP."""

    kube: KubeCluster
    namespace: str
    release: str
    pod: str
    container_id: str
    ip: str
    log: Path

    @classmethod
    def wait_for_pod(
        cls, kube: KubeCluster, namespace: str, release: str, log: Path, *, not_named: str = ""
    ) -> Operator:
        """The release's running operator pod (not `not_named`), once /metrics answers."""
        selector = OPERATOR_SELECTOR.format(release=release)

        def running() -> Operator | None:
            pods = kube.get_json("pods", "-n", namespace, "-l", selector)["items"]
            for pod in pods:
                name, status = pod["metadata"]["name"], pod.get("status") or {}
                if name == not_named or pod["metadata"].get("deletionTimestamp"):
                    continue
                for container in status.get("containerStatuses") or []:
                    if "running" in (container.get("state") or {}) and status.get("podIP"):
                        container_id = container["containerID"].removeprefix("containerd://")
                        return cls(kube, namespace, release, name, container_id,
                                   status["podIP"], log)  # fmt: skip
            return None

        operator: Operator = wait("the operator pod to run", running, 180, interval=0.5)
        wait("the operator's /metrics", lambda: operator.metrics() is not None, 120)
        return operator

    @property
    def deployment(self) -> str:
        return f"deployment/{self.release}-alchemiser-operator"

    def metrics(self) -> str | None:
        try:
            url = f"http://{self.ip}:{METRICS_PORT}/metrics"
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            return None

    def sample(self, name: str, **labels: str) -> float:
        """The value of one metric sample (0 when absent)."""
        text = self.metrics() or ""
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{key}="{value}"' in line for key, value in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def save_log(self) -> None:
        """Append the container's log (`kubectl logs`) to `log`, while the pod still exists."""
        logs = self.kube.kubectl("logs", "-n", self.namespace, self.pod, check=False)
        with self.log.open("a") as out:
            out.write(f"--- kubectl logs {self.pod}\n{logs.stdout}{logs.stderr}")

    def _signal(self, signal_name: str) -> None:
        """Send a signal to every process of the container, from the host (containerd)."""
        socket_path = self.kube.node["containerd_socket"]
        command = [
            "ctr", "--address", socket_path, "--namespace", "k8s.io",
            "tasks", "kill", "--all", "--signal", signal_name, self.container_id,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
        assert done.returncode == 0, done.stderr

    def kill(self) -> None:
        """The operator dies at once, without any cleanup, and stays down.

        SIGSTOP first: from then on the operator runs no code (no API call, no status
        write). The Deployment is scaled to 0 while it is frozen, so kubelet, which restarts
        a container that exits, gives the terminating pod no new one; then SIGKILL. (A
        plain SIGKILL would see the container restarted within a second, or the scale-down's
        SIGTERM let a restarted operator shut down gracefully.) `restart` scales back to 1:
        a new pod, as after a node loss.
        """
        self._signal("SIGSTOP")
        self.save_log()
        self.kube.kubectl("scale", self.deployment, "-n", self.namespace, "--replicas=0")
        self._signal("SIGKILL")
        wait(
            f"the killed operator pod {self.pod} to go",
            lambda: (
                self.kube.kubectl(
                    "get", "pod", self.pod, "-n", self.namespace, check=False
                ).returncode
                != 0
            ),
            60,
        )

    def restart(self) -> Operator:
        """Scale the Deployment back to 1; the new pod's operator."""
        self.kube.kubectl("scale", self.deployment, "-n", self.namespace, "--replicas=1")
        return Operator.wait_for_pod(
            self.kube, self.namespace, self.release, self.log, not_named=self.pod
        )


def install_operator(kube: KubeCluster, namespace: str, directory: Path, image: str) -> Operator:
    """`helm install` the chart for `namespace` (release in it); its operator pod, running."""
    release = f"e2e-{secrets.token_hex(3)}"
    values = directory / "values.json"
    values.write_text(json.dumps(chart_values(namespace, release, image), indent=1))
    helm = [str(kube.helm_path), f"--kubeconfig={kube.kubeconfig}", f"--namespace={namespace}"]
    done = subprocess.run(
        [*helm, "install", release, str(CHART), "--values", str(values)],
        capture_output=True, text=True, check=False, timeout=180, env=kube.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return Operator.wait_for_pod(kube, namespace, release, directory / "operator.log")


def uninstall_operator(kube: KubeCluster, operator: Operator) -> None:
    """`helm uninstall`: the Deployment and the release's cluster-wide RBAC go."""
    helm = [str(kube.helm_path), f"--kubeconfig={kube.kubeconfig}"]
    subprocess.run(
        [*helm, f"--namespace={operator.namespace}", "uninstall", operator.release],
        capture_output=True, text=True, check=False, timeout=180, env=kube.env,
    )  # fmt: skip


# --- manifests ---------------------------------------------------------------------------------
def credentials(namespace: str, name: str, key_id: str, secret_key: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "stringData": {"APCA_API_KEY_ID": key_id, "APCA_API_SECRET_KEY": secret_key},
    }


def strategy(
    namespace: str,
    name: str,
    endpoint: str,
    allocations: list[dict[str, Any]],
    *,
    secret: str = "broker",
    risk: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "schedule": "45 15 * * 1-5",
        "mode": "paper",
        "allocations": allocations,
        "broker": {"credentialsSecret": secret, "endpoint": endpoint},
    }
    if risk:
        spec["risk"] = risk
    return {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": spec,
    }


ORIGINAL_MIX = [
    {"strategy": "nuclear", "weight": 0.3},
    {"strategy": "tecl", "weight": 0.5},
    {"strategy": "klm", "weight": 0.2},
]


def static(weights: dict[str, float]) -> list[dict[str, Any]]:
    return [{"strategy": "static", "weight": 1.0, "parameters": {"weights": weights}}]


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def lines_of(path: Path) -> Iterator[str]:
    yield from path.read_text(errors="replace").splitlines()


# --- one test's world ---------------------------------------------------------------------------
class Chain:
    """One test's slice of the world: its namespace, exchanges, proxies and the chart's
    operator (installed by the first `start_operator`)."""

    def __init__(self, cluster: KubeCluster, namespace: str, directory: Path, image: str):
        self.cluster = cluster
        self.namespace = namespace
        self.directory = directory
        self.image = image
        self.exchanges: list[Exchange] = []
        self.proxies: list[Proxy] = []
        self.operator: Operator | None = None
        self.operators: list[Operator] = []
        self.halts: list[str] = []
        self.api = config.new_client_from_config(str(cluster.kubeconfig))

    # --- processes
    def exchange(
        self,
        name: str = "exchange",
        *,
        faults: str = "",
        secret: str = "broker",
        cash: float = 20_000,
    ) -> tuple[Exchange, Proxy]:
        """A paper exchange with its own account, a recording proxy, and its Secret."""
        key_id, secret_key = f"{name}-key-1", f"{name}-secret-{iso_now()}"
        exchange = Exchange.start(
            self.cluster, self.namespace, name, self.image,
            key_id=key_id, secret_key=secret_key, faults=faults, cash=cash,
        )  # fmt: skip
        self.exchanges.append(exchange)
        proxy = Proxy(exchange.url, self.cluster.node["host_ip"]).start()
        self.proxies.append(proxy)
        self.apply(credentials(self.namespace, secret, key_id, secret_key))
        return exchange, proxy

    def start_operator(self) -> Operator:
        """The chart installed for this namespace (the worker ServiceAccount with it), its
        operator running; after `Operator.kill`, the Deployment scaled back up instead."""
        if self.operator is None:
            self.operator = install_operator(
                self.cluster, self.namespace, self.directory, self.image
            )
        else:
            self.operator = self.operator.restart()
        self.operators.append(self.operator)
        return self.operator

    # --- API
    def kubectl(self, *args: str, **kwargs: Any) -> Any:
        return self.cluster.kubectl(*args, **kwargs)

    def apply(self, manifest: dict[str, Any]) -> None:
        self.cluster.kubectl(
            "apply", "--server-side", "--force-conflicts", "--field-manager=e2e", "-f", "-",
            input=json.dumps(manifest),
        )  # fmt: skip

    def get(self, *args: str) -> Any:
        result = self.cluster.kubectl("get", *args, "-o", "json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def strategy(self, name: str) -> dict[str, Any]:
        obj = self.get("tstrat", name, "-n", self.namespace)
        assert obj is not None, f"strategy {name} not found"
        return dict(obj)

    def conditions(self, name: str) -> dict[str, dict[str, Any]]:
        status = self.strategy(name).get("status") or {}
        return {c["type"]: c for c in status.get("conditions") or []}

    def wait_ready(self, name: str, timeout: float = 60) -> dict[str, Any]:
        def ready() -> Any:
            obj = self.strategy(name)
            status = obj.get("status") or {}
            ok = self.conditions(name).get("Ready", {}).get("status") == "True"
            return obj if ok and status.get("cronJobName") else None

        return dict(wait(f"strategy {name} Ready", ready, timeout))

    def jobs(self, cronjob: str) -> list[dict[str, Any]]:
        jobs = self.get("jobs", "-n", self.namespace) or {"items": []}
        return [
            job
            for job in jobs["items"]
            if any(o.get("name") == cronjob for o in job["metadata"].get("ownerReferences") or [])
        ]

    def run_now(self, name: str, timeout: float = 60) -> str:
        """Set the run-now annotation and return the name of the Job the operator creates."""
        cronjob = self.wait_ready(name)["status"]["cronJobName"]
        before = {job["metadata"]["name"] for job in self.jobs(cronjob)}
        self.kubectl(
            "annotate", "tstrat", name, "-n", self.namespace, "--overwrite",
            f"alchemiser.io/run-now={iso_now()}",
        )  # fmt: skip

        def created() -> str | None:
            fresh = [j["metadata"]["name"] for j in self.jobs(cronjob)]
            new = [job for job in fresh if job not in before]
            return new[0] if new else None

        return str(wait(f"a Job for {name}", created, timeout))

    def pods_of(self, job: str) -> list[dict[str, Any]]:
        pods = self.get("pods", "-n", self.namespace, "-l", f"batch.kubernetes.io/job-name={job}")
        return list((pods or {"items": []})["items"])

    def wait_running(self, job: str, timeout: float = 60) -> dict[str, Any]:
        def running() -> Any:
            for pod in self.pods_of(job):
                if (pod.get("status") or {}).get("phase") == "Running":
                    return pod
            return None

        return dict(wait(f"a Running pod of {job}", running, timeout))

    def wait_last_run(self, name: str, job: str, timeout: float = 240) -> dict[str, Any]:
        def recorded() -> Any:
            last = (self.strategy(name).get("status") or {}).get("lastRun") or {}
            return last if last.get("job") == job and last.get("finishedAt") else None

        return dict(wait(f"status.lastRun of {name} to record {job}", recorded, timeout))

    def result(self, job: str) -> dict[str, Any]:
        """The worker's JSON result from the termination message of the Job's last pod."""
        messages = [
            status["state"]["terminated"].get("message", "")
            for pod in self.pods_of(job)
            for status in (pod.get("status") or {}).get("containerStatuses") or []
            if "terminated" in (status.get("state") or {})
        ]
        assert messages, f"no finished pod of {job}"
        return dict(json.loads(messages[-1]))

    def mounted_key_id(self, pod: str) -> str:
        """The key id a running worker container sees in its mounted Secret (kubectl exec)."""
        path = "/var/run/secrets/alchemiser/broker/APCA_API_KEY_ID"
        result = self.kubectl("exec", "-n", self.namespace, pod, "--", "cat", path, check=False)
        return str(result.stdout.strip())

    def rotate_secret(self, secret: str, key_id: str, secret_key: str) -> None:
        """Update the credentials Secret in place (a real Secret update)."""
        self.apply(credentials(self.namespace, secret, key_id, secret_key))

    def events(self, kind: str, name: str) -> list[dict[str, Any]]:
        events = self.get(
            "events", "-n", self.namespace,
            "--field-selector", f"involvedObject.kind={kind},involvedObject.name={name}",
        )  # fmt: skip
        return list((events or {"items": []})["items"])

    def halt(self, name: str, **spec: Any) -> float:
        """Create a TradingHalt; return the wall-clock time when the API had accepted it."""
        manifest = {
            "apiVersion": "alchemiser.io/v1alpha1",
            "kind": "TradingHalt",
            "metadata": {"name": name},
            "spec": {"reason": "e2e test", "mode": "Halt", "namespaces": [self.namespace], **spec},
        }
        self.halts.append(name)
        api = client.CustomObjectsApi(self.api)
        api.create_cluster_custom_object("alchemiser.io", "v1alpha1", "tradinghalts", manifest)
        return time.time()

    def close(self) -> None:
        for halt in self.halts:
            self.kubectl("delete", "tradinghalt", halt, "--ignore-not-found", check=False)
        # Strategies carry the operator's finalizer: delete them while it still runs, and
        # strip the finalizer of any left (an operator killed by a test), so the namespace goes.
        self.kubectl(
            "delete", "tstrat", "--all", "-n", self.namespace, "--timeout=30s", check=False
        )
        for item in (self.get("tstrat", "-n", self.namespace) or {"items": []})["items"]:
            self.kubectl(
                "patch", "tstrat", item["metadata"]["name"], "-n", self.namespace,
                "--type=merge", "-p", '{"metadata":{"finalizers":null}}', check=False,
            )  # fmt: skip
        if self.operator is not None:
            self.operator.save_log()
            uninstall_operator(self.cluster, self.operator)
        for proxy in self.proxies:
            proxy.stop()
        for exchange in self.exchanges:
            exchange.stop()
