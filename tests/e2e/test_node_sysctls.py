"""The host sysctls kubelet changes are recorded by the first node and restored by the last."""

from __future__ import annotations

from pathlib import Path

import node
import pytest

HOST = {
    "vm/overcommit_memory": "0",
    "vm/panic_on_oom": "0",
    "kernel/panic": "1",
    "kernel/panic_on_oops": "0",
    "kernel/keys/root_maxkeys": "1000000",
    "kernel/keys/root_maxbytes": "25000000",
}
# What kubelet writes at start where the values differ.
KUBELET = {**HOST, "vm/overcommit_memory": "1", "kernel/panic": "10", "kernel/panic_on_oops": "1"}


def _write(proc_sys: Path, values: dict[str, str]) -> None:
    for key, value in values.items():
        (proc_sys / key).parent.mkdir(parents=True, exist_ok=True)
        (proc_sys / key).write_text(f"{value}\n")


def _read(proc_sys: Path) -> dict[str, str]:
    return {key: (proc_sys / key).read_text().strip() for key in node.KUBELET_SYSCTLS}


@pytest.fixture
def host(tmp_path: Path) -> tuple[Path, Path]:
    """A registry directory and a /proc/sys stand-in holding the host's values."""
    registry, proc_sys = tmp_path / "registry", tmp_path / "sys"
    registry.mkdir()
    _write(proc_sys, HOST)
    return registry, proc_sys


def test_last_node_out_restores_what_the_first_node_in_found(host: tuple[Path, Path]) -> None:
    """Two nodes overlap: the second does not record kubelet's values, and the values are
    written back only when the last one has left."""
    registry, proc_sys = host
    node.record_sysctls(registry, proc_sys)
    (registry / "1").write_text("/a")
    _write(proc_sys, KUBELET)  # the first kubelet started
    node.record_sysctls(registry, proc_sys)  # the second node must keep the host's values
    (registry / "2").write_text("/b")
    (registry / "1").unlink()
    assert node.restore_sysctls(registry, proc_sys) == []
    assert _read(proc_sys) == KUBELET  # node 2 still runs
    (registry / "2").unlink()
    assert node.restore_sysctls(registry, proc_sys) == []
    assert _read(proc_sys) == HOST
    assert not (registry / node.SYSCTL_RECORD).exists()


def test_a_failed_restore_keeps_the_record_for_the_next_down(host: tuple[Path, Path]) -> None:
    """A value that cannot be written is reported, and the record stays to retry with."""
    registry, proc_sys = host
    node.record_sysctls(registry, proc_sys)
    _write(proc_sys, KUBELET)
    (proc_sys / "kernel/panic").unlink()
    (proc_sys / "kernel/panic").mkdir()  # writing to a directory fails like a read-only sysctl
    assert node.restore_sysctls(registry, proc_sys) == ["sysctl kernel.panic=1"]
    assert (registry / node.SYSCTL_RECORD).exists()
