"""Certificates and keys for the local control plane, made with the openssl CLI.

Rule: files are created once under <state>/pki and reused; everything is
issued by one throw-away CA and only names loopback (127.0.0.1, localhost) plus
the in-cluster service names. Standard library only.
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
}


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _issue(directory: Path, stem: str, subject: str, extensions: str) -> None:
    if (directory / f"{stem}.crt").exists():
        return
    (directory / f"{stem}.ext").write_text(f"[v3]\n{extensions}\n")
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


def ensure(directory: Path) -> Path:
    """Creates the CA, serving, client and service-account keys if missing."""
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
