"""Builds and caches the pinned binaries the local control plane and its tests run.

Rule: every binary comes either from a consumer Go module under hack/<module>/ whose
go.mod/go.sum pin it, or from one pinned Debian package (`apt-get download`, unpacked
with `dpkg-deb -x`: nothing is installed system-wide); the output lives outside the
work tree in $ALCHEMISER_CACHE (default ~/.cache/alchemiser)/bin/<tool>-<version>-<key>/,
so only the first start on a machine compiles or downloads anything. Standard library only.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HACK = Path(__file__).resolve().parent

K8S_VERSION = "v1.35.4"


def _version_ldflags(pkg: str, version: str) -> list[str]:
    major, minor = version.lstrip("v").split(".")[:2]
    return [
        f"-X {pkg}.gitVersion={version}",
        f"-X {pkg}.gitMajor={major}",
        f"-X {pkg}.gitMinor={minor}",
        f"-X {pkg}.gitTreeState=clean",
        f"-X {pkg}.buildDate=1970-01-01T00:00:00Z",
    ]


@dataclasses.dataclass(frozen=True)
class Tool:
    """One cache entry: a set of binaries built from one consumer module."""

    name: str
    version: str
    module: str  # directory under hack/
    packages: dict[str, str]  # binary name -> Go package path
    ldflags: tuple[str, ...] = ()
    core: bool = True  # needed by the control plane itself (not only by chart tests)
    sources: tuple[str, ...] = ()  # the module's own source files, hashed into the key

    @property
    def key(self) -> str:
        digest = hashlib.sha256()
        for part in ("go.mod", "go.sum", *self.sources):
            digest.update((HACK / self.module / part).read_bytes())
        digest.update(" ".join(self.ldflags).encode())
        for binary, package in sorted(self.packages.items()):
            digest.update(f"{binary}={package}".encode())
        return f"{self.name}-{self.version}-{digest.hexdigest()[:8]}"

    def directory(self, cache: Path) -> Path:
        return cache / "bin" / self.key

    def path(self, cache: Path, binary: str) -> Path:
        return self.directory(cache) / binary

    def is_built(self, cache: Path) -> bool:
        return all(self.path(cache, binary).is_file() for binary in self.packages)


@dataclasses.dataclass(frozen=True)
class DebianTool:
    """One cache entry: binaries unpacked from one pinned Debian package.

    A 19 MB download where a Go build of the same tool (Prometheus' promtool) was a cold
    compile of 6.5 minutes on two CPUs.
    """

    name: str
    version: str  # the Debian package version
    package: str
    binaries: dict[str, str]  # binary name -> its path inside the package
    core: bool = False

    @property
    def packages(self) -> dict[str, str]:
        return self.binaries

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version.replace('+', '-')}"

    def directory(self, cache: Path) -> Path:
        return cache / "bin" / self.key

    def path(self, cache: Path, binary: str) -> Path:
        return self.directory(cache) / binary

    def is_built(self, cache: Path) -> bool:
        return all(self.path(cache, binary).is_file() for binary in self.binaries)


TOOLS: tuple[Tool | DebianTool, ...] = (
    Tool(
        name="etcd",
        version="v3.6.16",
        module="etcd",
        packages={"etcd": "alchemiser.dev/hack/etcd"},
    ),
    Tool(
        name="kubernetes",
        version=K8S_VERSION,
        module="k8s",
        packages={
            name: f"k8s.io/kubernetes/cmd/{name}"
            for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
        },
        ldflags=tuple(
            _version_ldflags("k8s.io/component-base/version", K8S_VERSION)
            + _version_ldflags("k8s.io/client-go/pkg/version", K8S_VERSION)
        ),
    ),
    Tool(
        name="node",
        version=K8S_VERSION,
        module="node",
        packages={name: f"k8s.io/kubernetes/cmd/{name}" for name in ("kubelet", "kube-proxy")},
        ldflags=tuple(
            _version_ldflags("k8s.io/component-base/version", K8S_VERSION)
            + _version_ldflags("k8s.io/client-go/pkg/version", K8S_VERSION)
        ),
    ),
    Tool(
        name="pause",
        version="v1",
        module="pause",
        packages={"pause": "alchemiser.dev/hack/pause"},
        sources=("main.go",),
    ),
    Tool(
        name="kwok",
        version="v0.8.0",
        module="kwok",
        packages={"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
        ldflags=("-X sigs.k8s.io/kwok/pkg/consts.Version=0.8.0",),
    ),
    Tool(
        name="helm",
        version="v3.22.0",
        module="helm",
        packages={"helm": "helm.sh/helm/v3/cmd/helm"},
        # Without these helm assumes a 1.20 cluster for `helm template`/`lint`.
        ldflags=(
            "-X helm.sh/helm/v3/internal/version.version=v3.22.0",
            "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
            "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1",
            "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=35",
            "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1",
            "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=35",
        ),
        core=False,
    ),
    DebianTool(
        name="prometheus",
        version="2.42.0+ds-5+deb12u1",  # bookworm's, as the image's base
        package="prometheus",
        binaries={"promtool": "usr/bin/promtool", "prometheus": "usr/bin/prometheus"},
    ),
)


def tool(name: str) -> Tool | DebianTool:
    """The cache entry called `name`, or the one that provides a binary called `name`."""
    for candidate in TOOLS:
        if candidate.name == name:
            return candidate
    for candidate in TOOLS:
        if name in candidate.packages:
            return candidate
    raise KeyError(name)


def cache_root() -> Path:
    configured = os.environ.get("ALCHEMISER_CACHE")
    if configured:
        return Path(configured).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "alchemiser"


def log(message: str) -> None:
    print(f"[devcluster] {message}", file=sys.stderr, flush=True)


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env["CGO_ENABLED"] = "0"
    env["GOTOOLCHAIN"] = "local"
    env["GOFLAGS"] = "-buildvcs=false -trimpath -mod=readonly"
    env.setdefault("GOPROXY", "https://proxy.golang.org")
    return env


def _apt_download(package: str, version: str, directory: Path) -> Path:
    command = ["apt-get", "download", f"{package}={version}"]
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=True)
        done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"apt-get download {package}={version} failed: {done.stderr}")
    (deb,) = directory.glob(f"{package}_*.deb")
    return deb


def unpack(item: DebianTool, cache: Path) -> float:
    """Downloads and unpacks one Debian package's binaries unless present; seconds spent."""
    if item.is_built(cache):
        return 0.0
    target = item.directory(cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{item.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if item.is_built(cache):
            return 0.0
        started = time.monotonic()
        log(f"fetching {item.package} {item.version} (Debian) ...")
        with tempfile.TemporaryDirectory() as work:
            deb = _apt_download(item.package, item.version, Path(work))
            unpacked = Path(work) / "root"
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
            target.mkdir(exist_ok=True)
            for binary, inside in item.binaries.items():
                partial = target / f"{binary}.partial-{os.getpid()}"
                shutil.copy2(unpacked / inside, partial)
                partial.rename(target / binary)
        log(f"unpacked {', '.join(item.binaries)} in {time.monotonic() - started:.0f}s")
        return time.monotonic() - started


def build(item: Tool | DebianTool, cache: Path) -> float:
    """Builds (or unpacks) one tool into the cache unless present; returns seconds spent."""
    if isinstance(item, DebianTool):
        return unpack(item, cache)
    if item.is_built(cache):
        return 0.0
    target = item.directory(cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{item.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another checkout may be building it already
        if item.is_built(cache):
            return 0.0
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        started = time.monotonic()
        for binary, package in item.packages.items():
            log(f"building {binary} {item.version} (hack/{item.module}) ...")
            one = time.monotonic()
            command = [
                "go",
                "build",
                "-p",
                str(os.cpu_count() or 2),
                "-ldflags",
                " ".join(("-s", "-w", *item.ldflags)),
                "-o",
                str(partial / binary),
                package,
            ]
            result = subprocess.run(command, cwd=HACK / item.module, env=_go_env(), check=False)
            if result.returncode != 0:
                shutil.rmtree(partial, ignore_errors=True)
                raise SystemExit(f"building {binary} failed: {' '.join(command)}")
            log(f"built {binary} in {time.monotonic() - one:.0f}s")
        if target.exists():
            shutil.rmtree(target)
        partial.rename(target)
        return time.monotonic() - started


def ensure(cache: Path, *, extras: bool = True) -> float:
    """Builds every missing tool (control plane first); returns total build seconds."""
    todo = [item for item in TOOLS if (item.core or extras) and not item.is_built(cache)]
    if todo:
        log(f"building {', '.join(t.name for t in todo)} into {cache}/bin (first start only)")
    total = 0.0
    for item in todo:
        total += build(item, cache)
    if todo:
        log(f"build finished in {total:.0f}s" if total else "another process built them meanwhile")
    return total
