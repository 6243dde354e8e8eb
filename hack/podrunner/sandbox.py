"""Starts a container's process in a private mount namespace, as a container runtime would.

The only module that starts processes. `unshare --mount` gives the process its
own mount table: each volume's runner-managed directory is bind-mounted onto
its mountPath (read-only when asked), the termination-message file onto
terminationMessagePath, the root filesystem is remounted read-only when the
security context asks for it, and `setpriv` drops every capability before the
command runs. Mounts never leak into the host's mount table. Needs root.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mount:
    """A bind mount inside the container's namespace."""

    source: Path
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one container process."""

    argv: list[str]
    env: dict[str, str]
    mounts: list[Mount]
    workdir: str
    log: Path
    read_only_root: bool = False
    drop_capabilities: bool = True
    no_new_privileges: bool = True
    # The "image": host directories the command itself runs from (the checkout holding
    # the virtual environment). A volume mounted over one of them (an emptyDir on /tmp
    # while the checkout lives under /tmp) must not hide the program, so each is opened
    # before the volumes are mounted and bound back onto its own path afterwards.
    image_paths: tuple[str, ...] = ()


def _ensure_mount_point(mount: Mount) -> None:
    """Create an empty mount point on the host when missing (a directory or a file)."""
    target = Path(mount.target)
    if target.exists() or target.is_symlink():
        return
    if mount.source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()


def _under(path: str, ancestor: str) -> bool:
    ancestor = ancestor.rstrip("/") or "/"
    return path == ancestor or path.startswith(ancestor.rstrip("/") + "/")


def mount_order(mounts: list[Mount]) -> list[Mount]:
    """Parents before children; a target that would hide another mount's source goes last.

    An emptyDir on /tmp must not be mounted before the termination-log file that the
    runner keeps under /tmp is bound, or the bind would find its source hidden.
    """
    pending = sorted(mounts, key=lambda m: m.target.count("/"))
    ordered: list[Mount] = []
    while pending:
        for candidate in pending:
            hides = any(
                other is not candidate and _under(str(other.source), candidate.target)
                for other in pending
            )
            if not hides:
                break
        else:
            candidate = pending[0]  # a cycle: mount it anyway; `mount` reports what is missing
        pending.remove(candidate)
        ordered.append(candidate)
    return ordered


def script(launch: Launch) -> str:
    """The shell script run inside the new mount namespace before exec'ing the command."""
    lines = ["set -e"]
    held = {path: 3 + index for index, path in enumerate(launch.image_paths)}
    lines += [f"exec {fd}<{shlex.quote(path)}" for path, fd in held.items()]
    for mount in mount_order(launch.mounts):
        src, dst = shlex.quote(str(mount.source)), shlex.quote(mount.target)
        lines.append(f"mount --bind {src} {dst}")
        if mount.read_only:
            lines.append(f"mount -o remount,bind,ro {dst}")
    for path, fd in held.items():
        if any(_under(path, mount.target) for mount in launch.mounts):
            # --no-canonicalize: resolving the fd's link by name would find the covered path.
            lines.append(f"mkdir -p {shlex.quote(path)}")
            lines.append(f"mount --no-canonicalize --bind /proc/self/fd/{fd} {shlex.quote(path)}")
        lines.append(f"exec {fd}<&-")
    if launch.read_only_root:
        lines.append("mount -o remount,bind,ro /")
    lines.append(f"cd {shlex.quote(launch.workdir)}")
    privileges = ["setpriv"]
    if launch.no_new_privileges:
        privileges.append("--no-new-privs")
    if launch.drop_capabilities:
        privileges += ["--inh-caps=-all", "--bounding-set=-all"]
    lines.append("exec " + " ".join(privileges) + ' -- "$@"')
    return "\n".join(lines)


def start(launch: Launch) -> subprocess.Popen[bytes]:
    """Start the process; its pid is the container's main process (unshare and sh exec)."""
    for mount in launch.mounts:
        _ensure_mount_point(mount)
    launch.log.parent.mkdir(parents=True, exist_ok=True)
    with launch.log.open("ab") as log:
        return subprocess.Popen(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "/bin/sh",
                "-c",
                script(launch),
                "container",
                *launch.argv,
            ],
            env=launch.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def terminate(process: subprocess.Popen[bytes]) -> None:
    """Send SIGTERM to the main process, as kubelet does at the start of the grace period."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL every process of the container (its process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
