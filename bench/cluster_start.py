"""Measures the local control plane: cold build, warm start, resident memory.

    .venv/bin/python bench/cluster_start.py              # warm starts (+ cold if cache empty)
    .venv/bin/python bench/cluster_start.py --cold       # also rebuild into a temp cache
    .venv/bin/python bench/cluster_start.py --cycles 7 --json

Warm start is `hack/devcluster.py up` with every binary cached, from nothing
running to API ready, default ServiceAccount present and kwok nodes Ready; each
cycle uses a throw-away state directory, so a cluster in .devcluster/ is not
touched. Resident memory is the sum of VmRSS of the five control-plane
processes, read a few seconds after the cluster became ready.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEVCLUSTER = REPO / "hack" / "devcluster.py"


def _run(args: list[str], env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    result = subprocess.run(args, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(args)}")
    return time.monotonic() - started


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cold_build(keep_go_cache: bool) -> float:
    """Builds every tool into an empty cache (and an empty Go build cache) at low priority."""
    with tempfile.TemporaryDirectory(prefix="alchemiser-cold-") as scratch:
        env = dict(os.environ, ALCHEMISER_CACHE=str(Path(scratch) / "cache"))
        if not keep_go_cache:
            env["GOCACHE"] = str(Path(scratch) / "go-build")
        # nice: other people's tests share this machine; the figure is an upper bound.
        seconds = _run(["nice", "-n", "19", sys.executable, str(DEVCLUSTER), "build"], env)
        subprocess.run(["chmod", "-R", "u+w", scratch], check=False)
        return seconds


def warm_cycle(settle: float) -> tuple[float, float, int, dict[str, int]]:
    """One up/down cycle; returns (start s, stop s, RSS KiB total, RSS per process)."""
    with tempfile.TemporaryDirectory(prefix="alchemiser-bench-") as state:
        up = _run([sys.executable, str(DEVCLUSTER), "up", "--state-dir", state])
        try:
            time.sleep(settle)
            record: dict[str, Any] = json.loads((Path(state) / "cluster.json").read_text())
            per_process = {
                name: _rss_kib(int(entry["pid"])) for name, entry in record["processes"].items()
            }
        finally:
            down = _run([sys.executable, str(DEVCLUSTER), "down", "--state-dir", state])
    return up, down, sum(per_process.values()), per_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5, help="warm up/down cycles")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before reading RSS")
    parser.add_argument("--cold", action="store_true", help="measure a cold build too")
    parser.add_argument(
        "--keep-go-cache", action="store_true", help="cold build reuses the Go build cache"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    figures: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cpus, {platform.machine()}, load {os.getloadavg()[0]:.1f}"
    }
    # Building on demand here also makes the warm cycles below truly warm.
    first = _run([sys.executable, str(DEVCLUSTER), "build"])
    figures["build_now_s"] = round(first, 1)
    if args.cold:
        figures["cold_build_s"] = round(cold_build(args.keep_go_cache), 1)

    ups, downs, rss = [], [], []
    per_process: dict[str, int] = {}
    for _ in range(args.cycles):
        up, down, total, per_process = warm_cycle(args.settle)
        ups.append(up)
        downs.append(down)
        rss.append(total)
    figures["warm_start_s"] = [round(u, 2) for u in ups]
    figures["warm_start_median_s"] = round(statistics.median(ups), 2)
    figures["stop_median_s"] = round(statistics.median(downs), 2)
    figures["rss_mib_median"] = round(statistics.median(rss) / 1024)
    figures["rss_mib_by_process_last"] = {k: round(v / 1024) for k, v in per_process.items()}

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"machine:            {figures['machine']}")
    if "cold_build_s" in figures:
        print(f"cold build:         {figures['cold_build_s']:.0f} s (empty binary and Go caches)")
    print(f"build now:          {figures['build_now_s']:.0f} s (0 = everything was cached)")
    print(f"warm start median:  {figures['warm_start_median_s']:.2f} s  {figures['warm_start_s']}")
    print(f"stop median:        {figures['stop_median_s']:.2f} s")
    print(f"resident memory:    {figures['rss_mib_median']} MiB  (sum of VmRSS, median)")
    for name, mib in figures["rss_mib_by_process_last"].items():
        print(f"  {name:<24}{mib:>5} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
