"""Worker benchmarks, printed (never asserted).

1. Cold start: a fresh `alchemiser run` process, from spawn to its first order submitted
   (the "submitted order" log line), against a paper exchange in this process. Median.
2. A 20-symbol rebalance from cash against the exchange with 50 ms injected latency on
   every request, submitting concurrently (default 8 in flight) versus one at a time.
   Median wall time of the submit phase and of the whole run, and the ratio.

Run: .venv/bin/python bench/worker.py [--runs N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alchemiser.api import TradingStrategySpec
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


def cold_start(runs: int) -> list[float]:
    """Seconds from spawning `alchemiser run` to its first 'submitted order' log line."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        creds = Path(tmp) / "creds"
        creds.mkdir()
        (creds / "APCA_API_KEY_ID").write_text("bench-key")
        (creds / "APCA_API_SECRET_KEY").write_text("bench-secret")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["PYTHONUNBUFFERED"] = "1"
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
                command = [
                    *(str(Path(sys.executable).parent / "alchemiser"), "run"),
                    *("--manifest", str(manifest), "--credentials-dir", str(creds)),
                    *("--no-halt-check", "--run-id", f"cold-{run}"),
                    *("--termination-log", str(Path(tmp) / "log")),
                ]
                start = time.perf_counter()
                process = subprocess.Popen(
                    command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
                )
                assert process.stderr is not None
                first = None
                for line in process.stderr:
                    if first is None and "submitted order" in line:
                        first = time.perf_counter() - start
                process.wait(60)
                if first is None:
                    raise SystemExit(f"cold run {run} placed no order (exit {process.returncode})")
                times.append(first)
    return times


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
            halts=halts.HaltGuard(halts.NoCluster(), halts.StrategyRef("bench", {})),
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


def import_only(runs: int) -> list[float]:
    """Seconds for a fresh interpreter to import the console script's module (no run)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import alchemiser.cli"], check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Run both benchmarks and print medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    configure(json=False, level="WARNING")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    cold = cold_start(args.runs)
    imports = import_only(args.runs)
    print(
        f"cold start to first order submitted: median {statistics.median(cold):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in cold)}); of which importing "
        f"alchemiser.cli alone: median {statistics.median(imports):.2f} s"
    )
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


if __name__ == "__main__":
    main()
