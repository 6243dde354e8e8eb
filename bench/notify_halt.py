"""Halt propagation with a notifier whose webhook hangs, against the same without one.

Runs against the local control plane (hack/devcluster.py up), reusing
bench/operator_scale.py's Bench: a fresh namespace, N strategies made Ready by an
`alchemiser operator` subprocess, then a TradingHalt limited to the namespace, timed
from its creation until every CronJob is suspended (a metadata watch), and its resume.

Arm "hanging": the operator is configured (ALCHEMISER_NOTIFICATIONS_CONFIG) with a
CloudEvents webhook and a Slack webhook, both pointing at a real receiver process
(tests/notify/receiver.py) that accepts every request and never answers. Before the
halt, K strategies without their Secret are created so that K strategy.notReady
notices are in flight to the hanging receiver (the bench waits until the receiver holds
them), then deleted (their CronJobs gone) so the halt acts on the same N CronJobs as
in arm "none", which has no notifications at all. The halt.created and halt.cleared
notices queue behind the stuck ones. Rounds alternate the arms; medians are printed.

    .venv/bin/python bench/notify_halt.py --size 200 --broken 20 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests" / "notify"))

from notify_support import Receiver  # noqa: E402

import operator_scale  # noqa: E402
from alchemiser.operator.kube import Kube  # noqa: E402

ENV = "ALCHEMISER_NOTIFICATIONS_CONFIG"


def _config(directory: Path, receiver: Receiver) -> Path:
    for name in ("ce", "slack"):
        (directory / name).write_text(f"{receiver.base}/{name}\n")
    config = {
        "attempts": 20,
        "timeoutSeconds": 60,
        "sinks": [
            {"name": "ce", "format": "cloudevents", "urlFile": str(directory / "ce")},
            {"name": "slack", "format": "slack", "urlFile": str(directory / "slack")},
        ],
    }
    path = directory / "notifications.yaml"
    path.write_text(json.dumps(config))
    return path


def _broken(namespace: str, index: int) -> dict[str, Any]:
    body = operator_scale._strategy(namespace, index)
    body["metadata"]["name"] = f"broken-{index:04d}"
    body["spec"]["broker"] = {"credentialsSecret": "no-such-secret"}
    return body


async def _stuck_notices(
    bench: operator_scale.Bench, broken: int, receiver: Receiver | None
) -> None:
    """K not-Ready strategies (their notices now hang at the receiver), then deleted."""
    path = bench.strategies
    for index in range(broken):
        await bench.kube.request("POST", path, body=_broken(bench.namespace, index))

    async def notified() -> bool:
        if receiver is None:
            rows = await operator_scale._table(bench.kube, path)
            return sum(1 for r in rows if r.get("Ready") == "False") >= broken
        return len(await asyncio.to_thread(receiver.received)) >= broken

    await operator_scale._wait("not-Ready notices in flight", notified, 120)
    for index in range(broken):
        await bench.kube.request("DELETE", f"{path}/broken-{index:04d}", missing_ok=True)

    async def cronjobs_gone() -> bool:
        return len(await operator_scale._table(bench.kube, bench.cronjobs)) == bench.size

    await operator_scale._wait("broken CronJobs collected", cronjobs_gone, 120)


async def measure(
    size: int, broken: int, receiver: Receiver | None, log_dir: Path
) -> dict[str, float]:
    async with Kube.from_environment(operator_scale._kubeconfig()) as kube:
        bench = operator_scale.Bench(kube, size, log_dir)
        try:
            await bench.setup()
            await bench.ready()
            await _stuck_notices(bench, broken, receiver)
            await asyncio.sleep(2)
            in_flight = len(receiver.received()) if receiver else 0
            halt, reported = await bench.halt()
            resume = await bench.resume()
            return {"halt_s": halt, "halt_reported_s": reported or float("nan"),
                    "resume_s": resume, "in_flight": in_flight}  # fmt: skip
        finally:
            await bench.teardown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--broken", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--log-dir", type=Path, default=BENCH / "out")
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, float]]] = {"none": [], "hanging": []}
    with tempfile.TemporaryDirectory() as work:
        for run in range(args.runs):
            for arm in ("none", "hanging"):
                receiver = None
                if arm == "hanging":
                    receiver = Receiver().start()
                    receiver.mode("hang")
                    os.environ[ENV] = str(_config(Path(work), receiver))
                else:
                    os.environ.pop(ENV, None)
                try:
                    started = time.monotonic()
                    result = asyncio.run(measure(args.size, args.broken, receiver, args.log_dir))
                finally:
                    if receiver is not None:
                        receiver.stop()
                result["round_s"] = time.monotonic() - started
                print(
                    json.dumps({"arm": arm, "run": run + 1, "n": args.size, **result}), flush=True
                )
                results[arm].append(result)
    print(f"\nmedians over {args.runs} runs, N={args.size}, {args.broken} notices stuck:")
    print(f"{'arm':>8} {'halt':>8} {'halt(rep)':>10} {'resume':>8} {'in flight':>10}")
    medians = {}
    for arm, rounds in results.items():
        medians[arm] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        m = medians[arm]
        print(
            f"{arm:>8} {m['halt_s']:>8.3f} {m['halt_reported_s']:>10.3f} "
            f"{m['resume_s']:>8.3f} {m['in_flight']:>10.0f}"
        )
    ratio = medians["hanging"]["halt_s"] / medians["none"]["halt_s"]
    print(f"halt(hanging)/halt(none) = {ratio:.3f} (target <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
