"""How fast the real node starts our containers and a run's result reaches status.

    .venv/bin/python bench/pod_start.py [--runs 5]

Two measurements on the cluster in .devcluster/ or $DEVCLUSTER_DIR (started if not
running), with this checkout's image (built by hack/image.py if needed, loaded into the
node), all times on this process's clock:

- pod created -> running: a pod of the image (restricted securityContext, one sleeping
  container) from the create call returning until its container is reported running;
- one run per round through the operator (the chart's Deployment) and a worker container,
  trading a 2-symbol static portfolio on the paper exchange (a Deployment on the node):
  Job created -> pod Running, pod Running -> first order at the exchange (the recording
  proxy's clock), worker container start -> first order, Job created -> result in
  status.lastRun.

Pod and Job states are polled through the API every 0.05 s with the Python client, so each
figure carries up to about 0.1 s of polling. The container's start is not polled: it is
the start time of its first process, which the host's /proc keeps (10 ms ticks), found
through the node's containerd. Prints each run and the medians.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "kube"), str(REPO / "tests" / "kube" / "e2e")]

from chain import Chain, static, strategy, wait  # noqa: E402
from kubernetes import client  # noqa: E402
from kubetest import ON_NODE, KubeCluster  # noqa: E402

from halt_e2e import cluster, node_image  # noqa: E402

RESTRICTED = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _poll(what: str, probe: Callable[[], Any], timeout: float = 120) -> float:
    """Polls until `probe` is truthy; returns the time.time() it first was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return time.time()
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pod_start(core: client.CoreV1Api, namespace: str, image: str, index: int) -> float:
    name = f"start-{index}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            **ON_NODE,
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "main",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["python3", "-c", "import time; time.sleep(3600)"],
                    "securityContext": RESTRICTED,
                }
            ],
        },
    }
    core.create_namespaced_pod(namespace, pod)
    created = time.time()

    def running() -> bool:
        statuses = core.read_namespaced_pod_status(name, namespace).status.container_statuses
        return bool(statuses and statuses[0].state.running)

    started = _poll(f"pod {name} running", running)
    core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    return started - created


def container_started(kube: KubeCluster, container_id: str) -> float:
    """When the container's first process started, on time.time()'s clock (host /proc)."""
    command = [
        "ctr", "--address", kube.node["containerd_socket"], "--namespace", "k8s.io", "tasks", "ls",
    ]  # fmt: skip
    listing = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    rows = (line.split() for line in listing.stdout.splitlines()[1:])
    pid = next(int(row[1]) for row in rows if row and row[0] == container_id)
    # /proc/PID/stat: field 22 is the start in clock ticks since boot (CLOCK_BOOTTIME).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return time.time() - age


def one_run(world: Chain, core: client.CoreV1Api, index: int) -> dict[str, float]:
    # A fresh $20,000 account per run: each half stays under the default maxOrderNotional.
    _, proxy = world.exchange(f"exchange-{index}", secret=f"broker-{index}", cash=20_000)
    name = f"bench-{index}"
    weights = {"SPY": 0.5, "TLT": 0.5}
    world.apply(
        strategy(world.namespace, name, proxy.url, static(weights), secret=f"broker-{index}")
    )

    job = world.run_now(name, timeout=120)
    seen = time.time()
    selector = f"batch.kubernetes.io/job-name={job}"

    container: list[str] = []

    def pod_running() -> bool:
        pods = core.list_namespaced_pod(world.namespace, label_selector=selector).items
        for pod in pods:
            if pod.status.phase == "Running" and pod.status.container_statuses:
                container.append(pod.status.container_statuses[0].container_id)
                return True
        return False

    running = _poll(f"a Running pod of {job}", pod_running)
    started = container_started(world.cluster, container[0].removeprefix("containerd://"))
    wait("the run's first order", proxy.order_posts, 120, interval=0.05)
    first_order = proxy.order_posts()[0].received

    def recorded() -> bool:
        last = (world.strategy(name).get("status") or {}).get("lastRun") or {}
        return last.get("job") == job and bool(last.get("finishedAt"))

    result = _poll(f"status.lastRun of {name}", recorded, timeout=240)
    world.kubectl("delete", "tstrat", name, "-n", world.namespace)
    return {
        "job_to_running": running - seen,
        "running_to_first_order": first_order - running,
        "container_start_to_first_order": first_order - started,
        "job_to_result": result - seen,
    }


def _median(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    kube = cluster()
    image = node_image()
    for path in sorted((REPO / "crds").glob("*.yaml")):
        kube.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
    namespace = f"bench-pods-{int(time.time())}"
    kube.kubectl("create", "namespace", namespace)
    wait(
        "the default ServiceAccount",
        lambda: kube.kubectl("get", "sa", "default", "-n", namespace, check=False).returncode == 0,
        30,
    )
    with tempfile.TemporaryDirectory(prefix="pod-start-") as scratch:
        world = Chain(kube, namespace, Path(scratch), image)
        core = client.CoreV1Api(world.api)
        try:
            starts = [pod_start(core, namespace, image, i) for i in range(args.runs)]
            for index, seconds in enumerate(starts):
                print(f"pod {index + 1}: created -> running {seconds:.3f}s", flush=True)
            world.start_operator()
            runs = []
            for index in range(args.runs):
                runs.append(one_run(world, core, index))
                row = ", ".join(f"{key} {value:.3f}s" for key, value in runs[-1].items())
                print(f"run {index + 1}: {row}", flush=True)
        finally:
            world.close()
            kube.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    medians = {"pod_created_to_running": statistics.median(starts), **_median(runs)}
    figures = ", ".join(f"{key} {value:.3f}s" for key, value in medians.items())
    print(f"medians over {args.runs} runs: {figures}")
    print(json.dumps({"pods": starts, "runs": runs, "median": medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
