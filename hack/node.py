"""The local cluster's real node: containerd, runc, CNI and kubelet/kube-proxy in a netns.

Rule: everything a node changes on the host is its own and is removed by
`teardown`: one network namespace `alchemiser-<slot>` joined to the host by one
veth pair, one /24 (10.222.<slot>.0/24: .1 on the host end, .2 the node IP,
.128/25 the pods) and one host route to its pods through the veth. containerd's
root, state, socket and runc root, kubelet's root, the CNI config and IPAM data
live under <state>/node/. kube-proxy and CNI write their iptables rules inside
the namespace, so the host's tables and other clusters' nodes are untouched; the
namespace has no default route and CNI does no masquerading, so nothing leaves
the machine. Slots are claimed under a machine-wide lock, so several clusters
(checkouts, CI) run side by side.

kubelet sets six machine-wide sysctls when it starts (vm.overcommit_memory,
kernel.panic, ...; /proc/sys/vm and /proc/sys/kernel are not per network
namespace), and its only alternative, protectKernelDefaults, refuses to start
on a host whose values differ. So the first node to start records the host's
values and the last node to stop writes them back. Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NODE_NAME = "alchemiser-node"
# Until the demo and e2e tests move onto the node, only pods that ask for it go there.
NODE_TAINT = "alchemiser.io/real-node"
SERVICE_CIDR = "10.96.0.0/16"
SLOTS = range(1, 64)
REGISTRY = Path("/run/alchemiser-nodes")
CONTAINERD_NS = "k8s.io"
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SYS = Path("/proc/sys")
# What kubelet's container manager sets at start (setupKernelTunables), as /proc/sys paths.
KUBELET_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
SYSCTL_RECORD = "host-sysctls.json"


class NodeError(RuntimeError):
    """Raised when the node's network, runtime or images cannot be set up."""


@dataclass(frozen=True)
class Net:
    """The addresses of one slot."""

    slot: int

    @property
    def netns(self) -> str:
        return f"alchemiser-{self.slot}"

    @property
    def host_link(self) -> str:
        return f"alch-{self.slot}"

    @property
    def bridge(self) -> str:
        return f"alchbr{self.slot}"

    def ip(self, last: int) -> str:
        return f"10.222.{self.slot}.{last}"

    @property
    def host_ip(self) -> str:
        return self.ip(1)

    @property
    def node_ip(self) -> str:
        return self.ip(2)

    @property
    def pod_cidr(self) -> str:
        return f"{self.ip(128)}/25"

    def nsenter(self) -> list[str]:
        """Prefix that runs a command in the node's network namespace only (mounts shared)."""
        return ["nsenter", f"--net=/run/netns/{self.netns}", "--"]


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise NodeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")
    return result


# ------------------------------------------------------------------- slots


@contextlib.contextmanager
def _registry_lock(registry: Path = REGISTRY) -> Iterator[None]:
    registry.mkdir(parents=True, exist_ok=True)
    with open(registry / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _claimed(registry: Path) -> list[Path]:
    return [entry for entry in registry.iterdir() if entry.name.isdigit()]


def record_sysctls(registry: Path = REGISTRY, proc_sys: Path = PROC_SYS) -> None:
    """Under the registry lock, before a node starts: the host's values, unless kept already.

    A record that exists was written before the first node still registered started
    (or before one that died without `down`): it holds the host's own values, so it stays.
    """
    record = registry / SYSCTL_RECORD
    if record.exists():
        return
    values = {key: (proc_sys / key).read_text().strip() for key in KUBELET_SYSCTLS}
    record.write_text(json.dumps(values, indent=2))


def restore_sysctls(registry: Path = REGISTRY, proc_sys: Path = PROC_SYS) -> list[str]:
    """Under the registry lock, once no node is registered: writes the recorded values back.

    Returns the keys that could not be restored (the record is then kept for a retry).
    """
    record = registry / SYSCTL_RECORD
    if _claimed(registry) or not record.exists():
        return []
    failed = []
    for key, value in json.loads(record.read_text()).items():
        try:
            if (proc_sys / key).read_text().strip() != value:
                (proc_sys / key).write_text(f"{value}\n")
        except OSError:
            failed.append(f"sysctl {key.replace('/', '.')}={value}")
    if not failed:
        record.unlink()
    return failed


def _slot_in_use(slot: int) -> bool:
    net = Net(slot)
    if (REGISTRY / str(slot)).exists() or Path(f"/run/netns/{net.netns}").exists():
        return True
    if _ip("link", "show", net.host_link, check=False).returncode == 0:
        return True
    addresses = _ip("-4", "-o", "addr", "show").stdout
    return f" 10.222.{slot}." in addresses


def claim_slot(state: Path) -> Net:
    """A free slot for this state directory (its previous one if still its own).

    The host's sysctls are recorded first, so they are known before any kubelet runs.
    """
    owner = str(state)
    with _registry_lock():
        record_sysctls()
        for slot in SLOTS:
            entry = REGISTRY / str(slot)
            if entry.is_file() and entry.read_text() == owner:
                return Net(slot)
        for slot in SLOTS:
            if not _slot_in_use(slot):
                (REGISTRY / str(slot)).write_text(owner)
                return Net(slot)
    raise NodeError(f"no free node slot in 10.222.{SLOTS[0]}-{SLOTS[-1]}.0/24")


def release_slot(state: Path, net: Net) -> list[str]:
    """Frees the slot; the last node out restores the host's sysctls (returns failures)."""
    with _registry_lock():
        entry = REGISTRY / str(net.slot)
        if entry.is_file() and entry.read_text() == str(state):
            entry.unlink()
        return restore_sysctls()


# ----------------------------------------------------------------- network


def network_up(net: Net) -> None:
    """Creates the namespace, the veth pair, addresses and the host route to the pods."""
    network_down(net)
    _ip("netns", "add", net.netns)
    _ip("link", "add", net.host_link, "type", "veth", "peer", "name", "eth0", "netns", net.netns)
    _ip("addr", "add", f"{net.host_ip}/30", "dev", net.host_link)
    _ip("link", "set", net.host_link, "up")
    _ip("-n", net.netns, "link", "set", "lo", "up")
    _ip("-n", net.netns, "addr", "add", f"{net.node_ip}/30", "dev", "eth0")
    _ip("-n", net.netns, "link", "set", "eth0", "up")
    _ip("route", "add", net.pod_cidr, "via", net.node_ip, "dev", net.host_link)
    # Inside the namespace only: route between pods and the veth; Service traffic between
    # pods on the bridge passes kube-proxy's rules.
    for key, value in (("net.ipv4.ip_forward", "1"), ("net.bridge.bridge-nf-call-iptables", "1")):
        result = subprocess.run(
            [*net.nsenter(), "sysctl", "-q", "-w", f"{key}={value}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise NodeError(f"sysctl {key} in {net.netns} failed: {result.stderr.strip()}")


def network_down(net: Net) -> None:
    """Removes the veth (and with it the host route) and the namespace, if present."""
    _ip("link", "del", net.host_link, check=False)
    if Path(f"/run/netns/{net.netns}").exists():
        _ip("netns", "del", net.netns, check=False)


# ------------------------------------------------------------------ config


class NodeLayout:
    """Where one node's files live (under the cluster's state directory)."""

    def __init__(self, state: Path) -> None:
        self.root = state / "node"
        self.containerd_root = self.root / "containerd" / "root"
        self.containerd_state = self.root / "containerd" / "state"
        self.socket = self.root / "containerd.sock"
        self.runc_root = self.root / "runc"
        self.cni_conf = self.root / "cni" / "net.d"
        self.cni_data = self.root / "cni" / "ipam"
        self.kubelet_root = self.root / "kubelet"
        self.pod_logs = self.root / "pod-logs"
        self.configs = self.root / "config"

    def config(self, name: str) -> Path:
        return self.configs / name


def _containerd_toml(nl: NodeLayout, pause_ref: str) -> str:
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{nl.containerd_root}"
state = "{nl.containerd_state}"
oom_score = 0
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
]
[grpc]
  address = "{nl.socket}"
[ttrpc]
  address = "{nl.socket}.ttrpc"
[{cri}]
  sandbox_image = "{pause_ref}"
  # This machine lacks CAP_SYS_RESOURCE: without this every pod fails to start.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = "{shutil.which("runc") or "/usr/sbin/runc"}"
  Root = "{nl.runc_root}"
[{cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{nl.cni_conf}"
"""


def _cni_conflist(net: Net, nl: NodeLayout) -> dict[str, Any]:
    return {
        "cniVersion": "1.0.0",
        "name": "alchemiser",
        "plugins": [
            {
                "type": "bridge",
                "bridge": net.bridge,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(nl.cni_data),
                    "ranges": [[{"subnet": net.pod_cidr, "gateway": net.ip(129)}]],
                    # No default route: Services and the host end of the veth only.
                    "routes": [{"dst": SERVICE_CIDR}, {"dst": f"{net.ip(0)}/30"}],
                },
            }
        ],
    }


def _kubelet_config(net: Net, nl: NodeLayout, pki: Path) -> dict[str, Any]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": net.node_ip,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True, "cacheTTL": "10s"},
            "x509": {"clientCAFile": str(pki / "ca.crt")},
        },
        "authorization": {
            "mode": "Webhook",
            "webhook": {"cacheAuthorizedTTL": "10s", "cacheUnauthorizedTTL": "5s"},
        },
        "tlsCertFile": str(pki / "kubelet-serving.crt"),
        "tlsPrivateKeyFile": str(pki / "kubelet-serving.key"),
        "containerRuntimeEndpoint": f"unix://{nl.socket}",
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": f"/{net.netns}",
        "failCgroupV1": False,
        "failSwapOn": False,
        # Otherwise kubelet adds DROP rules to the firewall (in the namespace, but no need).
        "makeIPTablesUtilChains": False,
        # A rotated Secret reaches running containers within about a second.
        "syncFrequency": "1s",
        "podLogsDir": str(nl.pod_logs),
        "volumePluginDir": str(nl.root / "volume-plugins"),
        "resolvConf": str(nl.config("resolv.conf")),
        "clusterDomain": "cluster.local",
        "oomScoreAdj": 0,
        "registerWithTaints": [{"key": NODE_TAINT, "value": "true", "effect": "NoSchedule"}],
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        # The images are imported, never pulled: never garbage-collect them.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False,
        "nodeStatusUpdateFrequency": "2s",
        "shutdownGracePeriod": "0s",
    }


def _kube_proxy_config(net: Net, kubeconfig: Path) -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(kubeconfig)},
        "mode": "iptables",
        "hostnameOverride": NODE_NAME,
        "clusterCIDR": net.pod_cidr,
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        "nodePortAddresses": [f"{net.node_ip}/32"],
        # Zeros: kube-proxy leaves the (machine-wide) conntrack sysctls alone.
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
        "iptables": {"localhostNodePorts": False, "masqueradeAll": False, "syncPeriod": "5s"},
    }


def write_configs(net: Net, nl: NodeLayout, pki: Path, kubeconfigs: dict[str, Path]) -> None:
    for directory in (nl.configs, nl.cni_conf, nl.cni_data, nl.kubelet_root, nl.pod_logs):
        directory.mkdir(parents=True, exist_ok=True)
    nl.config("resolv.conf").write_text("")  # pods resolve nothing off the machine
    (nl.cni_conf / "10-alchemiser.conflist").write_text(json.dumps(_cni_conflist(net, nl)))
    nl.config("kubelet.json").write_text(json.dumps(_kubelet_config(net, nl, pki), indent=2))
    proxy = _kube_proxy_config(net, kubeconfigs["kube-proxy"])
    nl.config("kube-proxy.json").write_text(json.dumps(proxy, indent=2))


def commands(
    net: Net, nl: NodeLayout, binaries: dict[str, Path], kubeconfigs: dict[str, Path], pause: str
) -> dict[str, list[str]]:
    nl.config("containerd.toml").write_text(_containerd_toml(nl, pause))
    return {
        "containerd": [
            *net.nsenter(),
            shutil.which("containerd") or "/usr/bin/containerd",
            "--config",
            str(nl.config("containerd.toml")),
            "--log-level=warn",
        ],
        "kubelet": [
            *net.nsenter(),
            str(binaries["kubelet"]),
            f"--config={nl.config('kubelet.json')}",
            f"--kubeconfig={kubeconfigs['kubelet']}",
            f"--root-dir={nl.kubelet_root}",
            f"--cert-dir={nl.root / 'kubelet-certs'}",
            f"--hostname-override={NODE_NAME}",
            f"--node-ip={net.node_ip}",
            "--v=1",
        ],
        "kube-proxy": [
            *net.nsenter(),
            str(binaries["kube-proxy"]),
            f"--config={nl.config('kube-proxy.json')}",
            "--v=1",
        ],
    }


# ------------------------------------------------------------------ images


def ctr(nl: NodeLayout, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = ["ctr", "--address", str(nl.socket), "--namespace", CONTAINERD_NS, *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)


def containerd_ready(nl: NodeLayout) -> bool:
    return nl.socket.exists() and ctr(nl, "version", timeout=5).returncode == 0


def has_image(nl: NodeLayout, reference: str) -> bool:
    listed = ctr(nl, "images", "list", "--quiet")
    return listed.returncode == 0 and reference in listed.stdout.split()


def import_image(nl: NodeLayout, reference: str) -> float:
    """Copies a podman image into the node's containerd unless present; returns seconds."""
    if has_image(nl, reference):
        return 0.0
    started = time.monotonic()
    archive = nl.root / f"import-{os.getpid()}.tar"
    try:
        saved = subprocess.run(
            ["podman", "save", "--quiet", "--output", str(archive), reference],
            capture_output=True,
            text=True,
            check=False,
        )
        if saved.returncode != 0:
            raise NodeError(f"podman save {reference} failed: {saved.stderr.strip()}")
        imported = ctr(nl, "images", "import", "--no-unpack=false", str(archive))
        if imported.returncode != 0:
            imported = ctr(nl, "images", "import", str(archive))
        if imported.returncode != 0 or not has_image(nl, reference):
            raise NodeError(f"importing {reference} into containerd failed: {imported.stderr}")
    finally:
        archive.unlink(missing_ok=True)
    return time.monotonic() - started


def build_pause_image(pause_binary: Path) -> str:
    """The sandbox image: the static pause program alone, from scratch, not root."""
    digest = _file_digest(pause_binary)
    reference = f"localhost/alchemiser-pause:{digest}"
    if subprocess.run(["podman", "image", "exists", reference], check=False).returncode == 0:
        return reference
    with tempfile.TemporaryDirectory() as temporary:
        context = Path(temporary)
        shutil.copy(pause_binary, context / "pause")
        (context / "Containerfile").write_text(
            'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n'
        )
        built = subprocess.run(
            ["podman", "build", "--quiet", "--network=none", "--tag", reference, str(context)],
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode != 0:
            raise NodeError(f"building the pause image failed: {built.stderr.strip()}")
    return reference


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# ---------------------------------------------------------------- teardown


def _our_mounts(root: Path) -> list[str]:
    """Mount points under the node's directory, deepest first."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == str(root) or point.startswith(f"{root}/"):
            points.append(point)
    return sorted(set(points), key=lambda p: -p.count("/"))


def _runc(nl: NodeLayout, *args: str) -> subprocess.CompletedProcess[str]:
    root = nl.runc_root / CONTAINERD_NS
    return subprocess.run(
        ["runc", "--root", str(root), *args], capture_output=True, text=True, check=False
    )


def _kill_containers(nl: NodeLayout) -> None:
    if not (nl.runc_root / CONTAINERD_NS).is_dir():
        return
    listed = _runc(nl, "list", "--quiet")
    for container in listed.stdout.split():
        _runc(nl, "kill", "--all", container, "KILL")
    deadline = time.monotonic() + 10
    for container in listed.stdout.split():
        while time.monotonic() < deadline:
            if _runc(nl, "delete", "--force", container).returncode == 0:
                break
            time.sleep(0.2)


def _kill_shims(nl: NodeLayout) -> None:
    """containerd's shims outlive it; ours are the ones started with our socket."""
    marker = f"-address\0{nl.socket}\0".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"containerd-shim" in cmdline and marker in cmdline + b"\0":
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)


def make_cgroups(net: Net) -> None:
    """kubelet's cgroupRoot must exist in every v1 hierarchy (cpuset needs cpus and mems)."""
    for controller in CGROUP_ROOT.iterdir():
        if controller.name == "unified" or not controller.is_dir():
            continue
        top = controller / net.netns
        top.mkdir(exist_ok=True)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if (controller / name).exists() and not (top / name).read_text().strip():
                (top / name).write_text((controller / name).read_text())


def _remove_cgroups(net: Net) -> None:
    for controller in CGROUP_ROOT.iterdir():
        top = controller / net.netns
        if not top.is_dir():
            continue
        for directory in sorted(
            (p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)
        ):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(OSError):
            top.rmdir()


def teardown(state: Path, net: Net | None) -> list[str]:
    """After kubelet, kube-proxy and containerd stopped: remove all the node left.

    Returns what could not be removed (empty when the host is as it was).
    """
    nl = NodeLayout(state)
    _kill_containers(nl)
    _kill_shims(nl)
    for point in _our_mounts(nl.root):
        if subprocess.run(["umount", point], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "--lazy", point], capture_output=True, check=False)
    problems = [f"mount {p}" for p in _our_mounts(nl.root)]
    if net is not None:
        _remove_cgroups(net)
        network_down(net)
        if _ip("link", "show", net.host_link, check=False).returncode == 0:
            problems.append(f"interface {net.host_link}")
        problems += release_slot(state, net)
    return problems


def iptables_in_node(net: Net) -> str:
    """The node namespace's nat table (where kube-proxy writes its Service rules)."""
    result = subprocess.run(
        [*net.nsenter(), "iptables-save", "-t", "nat"], capture_output=True, text=True, check=False
    )
    return result.stdout


def kube_proxy_synced(net: Net) -> bool:
    return bool(re.search(r"default/kubernetes:https", iptables_in_node(net)))
