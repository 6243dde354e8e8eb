"""The image built from the Dockerfile (`make image`) runs the worker as the docs promise.

Marked kube with the rest of tests/kube: it needs podman and builds the image (minutes,
once per content change), which the fast `-m "not kube"` run should not pay for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGE_PY = REPO / "hack" / "image.py"
RUN = ["podman", "run", "--rm", "--network=none", "--ulimit", "nofile=4096:4096",
       "--ulimit", "nproc=4096:4096"]  # fmt: skip


def _image(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(IMAGE_PY), *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def image_ref() -> str:
    """Builds the image for this checkout's content (or finds it built)."""
    built = _image("build")
    assert built.returncode == 0, built.stderr[-3000:]
    return built.stdout.strip().splitlines()[-1]


def test_second_build_is_skipped_by_content_hash(image_ref: str) -> None:
    """Building again with nothing changed reuses the image and runs no podman build."""
    again = _image("build")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == image_ref
    assert "up to date" in again.stderr and "building" not in again.stderr


SIM_RUN = ["run", "--manifest", "{manifest}", "--broker", "sim",
           "--sim-now", "2026-11-25T20:30:00+00:00"]  # fmt: skip


def _last_json(stdout: str) -> dict[str, Any]:
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith("{"))
    decided: dict[str, Any] = json.loads(line)
    return decided


def test_worker_runs_as_10001_on_a_read_only_root(image_ref: str) -> None:
    """`alchemiser run --broker sim` in the image, as uid 10001 on a read-only root with no
    capabilities, decides exactly what this checkout decides on the host."""
    manifest = REPO / "examples" / "strategy-paper.yaml"
    in_image = subprocess.run(
        [*RUN, "--read-only", "--cap-drop=all",
         "--volume", f"{manifest}:/config/strategy.yaml:ro", image_ref,
         *(arg.format(manifest="/config/strategy.yaml") for arg in SIM_RUN)],
        capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert in_image.returncode == 0, in_image.stdout[-2000:] + in_image.stderr[-2000:]
    on_host = subprocess.run(
        [str(Path(sys.executable).parent / "alchemiser"),
         *(arg.format(manifest=manifest) for arg in SIM_RUN)],
        capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert on_host.returncode == 0, on_host.stderr[-2000:]
    image_result, host_result = _last_json(in_image.stdout), _last_json(on_host.stdout)
    assert image_result["outcome"] in {"NoTrades", "Succeeded"}, image_result
    assert image_result["rejections"], image_result  # the example's orders exceed its limit
    for field in ("outcome", "ordersSubmitted", "ordersRejected", "orders", "rejections"):
        assert image_result[field] == host_result[field], field


def test_default_user_is_10001_and_the_root_filesystem_refuses_writes(image_ref: str) -> None:
    """The image's own USER is numeric 10001, and with --read-only nothing under / is writable."""
    probe = "id -u; id -g; touch /opt/alchemiser/x 2>/dev/null && echo wrote || echo refused"
    result = subprocess.run(
        [*RUN, "--read-only", "--entrypoint", "sh", image_ref, "-c", probe],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10001", "10001", "refused"]


def test_image_has_no_pip_or_compiler(image_ref: str) -> None:
    """No pip or compiler in the final image (a runtime image installs nothing)."""
    probe = "ls /opt/alchemiser/bin; command -v gcc cc pip pip3 || true"
    result = subprocess.run(
        [*RUN, "--entrypoint", "sh", image_ref, "-c", probe],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = [Path(word).name for word in result.stdout.split()]
    assert "alchemiser" in names
    assert not {"pip", "pip3", "gcc", "cc"} & set(names), names


def test_podman_leaves_no_network_on_the_host(image_ref: str) -> None:
    """Builds and runs use --network=none: no cni-podman0 bridge, no CNI firewall chains."""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True)
    assert "cni-podman" not in links.stdout and "podman" not in links.stdout, links.stdout
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True)
    assert "CNI-" not in rules.stdout, rules.stdout
    nft = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=True)
    assert "CNI-" not in nft.stdout and "podman" not in nft.stdout, nft.stdout
