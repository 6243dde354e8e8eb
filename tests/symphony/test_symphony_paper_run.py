"""Three realistic symphonies end to end: `alchemiser run` on the paper exchange trades what
`symphony explain` decides, reading the text from a ConfigMap-shaped directory."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alchemiser.symphony import digest, parse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "symphonies"
NOW = "2026-11-30T15:45:00-05:00"  # a Monday session, 15 minutes before the close


def run_worker(*args: str) -> int:
    """`alchemiser run --broker sim` in a fresh process, as a pod runs it; its exit code."""
    command = [sys.executable, "-m", "alchemiser.cli", "run", "--broker", "sim", "--sim-now", NOW]
    return subprocess.run(
        [*command, *args], capture_output=True, check=False, timeout=300
    ).returncode


def manifest(path: Path, name: str, key: str) -> None:
    """A TradingStrategy running one symphony from configmap `name` key `key`."""
    document = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {
            "schedule": "45 15 * * 1-5",
            "mode": "paper",
            "allocations": [
                {
                    "strategy": "symphony",
                    "weight": 1,
                    "parameters": {"configMapRef": {"name": name, "key": key}},
                }
            ],
            "broker": {"credentialsSecret": "unused"},
            "risk": {
                "maxOrderNotional": 100_000,
                "maxPositionFraction": 1.0,
                "cashReserveFraction": 0.02,
            },
        },
    }
    path.write_text(yaml.safe_dump(document))


@pytest.mark.parametrize("example", ["hedge.clj", "momentum.clj", "blend.clj"])
def test_a_paper_run_buys_what_explain_decides(example: str, tmp_path: Path) -> None:
    """From cash, the run buys exactly the symbols explain weights, and reports the digest."""
    name = example.removesuffix(".clj")
    (tmp_path / "maps" / name).mkdir(parents=True)
    shutil.copy(EXAMPLES / example, tmp_path / "maps" / name / example)
    manifest(tmp_path / "strategy.yaml", name, example)

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "alchemiser.cli",
            "symphony",
            "explain",
            str(EXAMPLES / example),
            "--broker",
            "sim",
            "--sim-now",
            NOW,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    decided = json.loads(done.stdout.strip().splitlines()[-1])["weights"]

    log = tmp_path / "result.json"
    code = run_worker(
        "--manifest",
        str(tmp_path / "strategy.yaml"),
        "--symphony-dir",
        str(tmp_path / "maps"),
        "--termination-log",
        str(log),
        "--run-id",
        f"e2e-{name}",
    )
    result = json.loads(log.read_text())
    assert code == 0, result
    assert result["outcome"] == "Succeeded", result
    bought = {order["symbol"] for order in result["orders"] if order["side"] == "buy"}
    assert bought == set(decided)
    text = (EXAMPLES / example).read_text()
    assert result["symphonies"] == [
        {"allocation": 0, "name": parse(text).name, "digest": digest(text)}
    ]


def test_a_missing_configmap_file_fails_the_run_with_no_orders(tmp_path: Path) -> None:
    """Fail closed: an unreadable referenced symphony means outcome Failed and no orders."""
    manifest(tmp_path / "strategy.yaml", "absent", "absent.clj")
    log = tmp_path / "result.json"
    code = run_worker(
        "--manifest",
        str(tmp_path / "strategy.yaml"),
        "--symphony-dir",
        str(tmp_path),
        "--termination-log",
        str(log),
    )
    result = json.loads(log.read_text())
    assert code == 1 and result["outcome"] == "Failed" and result["orders"] == []
    assert "configmap absent key absent.clj: cannot read" in result["message"]
