"""Processes that hack/devcluster.py starts, and stopping exactly those.

Rule: a process is identified by its pid together with its start time from
/proc, so a recycled pid is never signalled. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from toolchain import log

STOP_TIMEOUT = 10.0


def start_ticks(pid: int) -> int | None:
    """Process start time from /proc (None if gone or a zombie); guards pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(entry: dict[str, Any]) -> bool:
    return start_ticks(int(entry["pid"])) == int(entry["start_ticks"])


def spawn(logs: Path, cwd: Path, name: str, argv: list[str]) -> dict[str, Any]:
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    return {"pid": process.pid, "start_ticks": start_ticks(process.pid), "argv": argv}


# Clients first (kubelet before the containerd it drives), then the apiserver, then
# its storage: an apiserver that loses etcd first hangs in its graceful shutdown.
STOP_ORDER = (("containerd",), ("kube-apiserver",), ("etcd",))


def stop(processes: dict[str, dict[str, Any]]) -> None:
    """Stops every recorded process that is still ours, in STOP_ORDER."""
    late = {name for group in STOP_ORDER for name in group}
    _stop_group({n: e for n, e in processes.items() if n not in late})
    for group in STOP_ORDER:
        _stop_group({n: e for n, e in processes.items() if n in group})


def _stop_group(processes: dict[str, dict[str, Any]]) -> None:
    """SIGTERM the processes that are still ours, then SIGKILL stragglers."""
    running = {name: entry for name, entry in processes.items() if alive(entry)}
    for entry in running.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(entry["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while running and time.monotonic() < deadline:
        running = {name: entry for name, entry in running.items() if alive(entry)}
        time.sleep(0.1)
    for name, entry in running.items():
        log(f"{name} (pid {entry['pid']}) ignored SIGTERM; sending SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(entry["pid"]), signal.SIGKILL)
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(alive(entry) for entry in running.values()) and time.monotonic() < deadline:
        time.sleep(0.05)


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
