"""The Dockerfile keeps the properties the image promises (tests/kube/test_image.py builds it)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from chart_support import ROOT, run

DOCKERFILE = ROOT / "Dockerfile"


def _stages() -> list[list[str]]:
    """Instructions per build stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.upper().startswith("FROM "):
            stages.append([])
        if stages:  # global ARGs before the first FROM belong to no stage
            stages[-1].append(stripped)
    return stages


def test_multi_stage_on_a_slim_python_311_base() -> None:
    """Two stages on one base, by default a slim Python 3.11; the final one copies only the venv."""
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11[\w.-]*-slim", text, re.MULTILINE)
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        assert re.match(r"FROM \$\{BASE_IMAGE\}", stage[0]), stage[0]
    copies = [line for line in stages[-1] if line.startswith("COPY")]
    assert copies == ["COPY --from=build /opt/alchemiser /opt/alchemiser"]


def test_dependencies_come_from_the_lock_file() -> None:
    """pip installs with requirements.lock as constraints and wheels only (no compiling)."""
    installs = [line for line in _stages()[0] if "pip install" in line]
    with_deps = [line for line in installs if "--no-deps" not in line]
    assert with_deps and all("--constraint requirements.lock" in line for line in with_deps)
    assert all("--only-binary=:all:" in line for line in installs)


def test_final_stage_runs_alchemiser_as_non_root_without_build_tools() -> None:
    """Numeric non-root USER, `alchemiser` as entrypoint, no compiler installed at the end."""
    final = _stages()[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0].isdigit() and int(users[-1].split(":")[0]) > 0
    assert 'ENTRYPOINT ["alchemiser"]' in final
    text = " ".join(final)
    for tool in ("gcc", "build-essential", "make ", "g++", "apt-get install"):
        assert tool not in text, tool


def test_dockerignore_sends_only_what_the_build_needs() -> None:
    """The build context is pyproject.toml, the lock, the README and src/: no venv or caches."""
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!requirements.lock", "!README.md", "!src/"} <= set(lines)


def test_hadolint_passes() -> None:
    """hadolint (from the lock, as in `make lint`) reports nothing."""
    result = run([Path(sys.executable).parent / "hadolint", DOCKERFILE])
    assert result.returncode == 0, result.stdout + result.stderr
