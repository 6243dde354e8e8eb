"""`alchemiser run` as a process: result line, termination log, exit codes, secrets, SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_support import OPEN_NOW, write_credentials

from alchemiser.sim import embedded
from alchemiser.sim.embedded import EmbeddedExchange

SECRET = "s3cr3t-do-not-print-7f2a"
TEN = ("SPY", "QQQ", "TLT", "IEF", "XLK", "XLF", "XLP", "VTV", "GLD", "BIL")


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """A paper exchange in this test process, reached by the worker process over HTTP."""
    with embedded.start(now=OPEN_NOW, key_id="cli-key", secret_key=SECRET) as ex:
        yield ex


def manifest(path: Path, endpoint: str | None, symbols: tuple[str, ...] = ("SPY", "QQQ")) -> Path:
    """Write a static-strategy TradingStrategy manifest pointing at `endpoint`."""
    broker: dict[str, Any] = {"credentialsSecret": "alpaca-paper"}
    if endpoint:
        broker["endpoint"] = endpoint
    document = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {"name": "cli-demo", "namespace": "default", "uid": "uid-cli"},
        "spec": {
            "schedule": "45 15 * * 1-5",
            "allocations": [
                {
                    "strategy": "static",
                    "weight": 1,
                    "parameters": {"weights": {s: 1 / len(symbols) for s in symbols}},
                }
            ],
            "broker": broker,
            "risk": {"maxOrderNotional": 60_000, "maxPositionFraction": 0.6},
        },
    }
    path.write_text(json.dumps(document))
    return path


def worker_env() -> dict[str, str]:
    """This environment without any cluster configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "APCA_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def alchemiser(*args: str) -> list[str]:
    """The command line of the console script, run with this interpreter."""
    return [sys.executable, "-m", "alchemiser.cli", "run", *args]


def test_sim_run_prints_the_result_last_and_writes_the_termination_log(tmp_path: Path) -> None:
    """`--broker sim` needs no credentials; stdout's last line is the result, also in the log."""
    log = tmp_path / "termination-log"
    done = subprocess.run(
        alchemiser(
            "--manifest",
            str(manifest(tmp_path / "m.json", None)),
            "--broker",
            "sim",
            "--sim-now",
            OPEN_NOW.isoformat(),
            "--termination-log",
            str(log),
            "--run-id",
            "r1",
        ),
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["outcome"] == "Succeeded" and result["ordersSubmitted"] == 2
    assert result["runId"] == "r1"
    assert log.read_text() == last


def test_wrong_credentials_fail_loudly_without_printing_them(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """A refused key pair exits non-zero with a Failed result; the secret is in no output."""
    wrong = "wr0ng-" + SECRET
    write_credentials(tmp_path / "creds", "cli-key", wrong)
    done = subprocess.run(
        alchemiser(
            "--manifest",
            str(manifest(tmp_path / "m.json", exchange.base_url)),
            "--credentials-dir",
            str(tmp_path / "creds"),
            "--no-halt-check",
            "--termination-log",
            str(tmp_path / "log"),
        ),
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "Failed"
    assert "refused the credentials" in result["message"]
    assert "refused the credentials" in done.stderr  # loud in the log too
    for text in (done.stdout, done.stderr, (tmp_path / "log").read_text()):
        assert wrong not in text and SECRET not in text
    assert exchange.orders() == []


def test_a_real_broker_without_a_cluster_needs_no_halt_check(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """With no cluster configured, a non-sim run refuses to start unless --no-halt-check."""
    write_credentials(tmp_path / "creds", "cli-key", SECRET)
    done = subprocess.run(
        alchemiser(
            "--manifest",
            str(manifest(tmp_path / "m.json", exchange.base_url)),
            "--credentials-dir",
            str(tmp_path / "creds"),
            "--termination-log",
            str(tmp_path / "l"),
        ),
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "--no-halt-check" in json.loads(done.stdout.strip().splitlines()[-1])["message"]
    assert exchange.orders() == []


def test_sigterm_mid_run_stops_submitting_and_reports_halted(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """SIGTERM after the first order: no more orders, none left open, Halted, exit 0."""
    write_credentials(tmp_path / "creds", "cli-key", SECRET)
    exchange.set_faults("latency=250ms")  # ~0.5 s per order: time to stop it mid-run
    process = subprocess.Popen(
        alchemiser(
            "--manifest",
            str(manifest(tmp_path / "m.json", exchange.base_url, TEN)),
            "--credentials-dir",
            str(tmp_path / "creds"),
            "--no-halt-check",
            "--concurrency",
            "1",
            "--termination-log",
            str(tmp_path / "log"),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env(),
    )
    deadline = time.monotonic() + 60
    while not exchange.orders() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["outcome"] == "Halted"
    placed = exchange.orders()
    assert 1 <= len(placed) < len(TEN)
    assert result["ordersSubmitted"] == len(placed)
    assert all(o["status"] in ("filled", "canceled") for o in placed)
    assert "SIGTERM received" in err


def test_pod_mode_reads_the_operator_env_and_logs_json_lines(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """Configured only by the operator's env vars, the run logs JSON bound to strategy and run."""
    write_credentials(tmp_path / "creds", "cli-key", SECRET)
    spec = json.loads(manifest(tmp_path / "m.json", exchange.base_url).read_text())["spec"]
    env = worker_env() | {
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",  # "in a pod": JSON logs (no token, so no cluster)
        "ALCHEMISER_STRATEGY_SPEC": json.dumps(spec),
        "ALCHEMISER_STRATEGY_NAMESPACE": "trading",
        "ALCHEMISER_STRATEGY_NAME": "cli-demo",
        "ALCHEMISER_STRATEGY_UID": "uid-pod",
        "ALCHEMISER_JOB_NAME": "cli-demo-29391840",
        "ALCHEMISER_STRATEGY_LABELS": '{"tier": "prod"}',
    }
    done = subprocess.run(
        alchemiser(
            "--credentials-dir",
            str(tmp_path / "creds"),
            "--no-halt-check",
            "--termination-log",
            str(tmp_path / "log"),
        ),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["runId"] == "cli-demo-29391840" and result["outcome"] == "Succeeded"
    events = [json.loads(line) for line in done.stderr.strip().splitlines()]
    submitted = [e for e in events if e["event"] == "submitted order"]
    assert len(submitted) == 2
    assert all(e["strategy"] == "trading/cli-demo" for e in submitted)
    assert all(e["run_id"] == "cli-demo-29391840" and e["client_order_id"] for e in submitted)
    assert SECRET not in done.stdout + done.stderr
