"""`alchemiser sim`: serve the Alpaca-compatible paper exchange until SIGINT/SIGTERM."""

import argparse
import asyncio
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from alchemiser import logs
from alchemiser.errors import ConfigError
from alchemiser.sim.exchange import Exchange, ExchangeConfig
from alchemiser.sim.faults import parse_faults
from alchemiser.sim.server import build_app


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `sim` subcommand."""
    parser = subparsers.add_parser("sim", help="serve the Alpaca-compatible paper exchange")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)"
    )
    parser.add_argument("--key-id", default="sim-key-id", help="accepted APCA-API-KEY-ID")
    parser.add_argument("--secret-key", default="sim-secret-key", help="accepted secret key")
    parser.add_argument(
        "--secret-key-file", type=Path, help="read the secret key from a file (keeps it off argv)"
    )
    parser.add_argument("--cash", type=float, default=100_000.0, help="starting cash in USD")
    parser.add_argument("--now", help="fix the simulated time (ISO 8601; default real time)")
    parser.add_argument("--state", type=Path, help="SQLite file keeping the book across runs")
    parser.add_argument(
        "--faults",
        default="",
        help="kind=value list: fractions for 429, 5xx, timeout, reject, lost-response, "
        "lost-response-5xx, partial; "
        "durations for latency, timeout-hold (e.g. 429=0.3,5xx=0.2,latency=50ms)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for prices and faults")
    parser.add_argument(
        "--slippage-bps", type=float, default=0.0, help="market order slippage in basis points"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=0, help="requests per minute per key (0: unlimited)"
    )
    parser.add_argument("--bars-dir", type=Path, help="replay daily bars from SYMBOL.csv files")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines")
    parser.set_defaults(handler=serve)


def _parse_now(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ConfigError(f"--now: {text!r} is not an ISO 8601 instant") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _secret(args: argparse.Namespace) -> str:
    path: Path | None = args.secret_key_file
    if path is None:
        return str(args.secret_key)
    try:
        secret = path.read_text().strip()
    except OSError as error:
        raise ConfigError(f"--secret-key-file {path}: {error.strerror}") from error
    if not secret:
        raise ConfigError(f"--secret-key-file {path} is empty")
    return secret


def serve(args: argparse.Namespace) -> int:
    """Run the exchange in the foreground; prints one JSON line with the URL when ready."""
    logs.configure(json=args.log_json)
    parse_faults(args.faults)
    config = ExchangeConfig(
        key_id=args.key_id,
        secret_key=_secret(args),
        cash=args.cash,
        now=_parse_now(args.now),
        seed=args.seed,
        faults=args.faults,
        state=args.state,
        slippage_bps=args.slippage_bps,
        bars_dir=args.bars_dir,
        rate_limit=args.rate_limit,
    )
    asyncio.run(_serve(config, args.host, args.port))
    return 0


async def _serve(config: ExchangeConfig, host: str, port: int) -> None:
    exchange = Exchange.create(config)
    runner = web.AppRunner(build_app(exchange), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    bound = server.sockets[0].getsockname()
    print(json.dumps({"event": "serving", "url": f"http://{host}:{bound[1]}"}), flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await stopping.wait()
    finally:
        await runner.cleanup()
        exchange.close()
        print(json.dumps({"event": "stopped"}), file=sys.stderr, flush=True)
