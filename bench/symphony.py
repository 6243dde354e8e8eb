"""Symphony benchmarks, printed (never asserted).

1. Parse (read + compile) and evaluate one decision of generated symphonies of
   about 10 KB, 200 KB and 2 MB naming about 300 symbols, with their bars
   already loaded as closes: median of N runs each (goal: 2 MB in <= 1 s on
   2 cores). The generated trees mix what real community symphonies use:
   nested `if`s on RSI / moving averages / returns, filters over assets and
   over groups, inverse-volatility blends of groups, weight-specified.
2. The worker's whole run (`alchemiser run --broker sim`) with the 2 MB
   symphony inline in a manifest, in a fresh process: median wall time.

Run: .venv/bin/python bench/symphony.py [--runs N] [--no-run]
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alchemiser.symphony import parse, requirements
from alchemiser.symphony.evaluator import evaluate

SIZES = {"10 KB": 10_000, "200 KB": 200_000, "2 MB": 2_000_000}
SYMBOLS = [f"{a}{b}{c}" for a in "ABCDEFGHJK" for b in "LMNPQRSTUVWX" for c in "YZAB"][:300]
INDICATORS = [
    ("rsi", (10, 14, 20)),
    ("cumulative-return", (5, 10, 30, 60)),
    ("moving-average-return", (5, 20, 60)),
    ("stdev-return", (5, 10, 20)),
    ("max-drawdown", (10, 60)),
    ("moving-average-price", (20, 50, 200)),
    ("exponential-moving-average-price", (10, 20)),
]


class Generator:
    """Random but realistic symphony text (deterministic per seed)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.groups = 0

    def symbol(self) -> str:
        return self.rng.choice(SYMBOLS)

    def asset(self) -> str:
        s = self.symbol()
        return f'(asset "{s}" "{s} fund")'

    def metric(self, subject: str | None) -> str:
        name, windows = self.rng.choice(INDICATORS)
        who = f'"{subject}" ' if subject else ""
        return f"({name} {who}{{:window {self.rng.choice(windows)}}})"

    def condition(self) -> str:
        op = self.rng.choice([">", "<", ">=", "<="])
        if self.rng.random() < 0.7:
            return f'({op} (rsi "{self.symbol()}" {{:window 10}}) {self.rng.randint(20, 80)})'
        if self.rng.random() < 0.5:
            s = self.symbol()
            return f'({op} (current-price "{s}") (moving-average-price "{s}" {{:window 200}}))'
        return f"({op} {self.metric(self.symbol())} {self.metric(self.symbol())})"

    def node(self, depth: int, groups_ok: bool = True) -> str:
        roll = self.rng.random()
        if depth <= 0 or roll < 0.2:
            return self.asset()
        if roll < 0.55:
            return (
                f"(if {self.condition()}\n [{self.node(depth - 1, groups_ok)}]\n"
                f" [{self.node(depth - 1, groups_ok)}])"
            )
        if roll < 0.7:
            kids = " ".join(self.asset() for _ in range(self.rng.randint(3, 8)))
            pick = self.rng.choice(["select-top", "select-bottom"])
            return f"(filter {self.metric(None)} ({pick} {self.rng.randint(1, 3)}) [{kids}])"
        if roll < 0.78 and groups_ok:
            # a filter over groups, like ftl_starburst's: each candidate a small tree
            kids = " ".join(self.group(2) for _ in range(self.rng.randint(2, 4)))
            name, windows = self.rng.choice(INDICATORS[1:4])
            return f"(filter ({name} {{:window {windows[0]}}}) (select-top 1) [{kids}])"
        if roll < 0.84 and groups_ok:
            kids = " ".join(self.group(2) for _ in range(self.rng.randint(2, 3)))
            return f"(weight-inverse-volatility {self.rng.choice((5, 10, 20))} [{kids}])"
        if roll < 0.9:
            a, b = self.node(depth - 1, groups_ok), self.node(depth - 1, groups_ok)
            return f"(weight-specified 0.6 {a} 0.4 {b})"
        kids = " ".join(self.node(depth - 1, groups_ok) for _ in range(self.rng.randint(2, 4)))
        return f"(weight-equal [{kids}])"

    def group(self, depth: int) -> str:
        self.groups += 1
        return f'(group "G{self.groups}" [{self.node(depth, groups_ok=False)}])'

    def symphony(self, size: int) -> str:
        blocks: list[str] = []
        length = 0
        while length < size:
            block = self.group(5)
            blocks.append(block)
            length += len(block) + 1
        body = "\n".join(blocks)
        return (
            '(defsymphony "generated" {:asset-class "EQUITIES" :rebalance-frequency :daily}\n'
            f" (weight-equal [{body}]))\n"
        )


def closes_for(symbols: list[str], sessions: int, seed: int = 7) -> dict[str, list[float]]:
    """A random walk of daily closes per symbol."""
    rng = random.Random(seed)
    out: dict[str, list[float]] = {}
    for symbol in symbols:
        price = rng.uniform(10, 300)
        vol = rng.uniform(0.005, 0.04)
        series = []
        for _ in range(sessions):
            price *= 1.0 + rng.gauss(0.0003, vol)
            series.append(max(price, 0.01))
        out[symbol] = series
    return out


def bench_decisions(runs: int) -> str:
    print(f"parse + evaluate one decision, median of {runs} (bars already loaded)")
    print(
        f"{'size':>8} {'bytes':>10} {'blocks':>7} {'symbols':>7} {'lookback':>8} "
        f"{'parse s':>8} {'evaluate s':>10} {'total s':>8}"
    )
    text = ""
    for label, size in SIZES.items():
        text = Generator(seed=size).symphony(size)
        symphony = parse(text)
        closes = closes_for(sorted(symphony.symbols), requirements(symphony).lookback + 5)
        parses, evals = [], []
        for _ in range(runs):
            start = time.perf_counter()
            symphony = parse(text)
            middle = time.perf_counter()
            evaluate(symphony, closes)
            end = time.perf_counter()
            parses.append(middle - start)
            evals.append(end - middle)
        p, e = statistics.median(parses), statistics.median(evals)
        print(
            f"{label:>8} {len(text.encode()):>10} {len(symphony.nodes):>7} "
            f"{len(symphony.symbols):>7} {requirements(symphony).lookback:>8} "
            f"{p:>8.3f} {e:>10.3f} {p + e:>8.3f}"
        )
    return text


def bench_run(text: str, runs: int) -> None:
    manifest = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {"name": "bench-symphony", "namespace": "default"},
        "spec": {
            "schedule": "45 15 * * 1-5",
            "mode": "paper",
            "allocations": [
                {"strategy": "symphony", "weight": 1.0, "parameters": {"source": text}}
            ],
            "broker": {"credentialsSecret": "unused"},
            "risk": {
                # Every drift trades: the generated tree spreads the account over ~300
                # symbols, each below the default 1% threshold, and the run should place
                # its orders so the order path is measured too.
                "rebalanceThreshold": 0.0,
                "maxOrdersPerRun": 400,
                "maxOrderNotional": 100000,
                "maxDailyNotional": 10000000,
                "maxPositionFraction": 1.0,
            },
        },
    }
    times: list[float] = []
    pauses: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "strategy.json"
        path.write_text(json.dumps(manifest))
        for index in range(runs):
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "alchemiser.cli",
                    "run",
                    "--broker",
                    "sim",
                    "--sim-now",
                    "2026-11-30T15:45:00-05:00",
                    "--manifest",
                    str(path),
                    "--run-id",
                    f"bench-{index}",
                    "--termination-log",
                    str(Path(tmp) / "t"),
                    "--fill-timeout",
                    "10",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - start)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            paused = [
                float(line.split("seconds=")[1].split()[0])
                for line in done.stderr.splitlines()
                if "paused for the broker's rate limit" in line
            ]
            pauses.append(paused[0] if paused else 0.0)
    print(
        f"\nworker run, 2 MB symphony inline, paper exchange in-process: "
        f"median {statistics.median(times):.2f} s over {runs} "
        f"(last outcome {result.get('outcome')}, {result.get('ordersSubmitted')} orders), "
        f"of which {statistics.median(pauses):.1f} s paused for the exchange's rate limit "
        "(Alpaca's 200 requests/min; about three requests per symbol traded: its asset, "
        "an idempotency check, the order)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-run", action="store_true", help="skip the worker-run benchmark")
    args = parser.parse_args()
    text = bench_decisions(args.runs)
    if not args.no_run:
        bench_run(text, max(1, args.runs // 2))


if __name__ == "__main__":
    main()
