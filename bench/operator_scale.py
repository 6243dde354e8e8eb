"""Operator at scale: N strategies -> Ready CronJobs, halt propagation, resume, memory.

Runs against the local control plane (hack/devcluster.py up; KUBECONFIG from
.devcluster/ unless set). For each N: a fresh namespace, one Secret, the
operator as a subprocess (`alchemiser operator --namespace NS --standalone`),
then N TradingStrategies created 32 at a time, and it measures

- ready: from the first create until every CronJob exists and every strategy is Ready;
- halt: from creating a TradingHalt (limited to NS) until every CronJob is suspended;
- resume: from deleting the halt until every CronJob is unsuspended;
- rss: the operator's resident memory (VmRSS) 2 s after the resume; rss_settled: once
  the operator is idle again (statuses and Events written); rss_peak: VmHWM;
- floor: the same N suspend patches sent by this script straight to the apiserver
  (same concurrency as the operator's default, no operator logic), measured just
  before the halt; halt/floor is the operator's overhead. At large N the operator's
  first resync sweep may still be running then, which slows the floor too.

Readiness is observed with server-side Table lists (small answers), every 0.2 s
per 1,000 strategies (converting thousands of rows is work for the apiserver being
measured).
Halt and resume are observed with a metadata-only watch on the CronJobs (each
CronJob's generation moves when its spec.suspend flips), so the measurement does
not load the apiserver the way polling 1,000-row lists would; one Table list then
checks every CronJob's suspend value.

    .venv/bin/python bench/operator_scale.py --sizes 100 1000 --runs 3
    .venv/bin/python bench/operator_scale.py --sizes 5000 --runs 1

The operator logs at WARNING into bench/out/; BENCH_OPERATOR_LOG_LEVEL=INFO shows
each halt's flip and settle times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from alchemiser.api import runtime
from alchemiser.operator.kube import STRATEGIES, Kube, gather_bounded
from alchemiser.operator.settings import OperatorSettings

REPO = Path(__file__).resolve().parents[1]
TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1"
META_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
META = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
POLL = 0.2
FLOOR_CONCURRENCY = OperatorSettings().concurrency


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kubeconfig() -> str:
    if os.environ.get("KUBECONFIG"):
        return os.environ["KUBECONFIG"]
    record = json.loads((REPO / ".devcluster" / "cluster.json").read_text())
    return str(record["kubeconfig"])


def _memory_mib(pid: int, field: str = "VmRSS") -> float:
    """VmRSS (resident now) or VmHWM (peak resident) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _idle(pid: int, timeout: float = 180) -> None:
    """Wait until the process used under 2% of a core for 3 s (its backlog is done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        await asyncio.sleep(3)
        if _cpu_seconds(pid) - before < 0.06:
            return


def _strategy(namespace: str, index: int) -> dict[str, Any]:
    return {
        "apiVersion": runtime.API_VERSION,
        "kind": runtime.STRATEGY_KIND,
        "metadata": {"name": f"s-{index:05d}", "namespace": namespace, "labels": {"bench": "yes"}},
        "spec": {
            "schedule": f"{index % 60} 15 * * 1-5",
            "mode": "paper",
            "allocations": [
                {"strategy": "static", "weight": 1.0, "parameters": {"weights": {"SPY": 1.0}}}
            ],
            # One Secret per strategy: two strategies on one account are refused (AccountInUse).
            "broker": {"credentialsSecret": _secret_name(index)},
        },
    }


def _secret_name(index: int) -> str:
    return f"alpaca-{index:05d}"


async def _table(kube: Kube, path: str) -> list[dict[str, Any]]:
    reply = await kube.request("GET", path, accept=TABLE)
    assert reply is not None
    columns = [c["name"] for c in reply.body.get("columnDefinitions") or []]
    return [dict(zip(columns, row["cells"], strict=False)) for row in reply.body.get("rows") or []]


async def _wait(description: str, check: Any, timeout: float, poll: float = POLL) -> float:
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{description} not reached within {timeout:.0f}s")
        await asyncio.sleep(poll)


class Bench:
    """One measurement round for one N."""

    def __init__(self, kube: Kube, size: int, log_dir: Path) -> None:
        self.kube = kube
        self.size = size
        self.namespace = f"bench-op-{secrets.token_hex(3)}"
        self.log = log_dir / f"operator-{self.namespace}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.cronjobs = f"/apis/batch/v1/namespaces/{self.namespace}/cronjobs"
        self.strategies = f"{STRATEGIES}/namespaces/{self.namespace}/{runtime.STRATEGY_PLURAL}"

    async def setup(self) -> None:
        await self.kube.request(
            "POST", "/api/v1/namespaces", body={"metadata": {"name": self.namespace}}
        )
        health = _free_port()
        command = [
            sys.executable, "-m", "alchemiser.cli", "operator",
            f"--namespace={self.namespace}", "--standalone",
            "--metrics-address=127.0.0.1", f"--metrics-port={_free_port()}",
            f"--health-port={health}", "--worker-image=alchemiser:bench",
            "--log-level=" + os.environ.get("BENCH_OPERATOR_LOG_LEVEL", "WARNING"),
        ]  # fmt: skip
        env = dict(os.environ, KUBECONFIG=_kubeconfig())
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

        async def healthy() -> bool:
            try:
                url = f"http://127.0.0.1:{health}/healthz"
                await asyncio.to_thread(urllib.request.urlopen, url, timeout=1)
            except OSError:
                return False
            return True

        await _wait("operator healthy", healthy, 60)

    async def ready(self) -> float:
        started = time.monotonic()
        semaphore = asyncio.Semaphore(32)

        async def create(index: int) -> None:
            async with semaphore:
                await self.kube.request(
                    "POST",
                    f"/api/v1/namespaces/{self.namespace}/secrets",
                    body={
                        "metadata": {"name": _secret_name(index)},
                        "stringData": {runtime.KEY_ID_FILE: "id", runtime.SECRET_KEY_FILE: "k"},
                    },
                )
                await self.kube.request(
                    "POST", self.strategies, body=_strategy(self.namespace, index)
                )

        await asyncio.gather(*(create(i) for i in range(self.size)))

        async def all_ready() -> bool:
            rows = await _table(self.kube, self.strategies)
            if sum(1 for r in rows if r.get("Ready") == "True") < self.size:
                return False
            return len(await _table(self.kube, self.cronjobs)) >= self.size

        await _wait("all Ready", all_ready, 900, poll=POLL * max(1.0, self.size / 1000))
        return time.monotonic() - started

    async def _suspended(self, value: str) -> bool:
        rows = await _table(self.kube, self.cronjobs)
        return len(rows) >= self.size and all(str(r.get("Suspend")) == value for r in rows)

    async def _flipped(self, change: Any, value: str) -> float:
        """Seconds from `change()` until every CronJob's spec changed (its generation moved)."""
        reply = await self.kube.request("GET", self.cronjobs, accept=META_LIST)
        assert reply is not None
        generations = {
            item["metadata"]["name"]: item["metadata"]["generation"] for item in reply.body["items"]
        }
        params = {
            "watch": "1",
            "resourceVersion": reply.body["metadata"]["resourceVersion"],
            "timeoutSeconds": "600",
        }

        async def all_moved() -> float:
            pending = set(generations)
            async for event in self.kube.watch(self.cronjobs, params, accept=META):
                metadata = event["object"]["metadata"]
                if metadata.get("generation", 0) > generations.get(metadata["name"], 1 << 62):
                    pending.discard(metadata["name"])
                    if not pending:
                        return time.monotonic()
            raise TimeoutError("the watch ended before every CronJob changed")

        watching = asyncio.create_task(all_moved())
        started = time.monotonic()
        await change()
        seconds = await asyncio.wait_for(watching, 600) - started
        assert await self._suspended(value), f"not every CronJob has suspend={value}"
        return seconds

    async def halt(self) -> tuple[float, float | None]:
        name = f"{self.namespace}-halt"
        body = {
            "apiVersion": runtime.API_VERSION,
            "kind": runtime.HALT_KIND,
            "metadata": {"name": name},
            "spec": {"reason": "bench", "namespaces": [self.namespace]},
        }
        seconds = await self._flipped(lambda: self.kube.create_halt(body), "True")
        reported = None
        for _ in range(600):  # the status is written after every strategy's status
            halts = {h["metadata"]["name"]: h for h in await self.kube.list_halts()}
            reported = (halts.get(name, {}).get("status") or {}).get("propagationSeconds")
            if reported is not None:
                break
            await asyncio.sleep(0.2)
        return seconds, reported

    async def resume(self) -> float:
        return await self._flipped(lambda: self.kube.delete_halt(f"{self.namespace}-halt"), "False")

    async def floor(self) -> float:
        """Suspend every CronJob ourselves, as the operator's phase 1 does; then undo it."""
        names = [f"s-{index:05d}" for index in range(self.size)]

        async def flip(value: bool) -> float:
            started = time.monotonic()
            outcomes = await gather_bounded(
                FLOOR_CONCURRENCY,
                [self.kube.suspend_cronjob(self.namespace, name, value) for name in names],
            )
            assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes[:3]
            return time.monotonic() - started

        seconds = await flip(True)
        await flip(False)
        return seconds

    def rss(self, field: str = "VmRSS") -> float:
        assert self.process is not None
        return _memory_mib(self.process.pid, field)

    async def settled_rss(self) -> float:
        assert self.process is not None
        await _idle(self.process.pid)
        return self.rss()

    async def teardown(self) -> None:
        # Delete while the operator runs (it leaves no finalizer; this is just tidy).
        await self.kube.delete_halt(f"{self.namespace}-halt")
        await self.kube.request("DELETE", f"/api/v1/namespaces/{self.namespace}", missing_ok=True)

        async def gone() -> bool:
            path = f"/api/v1/namespaces/{self.namespace}"
            return await self.kube.request("GET", path, missing_ok=True) is None

        try:
            await _wait("namespace deleted", gone, 900)
        finally:
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                try:
                    await asyncio.to_thread(self.process.wait, 30)
                except subprocess.TimeoutExpired:
                    self.process.kill()


async def measure(size: int, log_dir: Path) -> dict[str, float | None]:
    async with Kube.from_environment(_kubeconfig()) as kube:
        bench = Bench(kube, size, log_dir)
        try:
            await bench.setup()
            idle = bench.rss()
            ready = await bench.ready()
            await asyncio.sleep(2)
            floor = await bench.floor()  # before the halt, in the same settled state
            await asyncio.sleep(2)
            halt, reported = await bench.halt()
            resume = await bench.resume()
            await asyncio.sleep(2)
            rss = bench.rss()
            settled = await bench.settled_rss()
            return {
                "ready_s": ready,
                "halt_s": halt,
                "halt_reported_s": reported,
                "resume_s": resume,
                "rss_mib": rss,
                "rss_settled_mib": settled,
                "rss_peak_mib": bench.rss("VmHWM"),
                "rss_idle_mib": idle,
                "floor_s": floor,
            }
        finally:
            await bench.teardown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log-dir", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for size in args.sizes:
        rounds = []
        for run in range(args.runs):
            result = asyncio.run(measure(size, args.log_dir))
            print(json.dumps({"n": size, "run": run + 1, **result}), flush=True)
            rounds.append(result)
        summary[size] = {
            key: statistics.median(r[key] for r in rounds if r[key] is not None)  # type: ignore[type-var]
            for key in rounds[0]
            if any(r[key] is not None for r in rounds)
        }
    print("\nmedians (seconds, MiB; rss after resume, settled once idle, peak VmHWM):")
    print(
        f"{'N':>6} {'ready':>8} {'halt':>8} {'halt(rep)':>10} {'resume':>8} {'rss':>8}"
        f" {'settled':>8} {'peak':>8} {'floor':>8} {'halt/floor':>11}"
    )
    for size, m in summary.items():
        print(
            f"{size:>6} {m['ready_s']:>8.2f} {m['halt_s']:>8.2f} "
            f"{m.get('halt_reported_s', float('nan')):>10.2f} {m['resume_s']:>8.2f} "
            f"{m['rss_mib']:>8.1f} {m['rss_settled_mib']:>8.1f} {m['rss_peak_mib']:>8.1f}"
            f" {m['floor_s']:>8.2f} {m['halt_s'] / m['floor_s']:>11.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
