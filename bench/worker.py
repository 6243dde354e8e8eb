"""Worker benchmarks, printed (never asserted).

1. Cold start: a fresh `alchemiser run` process as in a pod (a broker endpoint, no
   --broker sim; the halt check takes the pod's path: KUBERNETES_SERVICE_HOST, a
   service account token and CA, one HTTPS GET of the TradingHalt list from a loopback
   HTTPS server in this process with a self-signed certificate made by `openssl`),
   from spawn to its first order submitted, against a paper exchange in this process.
   Medians of wall and CPU time, split into imports (spawn until `alchemiser run`'s
   modules are loaded, interpreter start included), calendar (market hours), halts
   (the halt checks), data (broker reads), decision (strategies, planner, risk) and
   submit (the first order's submission); `other` is the rest (config, logging).
   CPU is the process's own (all threads), less sensitive to a loaded machine.
2. A 20-symbol rebalance from cash against the exchange with 50 ms injected latency on
   every request, submitting concurrently (default 8 in flight) versus one at a time.
   Median wall time of the submit phase and of the whole run, and the ratio.

Run: .venv/bin/python bench/worker.py [--runs N]
"""

import argparse
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alchemiser.api import TradingStrategySpec
from alchemiser.api.halt_matching import StrategyScope
from alchemiser.logs import configure
from alchemiser.sim import embedded
from alchemiser.worker import halts, pipeline
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.config import RunConfig
from alchemiser.worker.credentials import Credentials
from alchemiser.worker.portfolio import combine
from alchemiser.worker.strategies import REGISTRY

OPEN_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TWENTY = [
    "SPY",
    "QQQ",
    "TLT",
    "IEF",
    "XLK",
    "XLF",
    "XLP",
    "XLY",
    "XLE",
    "XLV",
    "XLI",
    "XLU",
    "VTV",
    "VOX",
    "GLD",
    "BIL",
    "SHY",
    "LQD",
    "HYG",
    "EFA",
]


def strategy_spec(symbols: list[str], endpoint: str | None = None) -> dict[str, Any]:
    """An equal-weight static strategy over `symbols`, with room in every risk limit."""
    broker: dict[str, Any] = {"credentialsSecret": "alpaca-paper"}
    if endpoint:
        broker["endpoint"] = endpoint
    return {
        "schedule": "45 15 * * 1-5",
        "allocations": [
            {
                "strategy": "static",
                "weight": 1,
                "parameters": {"weights": {s: 1 / len(symbols) for s in symbols}},
            }
        ],
        "broker": broker,
        "risk": {
            "maxOrderNotional": 100_000,
            "maxPositionFraction": 1.0,
            "maxDailyNotional": 10_000_000,
            "maxOrdersPerRun": 40,
        },
    }


# Runs in the measured process: marks the end of the imports, times each phase by
# wrapping the functions that do it, runs `alchemiser run`, writes what it saw as JSON.
CHILD = """
import json, os, sys, time
wall0, cpu0 = time.time(), time.process_time()
from alchemiser import cli
arguments = sys.argv[2:]
parser = cli.build_parser(arguments)
marks = {"interpreter": (wall0, cpu0), "imports": (time.time(), time.process_time())}
phases = {}

from pathlib import Path
from alchemiser.worker import halts, pipeline, planner, risk
halts.SERVICE_ACCOUNT = Path(os.environ["BENCH_SERVICE_ACCOUNT"])  # kubelet's mount, in a pod
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.execution import Executor

def timed(owner, name, phase):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent = phase, time.perf_counter() - wall, time.process_time() - cpu
            if "submit" not in marks:  # the submit phase is timed as a whole
                total = phases.setdefault(phase, [0.0, 0.0])
                total[0] += spent[1]
                total[1] += spent[2]
    setattr(owner, name, wrapper)

timed(pipeline, "open_session", "calendar")
timed(halts.KubeHaltSource, "list", "halts")
for read in ("clock", "daily_bars", "latest_prices", "assets", "account", "positions",
             "orders_since"):
    timed(AlpacaBroker, read, "data")
timed(pipeline._Run, "_targets", "decision")
for step in ("plan_sells", "plan_buys"):
    timed(planner, step, "decision")
timed(risk, "check", "decision")
submit_all = Executor.submit_all
def submitting(self, orders):
    marks.setdefault("submit", (time.time(), time.process_time()))
    return submit_all(self, orders)
Executor.submit_all = submitting
submit = AlpacaBroker.submit
def first_order(self, order):
    placed = submit(self, order)
    marks.setdefault("first order", (time.time(), time.process_time()))
    return placed
AlpacaBroker.submit = first_order

args = parser.parse_args(arguments)
code = args.handler(args)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "marks": marks, "phases": phases}, out)
"""

PHASES = ("imports", "calendar", "halts", "data", "decision", "submit", "other")


@contextmanager
def halt_apiserver(account: Path) -> Iterator[int]:
    """A loopback HTTPS server answering the TradingHalt list (no halts), and its port.

    Writes what kubelet mounts in a pod into `account`: a token and the CA (here the
    server's own self-signed certificate, for IP 127.0.0.1).
    """
    account.mkdir()
    (account / "token").write_text("bench-service-account-token")
    key = account / "server.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(account / "ca.crt")),
        ],
        check=True,
        capture_output=True,
    )

    class Halts(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"kind": "TradingHaltList", "items": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(account / "ca.crt", key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Halts)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def cold_start(runs: int) -> list[dict[str, tuple[float, float]]]:
    """Per run: (wall, CPU) seconds to the first order, in total and per phase."""
    results = []
    with tempfile.TemporaryDirectory() as tmp, halt_apiserver(Path(tmp) / "sa") as port:
        creds = Path(tmp) / "creds"
        creds.mkdir()
        (creds / "APCA_API_KEY_ID").write_text("bench-key")
        (creds / "APCA_API_SECRET_KEY").write_text("bench-secret")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["PYTHONUNBUFFERED"] = "1"
        env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"] = "127.0.0.1", str(port)
        env["BENCH_SERVICE_ACCOUNT"] = str(Path(tmp) / "sa")
        for run in range(runs):
            with embedded.start(now=OPEN_NOW, key_id="bench-key", secret_key="bench-secret") as ex:
                manifest = Path(tmp) / "m.json"
                manifest.write_text(
                    json.dumps(
                        {
                            "apiVersion": "alchemiser.io/v1alpha1",
                            "kind": "TradingStrategy",
                            "metadata": {"name": "bench", "uid": "bench-uid"},
                            "spec": strategy_spec(["SPY", "QQQ"], ex.base_url),
                        }
                    )
                )
                seen = Path(tmp) / f"seen-{run}.json"
                command = [
                    *(sys.executable, "-c", CHILD, str(seen), "run"),
                    *("--manifest", str(manifest), "--credentials-dir", str(creds)),
                    *("--run-id", f"cold-{run}"),
                    *("--termination-log", str(Path(tmp) / "log")),
                ]
                spawned = time.time()
                subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
                results.append(_split(json.loads(seen.read_text()), spawned, run))
    return results


def _split(seen: dict[str, Any], spawned: float, run: int) -> dict[str, tuple[float, float]]:
    marks = seen["marks"]
    if "first order" not in marks:
        raise SystemExit(f"cold run {run} placed no order (exit {seen['code']})")
    first_wall, first_cpu = marks["first order"]
    imports_wall, imports_cpu = marks["imports"]
    split = {"total": (first_wall - spawned, first_cpu)}
    split["imports"] = (imports_wall - spawned, imports_cpu)
    for phase in PHASES[1:-2]:
        wall, cpu = seen["phases"].get(phase, (0.0, 0.0))
        split[phase] = (wall, cpu)
    submit_wall, submit_cpu = marks["submit"]
    split["submit"] = (first_wall - submit_wall, first_cpu - submit_cpu)
    split["other"] = tuple(  # type: ignore[assignment]
        split["total"][i] - sum(split[p][i] for p in PHASES[:-1]) for i in (0, 1)
    )
    return split


class _Timed:
    """Wraps a broker to time the first-to-last submission (the submit phase)."""

    def __init__(self, inner: AlpacaBroker) -> None:
        self._inner = inner
        self.first: float | None = None
        self.last: float | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def order_by_client_id(self, client_order_id: str) -> Any:
        with self._lock:
            if self.first is None:
                self.first = time.perf_counter()
        return self._inner.order_by_client_id(client_order_id)

    def submit(self, order: Any) -> Any:
        placed = self._inner.submit(order)
        with self._lock:
            self.last = time.perf_counter()
        return placed


def rebalance(concurrency: int) -> tuple[float, float]:
    """(submit phase seconds, whole run seconds) of a 20-symbol buy-in at 50 ms latency."""
    with embedded.start(
        now=OPEN_NOW, key_id="k", secret_key="s", faults="latency=50ms", cash=1_000_000
    ) as ex:
        adapter = _Timed(
            AlpacaBroker(_Keys(Credentials("k", "s")), base_url=ex.base_url, pool_size=16)
        )
        config = RunConfig(
            spec=TradingStrategySpec.model_validate(strategy_spec(TWENTY)),
            namespace="bench",
            name="bench",
            uid="bench-uid",
            run_id=f"rebalance-{concurrency}-{time.time_ns()}",
            labels={},
        )
        deps = pipeline.Deps(
            market=adapter,
            execution=adapter,
            halts=halts.HaltGuard(halts.NoCluster(), StrategyScope("bench", {})),
            strategies=REGISTRY,
            combine=combine,
            concurrency=concurrency,
        )
        start = time.perf_counter()
        result = pipeline.run(config, deps)
        total = time.perf_counter() - start
        if result.orders_submitted != len(TWENTY):
            raise SystemExit(f"rebalance placed {result.orders_submitted}: {result.message}")
        assert adapter.first is not None and adapter.last is not None
        return adapter.last - adapter.first, total


class _Keys:
    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def read(self) -> Credentials:
        return self._credentials


def main() -> None:
    """Run both benchmarks and print medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    configure(json=False, level="WARNING")
    print(f"cpus: {os.cpu_count()}; load average before: {_load()}")

    cold = cold_start(args.runs)
    total = [run["total"] for run in cold]
    print(
        f"cold start to first order submitted, median of {args.runs}: "
        f"wall {statistics.median(t[0] for t in total):.2f} s, "
        f"CPU {statistics.median(t[1] for t in total):.2f} s "
        f"(runs, wall/CPU: {', '.join(f'{w:.2f}/{c:.2f}' for w, c in total)})"
    )
    for phase in PHASES:
        wall = statistics.median(run[phase][0] for run in cold)
        cpu = statistics.median(run[phase][1] for run in cold)
        print(f"  {phase:<9} wall {wall:5.2f} s   CPU {cpu:5.2f} s")
    print(f"load average after the cold starts: {_load()}")
    results: dict[int, list[tuple[float, float]]] = {8: [], 1: []}
    for _ in range(args.runs):
        for concurrency in (8, 1):
            results[concurrency].append(rebalance(concurrency))
    phase = {c: statistics.median(r[0] for r in runs) for c, runs in results.items()}
    whole = {c: statistics.median(r[1] for r in runs) for c, runs in results.items()}
    print(
        f"20-symbol rebalance, 50 ms latency, submit phase: concurrent(8) {phase[8]:.2f} s, "
        f"sequential {phase[1]:.2f} s, ratio {phase[1] / phase[8]:.1f}x"
    )
    print(
        f"20-symbol rebalance, 50 ms latency, whole run: concurrent(8) {whole[8]:.2f} s, "
        f"sequential {whole[1]:.2f} s, ratio {whole[1] / whole[8]:.1f}x"
    )


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
