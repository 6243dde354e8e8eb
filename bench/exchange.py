"""Orders per second the paper exchange sustains with concurrent clients.

Starts a real `alchemiser sim` process (time fixed while the market is open),
then runs N concurrent clients, each on its own connection, submitting market
orders (POST /v2/orders, as alpaca-py sends them) for a fixed duration. Prints
each run and the median. `--client aiohttp` (default) uses light asyncio clients
so the server is what is measured; `--client alpaca` uses one alpaca-py
TradingClient per thread, as workers do (client-side parsing included). Usage:

    .venv/bin/python bench/exchange.py [--clients 8] [--seconds 5] [--runs 5] [--state]
                                       [--client aiohttp|alpaca]
"""

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import MarketOrderRequest

KEY = {"APCA-API-KEY-ID": "bench-key", "APCA-API-SECRET-KEY": "bench-secret"}
SYMBOLS = ("SPY", "QQQ", "TQQQ", "TECL", "BIL", "UVXY", "SOXL", "XLK")
NOW = "2026-11-27T15:00:00Z"


def start_sim(state: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    """Start `alchemiser sim` on a free port; return the process and its URL."""
    command = [sys.executable, "-m", "alchemiser.cli", "sim", "--port", "0", "--now", NOW]
    command += ["--key-id", KEY["APCA-API-KEY-ID"], "--secret-key", KEY["APCA-API-SECRET-KEY"]]
    command += ["--cash", "1000000000000"]
    if state is not None:
        command += ["--state", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    return process, str(ready["url"])


async def client(url: str, name: str, deadline: float) -> int:
    """Submit orders back to back until the deadline; return how many were accepted."""
    done = 0
    async with aiohttp.ClientSession(headers=KEY) as session:
        while time.monotonic() < deadline:
            body = {
                "symbol": SYMBOLS[done % len(SYMBOLS)],
                "qty": 1,
                "side": "buy",
                "type": "market",
                "time_in_force": "day",
                "client_order_id": f"{name}-{done}",
            }
            async with session.post(f"{url}/v2/orders", json=body) as response:
                if response.status != 200:
                    raise RuntimeError(f"order refused: {response.status} {await response.text()}")
                await response.read()
            done += 1
    return done


async def one_run(url: str, clients: int, seconds: float, run: int) -> float:
    """Orders per second over one timed run of `clients` concurrent clients."""
    began = time.monotonic()
    deadline = began + seconds
    counts = await asyncio.gather(*(client(url, f"r{run}c{n}", deadline) for n in range(clients)))
    return sum(counts) / (time.monotonic() - began)


def alpaca_client(url: str, name: str, deadline: float) -> int:
    """One alpaca-py TradingClient submitting orders until the deadline."""
    trading = TradingClient(
        KEY["APCA-API-KEY-ID"], KEY["APCA-API-SECRET-KEY"], paper=True, url_override=url
    )
    done = 0
    while time.monotonic() < deadline:
        trading.submit_order(
            MarketOrderRequest(
                symbol=SYMBOLS[done % len(SYMBOLS)],
                qty=1,
                side="buy",
                time_in_force="day",
                client_order_id=f"{name}-{done}",
            )
        )
        done += 1
    return done


def alpaca_run(url: str, clients: int, seconds: float, run: int) -> float:
    """Orders per second over one timed run of `clients` alpaca-py threads."""
    began = time.monotonic()
    deadline = began + seconds
    with ThreadPoolExecutor(max_workers=clients) as pool:
        counts = list(
            pool.map(lambda n: alpaca_client(url, f"a{run}c{n}", deadline), range(clients))
        )
    return sum(counts) / (time.monotonic() - began)


def main() -> int:
    """Run the benchmark and print the median orders per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--state", action="store_true", help="keep the book in SQLite")
    parser.add_argument("--client", choices=("aiohttp", "alpaca"), default="aiohttp")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "bench.sqlite" if args.state else None
        process, url = start_sim(state)
        try:
            rates = []
            for run in range(args.runs):
                if args.client == "alpaca":
                    rate = alpaca_run(url, args.clients, args.seconds, run)
                else:
                    rate = asyncio.run(one_run(url, args.clients, args.seconds, run))
                rates.append(rate)
                print(f"run {run + 1}: {rate:.0f} orders/s", flush=True)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    mode = ("sqlite state" if args.state else "memory") + f", {args.client} clients"
    print(
        f"orders/second sustained with {args.clients} concurrent clients ({mode}): "
        f"median {statistics.median(rates):.0f} over {args.runs} runs of {args.seconds:g}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
