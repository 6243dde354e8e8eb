"""How fast the kill switch stops a running worker, end to end, on the local control plane.

    .venv/bin/python bench/halt_e2e.py [--runs 5] [--latency 300ms]

Each run: a fresh paper exchange (every request delayed by --latency, every order
only partly filled so it stays open) behind a recording proxy, a strategy buying a
20-symbol basket, one run-now; as soon as the first order reaches the exchange a
TradingHalt is created. Measured on one clock (this process):

- halt -> last order attempt: the last POST /v2/orders that reached the exchange
  (negative: the worker's last attempt came before the halt, i.e. none after it);
- halt -> SIGTERM: the pod runner (standing in for kubelet) signalled the worker;
- halt -> worker exit: the worker process ended (after canceling its open orders).

Uses the cluster in .devcluster/ or $DEVCLUSTER_DIR (started if not running), the operator and the
local pod runner as processes, as tests/kube/e2e does. Prints each run and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "kube"), str(REPO / "tests" / "kube" / "e2e")]

from chain import Chain, PodRunner, static, strategy, wait  # noqa: E402
from kubetest import KubeCluster  # noqa: E402

SYMBOLS = "SPY QQQ IWM DIA TLT IEF GLD SLV XLK XLF XLE XLV XLY XLP XLU VTV VOX BSV KMLM UUP"
BASKET = dict.fromkeys(SYMBOLS.split(), 0.05)
STATE = Path(os.environ.get("DEVCLUSTER_DIR") or REPO / ".devcluster")


def cluster() -> KubeCluster:
    """The local control plane, started if needed."""
    devcluster = [sys.executable, str(REPO / "hack" / "devcluster.py")]
    state = ["--state-dir", str(STATE)]
    if subprocess.run([*devcluster, "status", *state], capture_output=True, check=False).returncode:
        subprocess.run([*devcluster, "up", *state], check=True)
    return KubeCluster.from_record(STATE)


def one_run(world: Chain, index: int, latency: str) -> dict[str, float]:
    """Start a run, halt it at its first order, return the measured delays in seconds."""
    _, proxy = world.exchange(
        f"exchange-{index}", faults=f"latency={latency},partial=1", cash=100_000
    )
    name = f"basket-{index}"
    world.apply(strategy(world.namespace, name, proxy.url, static(BASKET)))
    job = world.run_now(name, timeout=120)
    pod = world.wait_running(job)["metadata"]["name"]
    wait("the first order", proxy.order_posts, 120)
    halt = f"bench-{world.namespace}-{index}"
    halted_at = world.halt(halt)
    prefix = rf"pod {world.namespace}/{pod}: "
    exited = wait("the worker to exit", lambda: world.runner.lines(prefix + "worker exited"), 120)
    signalled = world.runner.lines(prefix + "sent SIGTERM")
    last_post = max(r.received for r in proxy.order_posts())
    world.kubectl("delete", "tradinghalt", halt)
    world.kubectl("delete", "tstrat", name, "-n", world.namespace)
    return {
        "last_order": last_post - halted_at,
        "sigterm": signalled[0][0].timestamp() - halted_at if signalled else float("nan"),
        "exit": exited[0][0].timestamp() - halted_at,
        "orders": float(len(proxy.order_posts())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", default="300ms", help="exchange latency per request")
    args = parser.parse_args()
    kube = cluster()
    for path in sorted((REPO / "crds").glob("*.yaml")):
        kube.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
    namespace = f"bench-halt-{int(time.time())}"
    kube.kubectl("create", "namespace", namespace)
    wait(
        "the default ServiceAccount",
        lambda: kube.kubectl("get", "sa", "default", "-n", namespace, check=False).returncode == 0,
        30,
    )
    with tempfile.TemporaryDirectory(prefix="halt-e2e-") as scratch:
        runner = PodRunner.start(kube.kubeconfig, Path(scratch) / "podrunner")
        world = Chain(kube, namespace, Path(scratch), runner)
        results = []
        try:
            world.start_operator()
            for index in range(args.runs):
                result = one_run(world, index, args.latency)
                results.append(result)
                print(
                    f"run {index + 1}: halt -> last order attempt {result['last_order']:+.3f}s, "
                    f"-> SIGTERM {result['sigterm']:.3f}s, -> worker exit {result['exit']:.3f}s "
                    f"({int(result['orders'])} of {len(BASKET)} orders placed)",
                    flush=True,
                )
        finally:
            world.close()
            runner.stop()
            kube.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(
        f"median over {len(results)} runs (exchange latency {args.latency}): "
        f"halt -> last order attempt {medians['last_order']:+.3f}s, "
        f"-> SIGTERM {medians['sigterm']:.3f}s, -> worker exit {medians['exit']:.3f}s"
    )
    print(json.dumps({"runs": results, "median": medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
