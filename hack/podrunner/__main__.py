"""Command line of the local pod runner: `python hack/podrunner --kubeconfig ...`.

Wiring only: parse flags, build the settings, start the Node heartbeat and
the pod watch, stop both (and every pod process) on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python hack/podrunner`: make `podrunner` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podrunner.kube import Kube
from podrunner.node import NodeKeeper, NodeTaken
from podrunner.pods import Settings
from podrunner.runner import Runner

REPO = Path(__file__).resolve().parents[2]
DEFAULT_REPOSITORY = "ghcr.io/alchemiser/alchemiser"
NODE_LABEL = "alchemiser.io/local-runner"


def _log(message: str) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    print(f"{stamp} {message}", flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the runner's flags."""
    venv_bin = Path(sys.executable).parent
    parser = argparse.ArgumentParser(
        prog="podrunner",
        description="Run pods bound to one Node as local processes (our own image only).",
    )
    parser.add_argument(
        "--kubeconfig",
        default=os.environ.get("KUBECONFIG", str(REPO / ".devcluster" / "kubeconfig")),
    )
    parser.add_argument("--node", default="alchemiser-local")
    parser.add_argument(
        "--node-label-value",
        default="true",
        help=f"value of the {NODE_LABEL} label and taint when the runner registers the Node",
    )
    parser.add_argument(
        "--unregister-node",
        action="store_true",
        help="delete the Node on a clean stop (throw-away nodes of test runs)",
    )
    parser.add_argument(
        "--image-repository",
        action="append",
        dest="repositories",
        help=f"image repository this runner may run (repeatable; default {DEFAULT_REPOSITORY})",
    )
    parser.add_argument(
        "--entrypoint",
        default=str(venv_bin / "alchemiser"),
        help="what the image's `alchemiser` entrypoint maps to",
    )
    parser.add_argument("--state-dir", default=str(REPO / ".devcluster" / "podrunner"))
    parser.add_argument(
        "--volume-sync-seconds",
        type=float,
        default=1.0,
        help="how often running pods' Secret/ConfigMap volumes are refreshed",
    )
    parser.add_argument("--no-register-node", action="store_true")
    parser.add_argument("--cpu", default="4")
    parser.add_argument("--memory", default="8Gi")
    parser.add_argument("--pods", default="110")
    parser.add_argument("--kubelet-version", default="v1.35.4")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT."""
    args = parse(argv)
    if os.geteuid() != 0:
        print(
            "podrunner: needs root (it bind-mounts volumes in a private mount namespace)",
            file=sys.stderr,
        )
        return 2
    kube = Kube(args.kubeconfig)
    venv_bin = str(Path(args.entrypoint).parent)
    allocatable = {"cpu": args.cpu, "memory": args.memory, "pods": args.pods}
    settings = Settings(
        node=args.node,
        repositories=tuple(args.repositories or [DEFAULT_REPOSITORY]),
        entrypoint=[args.entrypoint],
        base_env={
            "PATH": f"{venv_bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        state_dir=Path(args.state_dir),
        allocatable=allocatable,
        volume_sync_seconds=args.volume_sync_seconds,
        log=_log,
    )
    keeper = NodeKeeper(
        kube,
        node=args.node,
        labels={NODE_LABEL: args.node_label_value},
        taints=[{"key": NODE_LABEL, "value": args.node_label_value, "effect": "NoSchedule"}],
        allocatable=allocatable,
        version=args.kubelet_version,
    )
    try:
        keeper.claim()
    except NodeTaken as error:
        print(f"podrunner: {error}", file=sys.stderr)
        return 3
    if not args.no_register_node:
        keeper.register()
    keeper.beat()
    keeper.start()
    runner = Runner(kube, settings)
    watcher = threading.Thread(target=runner.run, name="pod-watch", daemon=True)
    watcher.start()
    _log(f"podrunner: serving node {args.node} for images {', '.join(settings.repositories)}")
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    done.wait()
    _log("podrunner: stopping; terminating pod processes")
    keeper.stopped.set()
    runner.stop()
    keeper.release()
    if args.unregister_node:
        keeper.unregister()
    return 0


if __name__ == "__main__":
    sys.exit(main())
