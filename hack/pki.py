"""Certificates and keys for the local control plane, made with the openssl CLI.

Rule: files are created once under <state>/pki and reused (a serving certificate
is re-issued when the addresses it must name change); everything is issued by
one throw-away CA and only names loopback (127.0.0.1, localhost), the node's
link addresses and the in-cluster service names. Standard library only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SERVICE_IP = "10.96.0.1"  # first address of --service-cluster-ip-range

# file stem -> (common name, organisation or "", subject alternative names or "")
CLIENTS: dict[str, tuple[str, str]] = {
    "admin": ("kubernetes-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", ""),
    "scheduler": ("system:kube-scheduler", ""),
    # kwok writes node and pod status for every fake node, like many kubelets.
    "kwok": ("kwok-controller", "system:masters"),
    # The apiserver's identity towards aggregated API servers (request headers).
    "front-proxy-client": ("front-proxy-client", ""),
    # The real node: kubelet as a node (Node authorizer, NodeRestriction), kube-proxy,
    # and the apiserver's identity towards kubelet's API (logs, exec).
    "kubelet": ("system:node:alchemiser-node", "system:nodes"),
    "kube-proxy": ("system:kube-proxy", ""),
    "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", "system:masters"),
}


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _issue(directory: Path, stem: str, subject: str, extensions: str) -> None:
    wanted = f"[v3]\n{extensions}\n"
    ext = directory / f"{stem}.ext"
    if (directory / f"{stem}.crt").exists() and ext.exists() and ext.read_text() == wanted:
        return
    ext.write_text(wanted)
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", subject,
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", f"{stem}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", f"{stem}.ext",
        "-extensions", "v3", "-out", f"{stem}.crt",
        cwd=directory,
    )  # fmt: skip


def ensure(directory: Path, host_ip: str, node_ip: str) -> Path:
    """Creates the CA, serving, client and service-account keys if missing.

    host_ip is the apiserver's address on the node's link, node_ip kubelet's.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    if not (directory / "ca.crt").exists():
        _openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
            "-subj", "/CN=alchemiser-devcluster-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=directory,
        )  # fmt: skip
    sans = ",".join(
        [
            "IP:127.0.0.1",
            f"IP:{host_ip}",
            f"IP:{SERVICE_IP}",
            "DNS:localhost",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
        ]
    )
    _issue(
        directory,
        "apiserver",
        "/CN=kube-apiserver",
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={sans}",
    )
    _issue(
        directory,
        "kubelet-serving",
        "/CN=alchemiser-node",
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName=IP:{node_ip},DNS:alchemiser-node",
    )
    for stem, (common_name, organisation) in CLIENTS.items():
        subject = f"/CN={common_name}" + (f"/O={organisation}" if organisation else "")
        _issue(
            directory,
            stem,
            subject,
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth",
        )
    if not (directory / "sa.key").exists():
        _openssl("genrsa", "-out", "sa.key", "2048", cwd=directory)
        _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=directory)
    return directory
