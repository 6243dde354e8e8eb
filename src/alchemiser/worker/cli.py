"""`alchemiser run`: one trading run, then exit.

Rule: the worker's only entrypoint and its wiring: it reads the command line and the
environment once, builds the collaborators (broker adapter, halt source, embedded
paper exchange for `--broker sim`), installs the SIGTERM handler, runs the pipeline
and writes the result as the last stdout line and to the termination log. Exit code
0 for every outcome except Failed. The paper exchange (`alchemiser.worker.paper`) is
loaded by name for `--broker sim` only, as the console script loads subcommands.
"""

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from alchemiser.api.halt_matching import StrategyScope
from alchemiser.api.result import Outcome, RunResult
from alchemiser.api.runtime import (
    CREDENTIALS_DIR,
    ENV_JOB_NAME,
    LEDGER_DIR,
    LEDGER_FILE,
    SYMPHONY_DIR,
    TERMINATION_LOG,
)
from alchemiser.errors import AlchemiserError, ConfigError
from alchemiser.logs import configure, get_logger
from alchemiser.worker import breakers, halts, pipeline
from alchemiser.worker import config as run_config
from alchemiser.worker.broker.alpaca import AlpacaBroker, CredentialSource
from alchemiser.worker.credentials import CredentialsDir
from alchemiser.worker.outcome import decide
from alchemiser.worker.portfolio import combine
from alchemiser.worker.report import RunRecord
from alchemiser.worker.strategies import REGISTRY

log = get_logger(__name__)


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="perform one trading run and exit",
        description="Perform one trading run: halts, market hours, strategies, plan, "
        "risk checks, idempotent orders. Prints the JSON result as the last line.",
    )
    parser.add_argument("--manifest", type=Path, help="TradingStrategy YAML/JSON file (local)")
    parser.add_argument(
        "--ledger-dir",
        type=Path,
        default=Path(LEDGER_DIR),
        help=f"directory with the operator's run ledger {LEDGER_FILE} (default {LEDGER_DIR}); "
        "needed when risk.maxRunsPerDay or breakers.drawdownPercent is set",
    )
    parser.add_argument(
        "--credentials-dir",
        type=Path,
        default=Path(CREDENTIALS_DIR),
        help=f"directory with APCA_API_KEY_ID and APCA_API_SECRET_KEY (default {CREDENTIALS_DIR})",
    )
    parser.add_argument("--run-id", help="seeds the client order ids (default: the Job name)")
    parser.add_argument(
        "--symphony-dir",
        type=Path,
        default=Path(SYMPHONY_DIR),
        help="directory of referenced symphony ConfigMaps, DIR/<name>/<key> "
        f"(default {SYMPHONY_DIR}, where the pod mounts them)",
    )
    parser.add_argument(
        "--broker",
        choices=["sim"],
        help="sim: start the built-in paper exchange in-process (no credentials needed)",
    )
    parser.add_argument(
        "--no-halt-check",
        action="store_true",
        help="run without reading TradingHalts (required for a real broker with no cluster)",
    )
    parser.add_argument(
        "--termination-log",
        type=Path,
        default=Path(TERMINATION_LOG),
        help=f"file the result JSON is also written to (default {TERMINATION_LOG})",
    )
    parser.add_argument(
        "--sim-now", type=datetime.fromisoformat, help="--broker sim: the exchange's fixed time"
    )
    parser.add_argument("--sim-faults", default="", help="--broker sim: e.g. 429=0.3,latency=50ms")
    parser.add_argument(
        "--sim-cash", type=float, default=100_000.0, help="--broker sim: starting cash in USD"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="orders in flight per phase")
    parser.add_argument(
        "--fill-timeout", type=float, default=30.0, help="seconds to wait for sells to fill"
    )
    parser.add_argument("--log-format", choices=["auto", "json", "console"], default="auto")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handle `alchemiser run`."""
    environ = dict(os.environ)
    in_pod = bool(environ.get("KUBERNETES_SERVICE_HOST"))
    configure(json=args.log_format == "json" or (args.log_format == "auto" and in_pod))
    stop = threading.Event()
    _on_sigterm(stop)
    started = datetime.now(UTC)
    try:
        config = run_config.load(
            manifest=args.manifest,
            run_id=args.run_id,
            environ=environ,
            now=started,
            symphony_dir=args.symphony_dir,
        )
        entry = breakers.read_ledger(args.ledger_dir, config.spec)
        with _broker(args, config) as broker:
            deps = pipeline.Deps(
                market=broker,
                execution=broker,
                halts=halts.HaltGuard(
                    _halt_source(args, environ),
                    StrategyScope(namespace=config.namespace, labels=config.labels),
                ),
                strategies=REGISTRY,
                combine=combine,
                stop=stop,
                concurrency=args.concurrency,
                fill_timeout=args.fill_timeout,
                ledger=entry,
            )
            result = pipeline.run(config, deps)
            _report_pacing(broker)
    except AlchemiserError as error:
        log.error("run could not start", error=f"{type(error).__name__}: {error}")
        ended = decide(RunRecord(), error, stopped=stop.is_set())
        result = _unstarted(args, environ, started, *ended)
    except Exception as error:  # process top level: log it, report Failed, exit non-zero
        log.exception("run crashed")
        message = f"internal error: {type(error).__name__}"
        result = _unstarted(args, environ, started, Outcome.FAILED, message)
    _write_result(result, args.termination_log)
    return 1 if result.outcome is Outcome.FAILED else 0


def _report_pacing(broker: AlpacaBroker) -> None:
    """Say how long the broker's rate limit held the run back (Alpaca: 200 requests/min)."""
    paused = sum(pacer.paused for pacer in broker.pacers)
    refused = sum(pacer.refused for pacer in broker.pacers)
    if paused > 0 or refused:
        log.info(
            "paused for the broker's rate limit",
            seconds=round(paused, 1),
            refused_requests=refused,
        )


def _unstarted(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    started: datetime,
    outcome: Outcome,
    message: str,
) -> RunResult:
    """The result of a run that ended before its pipeline could start (or crashed)."""
    return RunResult(
        outcome=outcome,
        run_id=args.run_id or environ.get(ENV_JOB_NAME, "unknown"),
        message=message,
        started_at=started,
        finished_at=datetime.now(UTC),
    )


def _on_sigterm(stop: threading.Event) -> None:
    # The handler only sets the event. Logging from it could deadlock: it runs in the
    # main thread, possibly while that thread holds the log stream's lock mid-write
    # (seen in CI: a run that never exited after SIGTERM). A thread logs instead.
    # `stop` is also set by a halt found mid-run, so the thread waits on its own event.
    received = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        received.set()

    def report() -> None:
        received.wait()
        log.warning("SIGTERM received; no further orders will be submitted")

    threading.Thread(target=report, name="sigterm-log", daemon=True).start()
    signal.signal(signal.SIGTERM, handler)


def _halt_source(args: argparse.Namespace, environ: Mapping[str, str]) -> halts.HaltSource:
    if args.no_halt_check:
        log.warning("--no-halt-check: TradingHalts are NOT checked for this run")
        return halts.NoCluster()
    if halts.cluster_configured(environ):
        return halts.KubeHaltSource(environ)
    if args.broker == "sim":
        log.info("no cluster configured; halts not checked against the paper exchange")
        return halts.NoCluster()
    raise ConfigError(
        "no cluster configured (in-cluster or KUBECONFIG), so TradingHalts cannot be read; "
        "pass --no-halt-check to trade against a real broker without them"
    )


# Loaded for --broker sim only: the paper exchange costs a run ~10 MiB and ~0.5 s.
SIM_PATH = "alchemiser.worker.paper"


@contextmanager
def _broker(args: argparse.Namespace, config: run_config.RunConfig) -> Iterator[AlpacaBroker]:
    if args.broker == "sim":
        paper = importlib.import_module(SIM_PATH)
        with paper.serve(now=args.sim_now, faults=args.sim_faults, cash=args.sim_cash) as broker:
            yield broker
        return
    if args.sim_now or args.sim_faults:
        raise ConfigError("--sim-now and --sim-faults need --broker sim")
    trading_url, data_url = run_config.broker_urls(config.spec)
    credentials: CredentialSource = CredentialsDir(args.credentials_dir)
    yield AlpacaBroker(credentials, base_url=trading_url, data_url=data_url)


def _write_result(result: RunResult, termination_log: Path) -> None:
    text = result.to_json()
    try:
        termination_log.write_text(text, encoding="utf-8")
    except OSError as error:
        log.debug("termination log not written", path=str(termination_log), error=error.strerror)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
