#!/usr/bin/env python3
"""A real local Kubernetes control plane as plain processes on loopback.

    hack/devcluster.py up       build (first time only) and start; idempotent
    hack/devcluster.py down     stop exactly the processes `up` started
    hack/devcluster.py status   exit 0 when the recorded cluster is healthy
    hack/devcluster.py env      print the shell lines of .devcluster/env
    hack/devcluster.py build    only build the binaries into the cache
    hack/devcluster.py load-image   copy the image `make image` built into the node

Runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and a
real node (hack/node.py: containerd, runc, CNI, kubelet and kube-proxy in a
network namespace of its own; the apiserver listens on the host end of the
node's veth, so pods reach it through the `kubernetes` Service).
kwok simulates three nodes (kwok-node-0..2, annotated kwok.x-k8s.io/node=fake)
on which pods start at once and pods owned by a Job succeed (for the scale
benchmarks and the operator's tests). The real node `alchemiser-node` carries the
taint alchemiser.io/real-node=true:NoSchedule, so only pods that tolerate it
(and select it) run there.

State (pids, logs, certificates, kubeconfigs) lives in .devcluster/ next to
hack/ (or $DEVCLUSTER_DIR). Standard library only: this runs before any
virtual environment exists.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import image
import node
import pki
import processes
import toolchain
from toolchain import log

HACK = Path(__file__).resolve().parent
REPO = HACK.parent
SERVICE_CIDR = "10.96.0.0/16"
KWOK_NODES = ("kwok-node-0", "kwok-node-1", "kwok-node-2")
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
# Node lifecycle and taint eviction stay off: kwok sets nodes Ready once and sends no
# heartbeats, so that controller would mark them NotReady and taint them.
CONTROLLERS = tuple(
    f"{name}-controller"
    for name in (
        "cronjob",
        "job",
        "garbage-collector",
        "namespace",
        "serviceaccount",
        "serviceaccount-token",
        "ttl-after-finished",
        "deployment",
        "replicaset",
        "statefulset",
        "daemonset",
        "disruption",
        "pod-garbage-collector",
        "resourcequota",
        "endpoints",
        "endpointslice",
        "endpointslice-mirroring",
        "root-ca-certificate-publisher",
        "clusterrole-aggregation",
        "service-cidr",
        "validatingadmissionpolicy-status",
    )
)
START_TIMEOUT = 120.0
# Bumped when a running cluster of an older layout must be restarted by `up`.
RECORD_VERSION = 2


class ClusterError(RuntimeError):
    """Raised when a component does not start or become healthy in time."""


# --------------------------------------------------------------------- paths


class Layout:
    """Where one cluster's files live."""

    def __init__(self, state: Path, cache: Path) -> None:
        self.state = state
        self.cache = cache
        self.pki = state / "pki"
        self.logs = state / "logs"
        self.etcd_data = state / "etcd"
        self.record = state / "cluster.json"
        self.kubeconfig = state / "kubeconfig"
        self.env = state / "env"
        self.lock = state / "lock"

    def binary(self, tool: str, name: str | None = None) -> Path:
        return toolchain.tool(tool).path(self.cache, name or tool)

    def component_kubeconfig(self, stem: str) -> Path:
        return self.state / f"{stem}.kubeconfig"


def default_layout(state: str | None = None) -> Layout:
    directory = Path(state or os.environ.get("DEVCLUSTER_DIR") or REPO / ".devcluster")
    return Layout(directory.resolve(), toolchain.cache_root())


@contextlib.contextmanager
def locked(layout: Layout) -> Iterator[None]:
    layout.state.mkdir(parents=True, exist_ok=True)
    with open(layout.lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ------------------------------------------------------------------ API calls


class Api:
    """Minimal HTTPS client for the apiserver using the admin client certificate."""

    def __init__(self, server: str, pki_dir: Path) -> None:
        self.server = server
        self.context = ssl.create_default_context(cafile=str(pki_dir / "ca.crt"))
        self.context.load_cert_chain(str(pki_dir / "admin.crt"), str(pki_dir / "admin.key"))

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout: float = 5.0,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method)
        request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=timeout) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, OSError):
            return 0, b""

    def ok(self, path: str) -> bool:
        return self.request("GET", path)[0] == 200


def _http_ok(url: str) -> bool:
    context = ssl.create_default_context()
    # kube-controller-manager and kube-scheduler serve self-signed health endpoints.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, context=context, timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# --------------------------------------------------------------- kubeconfigs


def _kubeconfig(server: str, pki_dir: Path, stem: str) -> str:
    def b64(name: str) -> str:
        return base64.b64encode((pki_dir / name).read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "alchemiser-dev",
                "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")},
            }
        ],
        "users": [
            {
                "name": stem,
                "user": {
                    "client-certificate-data": b64(f"{stem}.crt"),
                    "client-key-data": b64(f"{stem}.key"),
                },
            }
        ],
        "contexts": [
            {"name": "alchemiser-dev", "context": {"cluster": "alchemiser-dev", "user": stem}}
        ],
        "current-context": "alchemiser-dev",
    }
    return json.dumps(config, indent=2) + "\n"  # JSON is valid kubeconfig YAML


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


# ------------------------------------------------------------------ commands


def _commands(layout: Layout, ports: dict[str, int], net: node.Net) -> dict[str, list[str]]:
    p = layout.pki
    server = f"https://{net.host_ip}:{ports['apiserver']}"
    etcd_client = f"http://127.0.0.1:{ports['etcd']}"
    etcd_peer = f"http://127.0.0.1:{ports['etcd_peer']}"
    kcm = str(layout.component_kubeconfig("controller-manager"))
    scheduler = str(layout.component_kubeconfig("scheduler"))
    return {
        "etcd": [
            str(layout.binary("etcd")),
            "--name=devcluster",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={etcd_client}",
            f"--advertise-client-urls={etcd_client}",
            f"--listen-peer-urls={etcd_peer}",
            f"--initial-advertise-peer-urls={etcd_peer}",
            f"--initial-cluster=devcluster={etcd_peer}",
            "--initial-cluster-state=new",
            "--unsafe-no-fsync=true",  # throw-away data; fsync only slows tests down
            "--log-level=warn",
        ],
        "kube-apiserver": [
            str(layout.binary("kubernetes", "kube-apiserver")),
            f"--etcd-servers={etcd_client}",
            # The host end of the node's veth: reachable from the host and from pods.
            f"--bind-address={net.host_ip}",
            f"--advertise-address={net.host_ip}",
            f"--secure-port={ports['apiserver']}",
            f"--cert-dir={layout.state / 'apiserver-certs'}",
            f"--tls-cert-file={p / 'apiserver.crt'}",
            f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--client-ca-file={p / 'ca.crt'}",
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction",
            f"--kubelet-client-certificate={p / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={p / 'apiserver-kubelet-client.key'}",
            f"--kubelet-certificate-authority={p / 'ca.crt'}",
            "--kubelet-preferred-address-types=InternalIP",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={p / 'sa.pub'}",
            f"--service-account-signing-key-file={p / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # The `kubernetes` Service's endpoint is the advertise address (kube-proxy routes it).
            "--endpoint-reconciler-type=lease",
            # Request-header authentication, as kubeadm sets it up: without it the
            # controller manager and scheduler log a missing CA bundle every few seconds.
            f"--requestheader-client-ca-file={p / 'ca.crt'}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={p / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={p / 'front-proxy-client.key'}",
            "--allow-privileged=true",
            "--profiling=false",
        ],
        "kube-controller-manager": [
            str(layout.binary("kubernetes", "kube-controller-manager")),
            f"--kubeconfig={kcm}",
            f"--authentication-kubeconfig={kcm}",
            f"--authorization-kubeconfig={kcm}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['controller_manager']}",
            f"--cert-dir={layout.state / 'controller-manager-certs'}",
            "--leader-elect=false",
            f"--controllers={','.join(CONTROLLERS)}",
            f"--root-ca-file={p / 'ca.crt'}",
            f"--service-account-private-key-file={p / 'sa.key'}",
            "--use-service-account-credentials=true",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--cluster-name=alchemiser-dev",
            "--profiling=false",
        ],
        "kube-scheduler": [
            str(layout.binary("kubernetes", "kube-scheduler")),
            f"--kubeconfig={scheduler}",
            f"--authentication-kubeconfig={scheduler}",
            f"--authorization-kubeconfig={scheduler}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['scheduler']}",
            f"--cert-dir={layout.state / 'scheduler-certs'}",
            "--leader-elect=false",
            "--profiling=false",
        ],
        "kwok": [
            str(layout.binary("kwok")),
            f"--kubeconfig={layout.component_kubeconfig('kwok')}",
            f"--master={server}",
            f"--config={HACK / 'kwok' / 'stages.yaml'}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
            "--node-ip=127.0.0.1",
            f"--server-address=127.0.0.1:{ports['kwok']}",
        ],
    }


def _kwok_node(name: str) -> dict[str, Any]:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "type": "kwok",
    }
    annotations = {"node.alpha.kubernetes.io/ttl": "0", KWOK_ANNOTATION: "fake"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {},
    }


def _create_node(api: Api, name: str) -> None:
    node = _kwok_node(name)
    status, body = api.request("POST", "/api/v1/nodes", node)
    if status not in (201, 409):
        raise ClusterError(f"creating node {name} failed: HTTP {status} {body[:300]!r}")
    # Admission adds node.kubernetes.io/not-ready on create; the node lifecycle
    # controller that would lift it is off (see CONTROLLERS), so lift it here once.
    status, body = api.request(
        "PATCH",
        f"/api/v1/nodes/{name}",
        {"spec": {"taints": node["spec"].get("taints")}},
        content_type="application/merge-patch+json",
    )
    if status != 200:
        raise ClusterError(f"untainting node {name} failed: HTTP {status} {body[:300]!r}")


def _node_ready(api: Api, name: str) -> bool:
    status, body = api.request("GET", f"/api/v1/nodes/{name}")
    if status != 200:
        return False
    conditions = json.loads(body).get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _wait(
    what: str, check: Any, record: dict[str, Any], layout: Layout, timeout: float = START_TIMEOUT
) -> None:
    """Polls `check` until true; fails early, with its log, if a component died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for name, entry in record["processes"].items():
            if not processes.alive(entry):
                log_file = layout.logs / f"{name}.log"
                raise ClusterError(
                    f"{name} exited while waiting for {what}; last lines of {log_file}:\n"
                    f"{processes.tail(log_file)}"
                )
        time.sleep(0.1)
    raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}")


# -------------------------------------------------------------- the cluster


def load_record(layout: Layout) -> dict[str, Any] | None:
    try:
        record: dict[str, Any] = json.loads(layout.record.read_text())
    except (OSError, ValueError):
        return None
    return record


def _save_record(layout: Layout, record: dict[str, Any]) -> None:
    temporary = layout.record.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    temporary.replace(layout.record)


def healthy(layout: Layout, record: dict[str, Any] | None) -> bool:
    if record is None or not record.get("ready"):
        return False
    if record.get("version") != RECORD_VERSION:
        return False
    if not all(processes.alive(entry) for entry in record["processes"].values()):
        return False
    api = Api(record["server"], layout.pki)
    return api.ok("/readyz") and api.ok("/api/v1/namespaces/default/serviceaccounts/default")


def _bin_dirs(layout: Layout) -> list[str]:
    return [str(item.directory(layout.cache)) for item in toolchain.TOOLS]


def _env_text(layout: Layout, record: dict[str, Any]) -> str:
    path = ":".join(_bin_dirs(layout))
    return (
        "# Written by hack/devcluster.py up; `source .devcluster/env`.\n"
        f"export KUBECONFIG={layout.kubeconfig}\n"
        f"export PATH={path}:$PATH\n"
        f"export DEVCLUSTER_DIR={layout.state}\n"
        f"export DEVCLUSTER_SERVER={record['server']}\n"
        f"export DEVCLUSTER_NODE={record['node']['name']}\n"
        f"export DEVCLUSTER_NODE_NETNS={record['node']['netns']}\n"
    )


def _start(layout: Layout, record: dict[str, Any], net: node.Net) -> None:
    ports = dict(
        zip(
            ("etcd", "etcd_peer", "apiserver", "controller_manager", "scheduler", "kwok"),
            processes.free_ports(6),
            strict=True,
        )
    )
    server = f"https://{net.host_ip}:{ports['apiserver']}"
    nl = node.NodeLayout(layout.state)
    record.update(
        {
            "version": RECORD_VERSION,
            "server": server,
            "node": {
                "name": node.NODE_NAME,
                "slot": net.slot,
                "netns": net.netns,
                "node_ip": net.node_ip,
                "host_ip": net.host_ip,
                "pod_cidr": net.pod_cidr,
                "containerd_socket": str(nl.socket),
                "taint": node.NODE_TAINT,
            },
            "ports": ports,
            "ready": False,
            "kubeconfig": str(layout.kubeconfig),
            "binaries": {
                name: str(layout.binary(tool, name))
                for tool, name in (
                    ("kubernetes", "kubectl"),
                    ("helm", "helm"),
                    ("prometheus", "promtool"),
                    ("etcd", "etcd"),
                    ("kwok", "kwok"),
                )
            },
            "path": _bin_dirs(layout),
        }
    )
    _write_private(layout.kubeconfig, _kubeconfig(server, layout.pki, "admin"))
    for stem in ("controller-manager", "scheduler", "kwok", "kubelet", "kube-proxy"):
        _write_private(layout.component_kubeconfig(stem), _kubeconfig(server, layout.pki, stem))
    commands = _commands(layout, ports, net)
    for old in layout.logs.glob("*.log"):
        old.unlink()

    def spawn(name: str, argv: list[str] | None = None) -> None:
        argv = argv or commands[name]
        record["processes"][name] = processes.spawn(layout.logs, layout.state, name, argv)
        _save_record(layout, record)  # saved at once: `down` can clean up a failed start

    spawn("etcd")
    _wait("etcd", lambda: _etcd_ok(ports["etcd"]), record, layout)
    spawn("kube-apiserver")
    api = Api(server, layout.pki)
    # The others exit if they start before the RBAC bootstrap roles exist.
    _wait("kube-apiserver /readyz", lambda: api.ok("/readyz"), record, layout)
    for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
        spawn(name)
    for name in KWOK_NODES:
        _create_node(api, name)
    cm, sched = ports["controller_manager"], ports["scheduler"]
    _wait("controller-manager", lambda: _http_ok(f"https://127.0.0.1:{cm}/healthz"), record, layout)
    _wait("scheduler", lambda: _http_ok(f"https://127.0.0.1:{sched}/healthz"), record, layout)
    _wait(
        "the default service account",
        lambda: api.ok("/api/v1/namespaces/default/serviceaccounts/default"),
        record,
        layout,
    )
    _wait("kwok nodes Ready", lambda: all(_node_ready(api, n) for n in KWOK_NODES), record, layout)
    _start_node(layout, record, net, api, spawn)
    record["ready"] = True
    _save_record(layout, record)


def _start_node(
    layout: Layout, record: dict[str, Any], net: node.Net, api: Api, spawn: Any
) -> None:
    """containerd (with the pause and project images), then kubelet, then kube-proxy."""
    nl = node.NodeLayout(layout.state)
    pause = node.build_pause_image(layout.binary("pause"))
    kubeconfigs = {s: layout.component_kubeconfig(s) for s in ("kubelet", "kube-proxy")}
    node.write_configs(net, nl, layout.pki, kubeconfigs)
    binaries = {name: layout.binary("node", name) for name in ("kubelet", "kube-proxy")}
    commands = node.commands(net, nl, binaries, kubeconfigs, pause)
    spawn("containerd", commands["containerd"])
    _wait("containerd", lambda: node.containerd_ready(nl), record, layout)
    node.import_image(nl, pause)
    reference = image.image_ref()
    if image.podman_has(reference):  # `make image` builds it and loads it into the node
        seconds = node.import_image(nl, reference)
        log(f"loaded {reference} into the node" + (f" in {seconds:.0f}s" if seconds else ""))
    node.make_cgroups(net)
    spawn("kubelet", commands["kubelet"])
    _wait(f"node {node.NODE_NAME} Ready", lambda: _node_ready(api, node.NODE_NAME), record, layout)
    _lift_not_ready(api, node.NODE_NAME)
    spawn("kube-proxy", commands["kube-proxy"])
    _wait("kube-proxy's Service rules", lambda: node.kube_proxy_synced(net), record, layout)


def _lift_not_ready(api: Api, name: str) -> None:
    """Admission taints a new node not-ready; the lifecycle controller that lifts it is off."""
    status, body = api.request("GET", f"/api/v1/nodes/{name}")
    if status != 200:
        raise ClusterError(f"reading node {name} failed: HTTP {status}")
    taints = json.loads(body)["spec"].get("taints") or []
    kept = [t for t in taints if t.get("key") != "node.kubernetes.io/not-ready"]
    if kept == taints:
        return
    status, body = api.request(
        "PATCH",
        f"/api/v1/nodes/{name}",
        {"spec": {"taints": kept}},
        content_type="application/merge-patch+json",
    )
    if status != 200:
        raise ClusterError(f"untainting node {name} failed: HTTP {status} {body[:300]!r}")


def _etcd_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
            return bool(json.loads(reply.read()).get("health") == "true")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def up(layout: Layout, *, extras: bool) -> int:
    started = time.monotonic()
    with locked(layout):
        record = load_record(layout)
        if healthy(layout, record):
            assert record is not None
            log(f"already running at {record['server']} (kubeconfig {layout.kubeconfig})")
            return 0
        if record is not None:
            log("found a stale or partial cluster; stopping it first")
            _stop_all(layout, record)
        toolchain.ensure(layout.cache, extras=extras)
        for attempt in (1, 2):  # a second try covers a port taken between pick and bind
            shutil.rmtree(layout.etcd_data, ignore_errors=True)
            record = {"processes": {}, "state": str(layout.state)}
            try:
                net = node.claim_slot(layout.state)
                record["node"] = {"slot": net.slot}
                _save_record(layout, record)
                node.network_up(net)
                pki.ensure(layout.pki, net.host_ip, net.node_ip)
                _start(layout, record, net)
                break
            except (ClusterError, node.NodeError, OSError) as error:
                log(f"start failed (attempt {attempt}): {error}")
                _stop_all(layout, record)
                layout.record.unlink(missing_ok=True)
            except BaseException:  # interrupted: leave nothing running behind
                _stop_all(layout, record)
                layout.record.unlink(missing_ok=True)
                raise
        else:
            return 1
        _write_private(layout.env, _env_text(layout, record))
    log(
        f"control plane ready in {time.monotonic() - started:.1f}s at {record['server']}; "
        f"source {layout.env}"
    )
    return 0


def _stop_all(layout: Layout, record: dict[str, Any]) -> list[str]:
    """Stops the recorded processes, then removes the node's containers, mounts and network."""
    processes.stop(record.get("processes", {}))
    slot = (record.get("node") or {}).get("slot")
    return node.teardown(layout.state, node.Net(slot) if slot else None)


def down(layout: Layout) -> int:
    if not layout.state.exists():
        return 0
    with locked(layout):
        record = load_record(layout)
        if record is None:
            log("nothing recorded; nothing to stop")
            return 0
        problems = _stop_all(layout, record)
        leftovers = [name for name, e in record.get("processes", {}).items() if processes.alive(e)]
        if leftovers or problems:
            log(f"could not stop or remove: {', '.join(leftovers + problems)}")
            return 1
        layout.record.unlink(missing_ok=True)
        layout.env.unlink(missing_ok=True)
        shutil.rmtree(layout.etcd_data, ignore_errors=True)
    log("stopped")
    return 0


def load_image(layout: Layout) -> int:
    """Imports this checkout's image into the running node (nothing to do if none runs)."""
    record = load_record(layout)
    if not healthy(layout, record):
        log("no healthy cluster; the image is loaded by the next `make cluster-up`")
        return 0
    reference = image.image_ref()
    if not image.podman_has(reference):
        log(f"{reference} is not built; run `make image`")
        return 1
    seconds = node.import_image(node.NodeLayout(layout.state), reference)
    log(f"{reference} loaded into {node.NODE_NAME}" + (f" in {seconds:.0f}s" if seconds else ""))
    return 0


def status(layout: Layout) -> int:
    record = load_record(layout)
    if record is None:
        print("not running")
        return 1
    for name, entry in record["processes"].items():
        print(f"{name:<24} pid {entry['pid']:<8} {'running' if processes.alive(entry) else 'DEAD'}")
    ok = healthy(layout, record)
    print(f"server {record.get('server')}: {'healthy' if ok else 'NOT healthy'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status", "env", "build", "load-image"))
    parser.add_argument("--state-dir", help="default: .devcluster/ or $DEVCLUSTER_DIR")
    parser.add_argument(
        "--core-only",
        action="store_true",
        help="do not build helm and promtool (only what the control plane runs)",
    )
    args = parser.parse_args(argv)
    layout = default_layout(args.state_dir)
    if args.command == "up":
        return up(layout, extras=not args.core_only)
    if args.command == "down":
        return down(layout)
    if args.command == "status":
        return status(layout)
    if args.command == "build":
        toolchain.ensure(layout.cache, extras=not args.core_only)
        return 0
    if args.command == "load-image":
        return load_image(layout)
    record = load_record(layout)
    if record is None or not layout.env.exists():
        log("no cluster is running; run `make cluster-up`")
        return 1
    print(layout.env.read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
