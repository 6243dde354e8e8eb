"""How fast the kill switch stops a running worker container, end to end, on the real node.

    .venv/bin/python bench/halt_e2e.py [--runs 5] [--latency 300ms]

Each run: a fresh paper exchange (every request delayed by --latency, every order
only partly filled so it stays open) behind a recording proxy, a strategy buying a
20-symbol basket, one run-now; as soon as the first order reaches the exchange a
TradingHalt is created. Measured on one clock (this process):

- halt -> last order attempt: the last POST /v2/orders that reached the exchange
  (negative: the worker's last attempt came before the halt, i.e. none after it);
- halt -> pod deleting: the worker's pod has a deletionTimestamp (kubelet then sends
  SIGTERM);
- halt -> worker gone: the pod is gone from the API (its container stopped, after canceling
  its open orders).

Uses the cluster in .devcluster/ or $DEVCLUSTER_DIR (started if not running) and this
checkout's image (built by hack/image.py if needed, loaded into the node); the operator is the
chart's Deployment, the exchange and the worker are containers on the node, as tests/kube/e2e
has them.
Prints each run and the medians.
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

from chain import Chain, static, strategy, wait  # noqa: E402
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


def node_image() -> str:
    """This checkout's image, built if needed and loaded into the node."""
    built = subprocess.run(
        [sys.executable, str(REPO / "hack" / "image.py"), "build"],
        stdout=subprocess.PIPE, text=True, check=True,
    )  # fmt: skip
    load = [sys.executable, str(REPO / "hack" / "devcluster.py"), "load-image"]
    subprocess.run([*load, "--state-dir", str(STATE)], check=True)
    return built.stdout.strip().splitlines()[-1]


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
    deleting = gone = 0.0
    deadline = time.monotonic() + 120
    while not gone and time.monotonic() < deadline:
        found = world.get("pod", pod, "-n", world.namespace)
        now = time.time()
        if found is None:
            gone = now
        elif not deleting and found["metadata"].get("deletionTimestamp"):
            deleting = now
        time.sleep(0.05)
    assert gone, f"pod {pod} still there 120 s after the halt"
    last_post = max(r.received for r in proxy.order_posts())
    world.kubectl("delete", "tradinghalt", halt)
    world.kubectl("delete", "tstrat", name, "-n", world.namespace)
    return {
        "last_order": last_post - halted_at,
        "deleting": (deleting or gone) - halted_at,
        "gone": gone - halted_at,
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
        world = Chain(kube, namespace, Path(scratch), node_image())
        results = []
        try:
            world.start_operator()
            for index in range(args.runs):
                result = one_run(world, index, args.latency)
                results.append(result)
                print(
                    f"run {index + 1}: halt -> last order attempt {result['last_order']:+.3f}s, "
                    f"-> pod deleting {result['deleting']:.3f}s, -> gone {result['gone']:.3f}s "
                    f"({int(result['orders'])} of {len(BASKET)} orders placed)",
                    flush=True,
                )
        finally:
            world.close()
            kube.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(
        f"median over {len(results)} runs (exchange latency {args.latency}): "
        f"halt -> last order attempt {medians['last_order']:+.3f}s, "
        f"-> pod deleting {medians['deleting']:.3f}s, -> gone {medians['gone']:.3f}s"
    )
    print(json.dumps({"runs": results, "median": medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
