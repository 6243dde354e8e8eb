"""`alchemiser run` loads the paper exchange only for `--broker sim`, and never the kubernetes
client package (start-up time and memory: halts are one HTTPS GET, see worker/halts.py)."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_support import OPEN_NOW, write_credentials
from test_run_cli import manifest, worker_env

from alchemiser.sim import embedded
from alchemiser.sim.embedded import EmbeddedExchange

# A whole run in a fresh interpreter, then the sim, aiohttp and kubernetes modules it loaded.
RUN_AND_LIST = """
import json, sys
from alchemiser import cli
code = cli.main(sys.argv[2:])
loaded = sorted(
    m for m in sys.modules if m.startswith(("alchemiser.sim", "aiohttp", "kubernetes"))
)
open(sys.argv[1], "w").write(json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """A paper exchange in this test process, reached by the worker process over HTTP."""
    with embedded.start(now=OPEN_NOW, key_id="lean-key", secret_key="lean-secret") as ex:
        yield ex


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    listing = tmp_path / "loaded.json"
    command = [sys.executable, "-c", RUN_AND_LIST, str(listing), "run", *args]
    command += ["--termination-log", str(tmp_path / "termination-log")]
    subprocess.run(command, env=worker_env(), capture_output=True, timeout=120, check=False)
    result: dict[str, object] = json.loads(listing.read_text())
    return result


def test_a_run_against_a_real_broker_url_never_loads_the_paper_exchange(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """A whole run against a broker endpoint places its orders without any sim module, aiohttp
    or the kubernetes client package."""
    creds = tmp_path / "creds"
    write_credentials(creds, "lean-key", "lean-secret")
    done = _run(
        tmp_path,
        *("--manifest", str(manifest(tmp_path / "m.json", exchange.base_url))),
        *("--credentials-dir", str(creds), "--no-halt-check", "--run-id", "lean-1"),
    )
    assert done["code"] == 0
    assert len(exchange.orders()) == 2  # the run really traded
    assert done["loaded"] == []


def test_broker_sim_loads_the_paper_exchange(tmp_path: Path) -> None:
    """With --broker sim the exchange is loaded and the run trades on it."""
    done = _run(
        tmp_path,
        *("--manifest", str(manifest(tmp_path / "m.json", None))),
        *("--broker", "sim", "--sim-now", OPEN_NOW.isoformat(), "--run-id", "lean-2"),
    )
    assert done["code"] == 0
    assert "alchemiser.sim.embedded" in done["loaded"]  # type: ignore[operator]
