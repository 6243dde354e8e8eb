"""A second local cluster beside the first: its own node slot, and `down` restores the host.

Starts a complete second cluster (control plane and real node) in a temporary state
directory while the session's cluster keeps running, as two checkouts on one machine
would, then stops it and compares the host's network with what it was before.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from kubetest import KubeCluster

DEVCLUSTER = Path(__file__).resolve().parents[2] / "hack" / "devcluster.py"
# The machine-wide sysctls kubelet sets (hack/node.py KUBELET_SYSCTLS).
SYSCTLS = ("vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops",
           "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes")  # fmt: skip
SYSCTL_RECORD = Path("/run/alchemiser-nodes/host-sysctls.json")


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def _host_network(ignore_slots: set[int]) -> dict[str, list[str]]:
    """Interfaces, routes, iptables and nftables rules; other clusters' own nodes left out
    (they come and go while this runs), by their slot's interface and /24."""

    def foreign(line: str) -> bool:
        return any(
            re.search(rf"\balch-{slot}\b|\b10\.222\.{slot}\.", line) for slot in ignore_slots
        )

    links = [" ".join(line.split()[:2]) for line in _run("ip", "-o", "link", "show").splitlines()]
    snapshot = {
        "links": links,
        "addresses": _run("ip", "-o", "addr", "show").splitlines(),
        "routes": _run("ip", "route", "show", "table", "all").splitlines(),
        "iptables": [
            line for line in _run("iptables-save").splitlines() if not line.startswith("#")
        ],
        "nftables": _run("nft", "list", "ruleset").splitlines(),
        "sysctls": _run("sysctl", *SYSCTLS).splitlines(),
    }
    return {
        key: sorted(re.sub(r"^\d+: ", "", line) for line in lines if not foreign(line))
        for key, lines in snapshot.items()
    }


def _other_slots(excluding: int | None = None) -> set[int]:
    names = _run("ip", "-o", "link", "show").split()
    slots = {int(m.group(1)) for n in names if (m := re.match(r"alch-(\d+)(@|:)", n))}
    return slots - {excluding} if excluding is not None else slots


def test_second_cluster_gets_its_own_node_and_down_restores_the_host(
    kube_cluster: KubeCluster, tmp_path: Path
) -> None:
    """Two nodes coexist on distinct /24s; the second one's rules stay in its namespace;
    after `down` the host's interfaces, routes, firewall rules and sysctls are as before
    (the host's own sysctls stay recorded while the first node runs)."""
    state = tmp_path / "second"
    before = _host_network(_other_slots())
    command = [sys.executable, str(DEVCLUSTER), "--state-dir", str(state)]
    slot = None
    try:
        up = subprocess.run(
            [*command[:2], "up", *command[2:], "--core-only"],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert up.returncode == 0, up.stderr[-3000:]
        second = json.loads((state / "cluster.json").read_text())["node"]
        slot = second["slot"]
        assert second["slot"] != kube_cluster.node["slot"]
        assert second["node_ip"] != kube_cluster.node["node_ip"]
        running = _host_network(_other_slots(excluding=second["slot"]))
        # On the host: one veth, its /30 and one route to its pods; no firewall rule at all.
        assert running["iptables"] == before["iptables"]
        assert running["nftables"] == before["nftables"]
        new_links = set(running["links"]) - set(before["links"])
        assert len(new_links) == 1 and f"alch-{second['slot']}@" in next(iter(new_links))
        new_routes = set(running["routes"]) - set(before["routes"])
        assert any(second["pod_cidr"] in route for route in new_routes), new_routes
        # kube-proxy's Service rules exist, inside the node's namespace.
        inside = _run(
            "nsenter", f"--net=/run/netns/{second['netns']}", "--", "iptables-save", "-t", "nat"
        )
        assert "default/kubernetes:https" in inside
        # The host's own values, recorded before the first kubelet changed them.
        recorded = json.loads(SYSCTL_RECORD.read_text())
        assert sorted(recorded) == sorted(key.replace(".", "/") for key in SYSCTLS)
        assert running["sysctls"] == before["sysctls"]
    finally:
        down = subprocess.run(
            [*command[:2], "down", *command[2:]], capture_output=True, text=True, check=False
        )
    assert down.returncode == 0, down.stderr[-3000:]
    assert _host_network(_other_slots(excluding=slot)) == before
    assert SYSCTL_RECORD.exists()  # the session's node still runs: it restores them at its down
