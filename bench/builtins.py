"""Built-in strategy benchmarks (nuclear, tecl, klm), printed (never asserted).

1. Parse: reading and compiling each built-in's symphony text (done once per
   worker process, at import). Median of N.
2. Decide: one decision on random-walk closes of exactly `lookback_days`
   sessions for every symbol the text names (bars already loaded; klm's includes
   the simulation of its eight variants and of FF inside V5). Median of N, and
   the slowest.
3. The worker's whole run of examples/strategy-paper.yaml (nuclear 0.3, tecl
   0.5, klm 0.2) with `--broker sim` in a fresh process: median wall time.

Run: .venv/bin/python bench/builtins.py [--runs N] [--no-run]
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from alchemiser.api import StrategyName
from alchemiser.api.parameters import parse_parameters
from alchemiser.symphony import parse
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY
from alchemiser.worker.strategies.builtin import BUILTIN_NAMES, builtin_text

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "examples" / "strategy-paper.yaml"
OPEN_NOW = "2026-11-25T20:30:00+00:00"


def walks(symbols: list[str], length: int, seed: int) -> PriceHistory:
    """Geometric random walks, 2% daily volatility."""
    rng = np.random.default_rng(seed)
    return PriceHistory(
        {
            s: tuple(float(c) for c in 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, length))))
            for s in symbols
        }
    )


def bench_strategy(name: StrategyName, runs: int) -> None:
    """Print parse and decide medians for one built-in."""
    text = builtin_text(name)
    parse_times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse(text, source=f"{name.value}.clj")
        parse_times.append(time.perf_counter() - start)
    strategy = REGISTRY[name]
    params = parse_parameters(name, {})
    symbols = sorted(strategy.symbols(params))
    lookback = strategy.lookback_days(params)
    decide_times = []
    for seed in range(runs):
        history = walks(symbols, lookback, seed)
        start = time.perf_counter()
        strategy.decide(history, params)
        decide_times.append(time.perf_counter() - start)
    print(
        f"{name.value:8} {len(text) / 1000:6.1f} KB  {len(symbols):3} symbols  "
        f"lookback {lookback:4} sessions  parse {statistics.median(parse_times) * 1000:7.2f} ms  "
        f"decide median {statistics.median(decide_times) * 1000:7.2f} ms  "
        f"max {max(decide_times) * 1000:7.2f} ms"
    )


def bench_run(runs: int) -> None:
    """Print the median wall time of a whole paper run of the example portfolio."""
    command = [
        str(ROOT / ".venv" / "bin" / "alchemiser"),
        "run",
        "--manifest",
        str(MANIFEST),
        "--broker",
        "sim",
        "--sim-now",
        OPEN_NOW,
    ]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"alchemiser run exited {done.returncode}")
    print(f"whole run of {MANIFEST.name} (--broker sim): median {statistics.median(times):.2f} s")


def main() -> None:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-run", action="store_true", help="skip the whole-run benchmark")
    args = parser.parse_args()
    for name in BUILTIN_NAMES:
        bench_strategy(name, args.runs)
    if not args.no_run:
        bench_run(max(1, args.runs // 10))


if __name__ == "__main__":
    main()
