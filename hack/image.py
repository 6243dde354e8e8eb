#!/usr/bin/env python3
"""Builds the project image from the Dockerfile with podman, hermetically.

    hack/image.py build     base + wheelhouse + image; skipped when nothing changed
    hack/image.py ref       print the reference of the image for this checkout's content
    hack/image.py size      print the image's size and its largest layers

Rule: three cached steps, each keyed by a hash of exactly what goes into it:
1. the base: `mmdebstrap --variant=minbase` of Debian bookworm (Python 3.11 from
   Debian), a tarball in $ALCHEMISER_CACHE/image/, imported into podman as
   localhost/alchemiser-base:<key>;
2. the wheelhouse: `pip download --only-binary=:all:` of the runtime
   dependencies on the host, constrained by requirements.lock, in
   $ALCHEMISER_CACHE/wheels/<key>/;
3. the image: the repository's unmodified Dockerfile, built with
   `--network=none`, BASE_IMAGE and WHEELHOUSE build arguments and the
   wheelhouse mounted read-only; tagged localhost/alchemiser:<key>, where the key
   hashes the Dockerfile, the build context and the keys of steps 1 and 2.
Standard library only (runs before any virtual environment exists).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import toolchain

HACK = Path(__file__).resolve().parent
REPO = HACK.parent
IMAGE = "localhost/alchemiser"
BASE = "localhost/alchemiser-base"
# Never walked for the build context (nor let in by .dockerignore).
UNWALKED = frozenset({".git", ".venv", ".devcluster"})
SUITE = "bookworm"
# The build backend pyproject.toml names, pinned here: pip builds the package from source
# inside the image, offline, so these wheels must be in the wheelhouse.
BUILD_BACKEND = ("setuptools==80.9.0", "wheel==0.45.1")
MMDEBSTRAP = (
    "mmdebstrap",
    "--variant=minbase",
    # Merged /usr made by a hook, not by the usrmerge package (which pulls in all of perl).
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    "--include=python3,python3-venv,ca-certificates",
    *(f"--dpkgopt=path-exclude=/usr/share/{part}/*" for part in ("doc", "man", "info", "locale")),
    SUITE,
)
# This machine lacks CAP_SYS_RESOURCE: a container may keep, not raise, its limits.
ULIMITS = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")
WHEELHOUSE_MOUNT = "/wheelhouse"


class ImageError(RuntimeError):
    """Raised when a build step fails; the message names the step and its output."""


def log(message: str) -> None:
    print(f"[image] {message}", file=sys.stderr, flush=True)


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def _run(step: str, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, text=True, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise ImageError(
            f"{step} failed ({' '.join(argv[:3])} ... exit {result.returncode}):\n"
            f"{(result.stdout + result.stderr)[-3000:]}"
        )
    return result  # type: ignore[no-any-return]


def podman_has(reference: str) -> bool:
    return subprocess.run(["podman", "image", "exists", reference], check=False).returncode == 0


# ----------------------------------------------------------------------- keys


def base_key() -> str:
    return _digest(" ".join(MMDEBSTRAP).encode())


def runtime_requirements(repo: Path = REPO) -> list[str]:
    """The package's runtime dependencies (pyproject.toml) plus the build backend."""
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *BUILD_BACKEND]


def wheelhouse_key(repo: Path = REPO) -> str:
    return _digest(
        (repo / "requirements.lock").read_bytes(),
        "\n".join(runtime_requirements(repo)).encode(),
    )


def context_files(repo: Path = REPO) -> list[Path]:
    """The files .dockerignore lets into the build context, sorted."""
    patterns = [
        line.strip()
        for line in (repo / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    chosen = []
    for path in sorted(p for p in _walk(repo) if p.is_file()):
        relative = path.relative_to(repo).as_posix()
        included = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            body = pattern.lstrip("!").rstrip("/")
            if _matches(relative, body):
                included = negated
        if included:
            chosen.append(path)
    return chosen


def _walk(repo: Path) -> Iterator[Path]:
    """Every file under repo but .git, .venv and .devcluster, which are never walked: a
    running cluster's containerd creates and removes snapshot directories meanwhile."""
    for directory, subdirectories, files in os.walk(repo):
        if Path(directory) == repo:
            subdirectories[:] = [d for d in subdirectories if d not in UNWALKED]
        for name in files:
            yield Path(directory) / name


def _matches(relative: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if fnmatch.fnmatch(relative, pattern) or relative.startswith(pattern + "/"):
        return True
    return "**" in pattern and fnmatch.fnmatch(relative, pattern.replace("**/", "*"))


def image_key(repo: Path = REPO) -> str:
    parts = [base_key().encode(), wheelhouse_key(repo).encode()]
    for name in ("Dockerfile", ".dockerignore"):
        parts.append((repo / name).read_bytes())
    for path in context_files(repo):
        parts.append(path.relative_to(repo).as_posix().encode())
        parts.append(path.read_bytes())
    return _digest(*parts)


def image_ref(repo: Path = REPO) -> str:
    return f"{IMAGE}:{image_key(repo)}"


# ---------------------------------------------------------------------- steps


def ensure_base(cache: Path) -> str:
    """The base image reference; built and imported only when missing."""
    key = base_key()
    reference = f"{BASE}:{key}"
    if podman_has(reference):
        log(f"base {reference} present")
        return reference
    tarball = cache / "image" / f"base-{SUITE}-{key}.tar"
    if not tarball.is_file():
        tarball.parent.mkdir(parents=True, exist_ok=True)
        # mmdebstrap picks its output's format from the name: it must end in .tar, or it
        # writes a directory.
        partial = tarball.with_name(f"{tarball.stem}.partial-{os.getpid()}.tar")
        log(f"building the base with mmdebstrap ({SUITE}, minbase + python3) ...")
        started = time.monotonic()
        _run("mmdebstrap", [*MMDEBSTRAP, str(partial)])
        if not partial.is_file():
            raise ImageError(f"mmdebstrap wrote no tarball at {partial}")
        partial.rename(tarball)
        log(f"built the base in {time.monotonic() - started:.0f}s ({_mib(tarball.stat().st_size)})")
    started = time.monotonic()
    _run("podman import", ["podman", "import", str(tarball), reference])
    log(f"imported {reference} in {time.monotonic() - started:.0f}s")
    return reference


def ensure_wheelhouse(cache: Path, python: str, repo: Path = REPO) -> Path:
    """The host-side wheelhouse directory; downloaded only when missing."""
    directory = cache / "wheels" / wheelhouse_key(repo)
    if (directory / ".complete").is_file():
        log(f"wheelhouse {directory} present")
        return directory
    partial = directory.with_name(f"{directory.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    log("downloading the runtime wheels (requirements.lock as constraints) ...")
    started = time.monotonic()
    _run(
        "pip download",
        [
            python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--dest", str(partial),
            "--constraint", str(repo / "requirements.lock"),
            *runtime_requirements(repo),
        ],
    )  # fmt: skip
    (partial / ".complete").write_text("")
    if directory.exists():
        shutil.rmtree(directory)
    partial.rename(directory)
    count = len(list(directory.glob("*.whl")))
    log(f"downloaded {count} wheels in {time.monotonic() - started:.0f}s")
    return directory


def build(cache: Path, python: str, repo: Path = REPO, *, force: bool = False) -> str:
    """Builds the image unless an image for this exact content exists; returns its ref."""
    reference = image_ref(repo)
    if not force and podman_has(reference):
        log(f"{reference} is up to date (content unchanged); not rebuilt")
        return reference
    total = time.monotonic()
    base = ensure_base(cache)
    wheels = ensure_wheelhouse(cache, python, repo)
    log(f"building {reference} from the Dockerfile (no network inside) ...")
    started = time.monotonic()
    argv = [
        "podman", "build", "--network=none", *ULIMITS,
        "--build-arg", f"BASE_IMAGE={base}",
        "--build-arg", f"WHEELHOUSE={WHEELHOUSE_MOUNT}",
        "--volume", f"{wheels}:{WHEELHOUSE_MOUNT}:ro",
        "--tag", reference, "--tag", f"{IMAGE}:dev",
        "--file", str(repo / "Dockerfile"), str(repo),
    ]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    step_started = time.monotonic()
    for line in process.stdout:
        lines.append(line)
        if "STEP " in line:
            now = time.monotonic()
            log(f"  {line.strip()[:110]}  (previous step took {now - step_started:.1f}s)")
            step_started = now
    if process.wait() != 0:
        raise ImageError("podman build failed:\n" + "".join(lines[-40:]))
    elapsed = time.monotonic() - started
    log(f"built {reference} in {elapsed:.0f}s (all steps {time.monotonic() - total:.0f}s)")
    log(size_report(reference))
    return reference


# ----------------------------------------------------------------------- size


def _mib(size: float) -> str:
    return f"{size / 1024 / 1024:.0f} MiB"


def image_size(reference: str) -> int:
    result = _run("podman image inspect", ["podman", "image", "inspect", reference])
    return int(json.loads(result.stdout)[0]["Size"])


def size_report(reference: str) -> str:
    """The image's size and its layers, largest first, with the instruction that made each."""
    result = _run(
        "podman history",
        ["podman", "history", "--no-trunc", "--format", "json", reference],
    )
    layers = sorted(json.loads(result.stdout), key=lambda layer: -int(layer.get("size", 0)))
    lines = [f"{reference}: {_mib(image_size(reference))}"]
    for layer in layers[:4]:
        created_by = " ".join(str(layer.get("CreatedBy", layer.get("createdBy", ""))).split())
        lines.append(f"  {_mib(int(layer.get('size', 0))):>8}  {created_by[:90]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "ref", "size"))
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--python", default=sys.executable, help="the Python whose pip downloads the wheels"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "ref":
            print(image_ref())
        elif args.command == "size":
            print(size_report(image_ref()))
        else:
            print(build(toolchain.cache_root(), args.python, force=args.force))
    except ImageError as error:
        log(str(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
