"""Benchmark: ten years of daily decisions of the 0.3/0.5/0.2 nuclear/tecl/klm portfolio.

Runs `alchemiser backtest`'s replay in-process over the paper exchange's daily
series (no credentials), REPEATS times, and prints the median wall time, sessions
per second, and how the time splits between data (the backtest broker answering
bars and prices), decisions (the strategies and combine), planning (the rest of the
worker's pipeline: planner, risk engine, orchestration) and fills (the broker's
fill model). Data loading before the replay is printed apart. Goal: <= 10 s.

    .venv/bin/python bench/backtest.py [--years 10] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from alchemiser.backtest import assemble, data
from alchemiser.backtest.broker import FillModel
from alchemiser.backtest.prices import Prices
from alchemiser.backtest.replay import replay
from alchemiser.logs import configure

MANIFEST = """\
apiVersion: alchemiser.io/v1alpha1
kind: TradingStrategy
metadata: {name: bench-portfolio}
spec:
  schedule: "45 15 * * 1-5"
  allocations:
    - {strategy: nuclear, weight: 0.3}
    - {strategy: tecl, weight: 0.5}
    - {strategy: klm, weight: 0.2}
  broker: {credentialsSecret: unused}
  risk: {maxOrderNotional: 100000, maxPositionFraction: 1, maxDailyNotional: 10000000}
"""


def load(symbols: frozenset[str], first: date, last: date, days: frozenset[date]) -> Prices:
    """The paper exchange's daily closes (as `alchemiser backtest --sim`)."""
    return assemble.daily(data.sim_closes(data.sim_model(first), symbols), days)


def main() -> None:
    """Run the benchmark and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure(json=False, level="ERROR")
    # The paper exchange's series begins on 2016-01-04 and klm reads 455 sessions back,
    # so 2018 is the first whole year it can replay (the series runs to 2030).
    start = date(2018, 1, 2)
    end = date(2017 + args.years, 12, 31)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "portfolio.yaml"
        manifest.write_text(MANIFEST)
        choices = assemble.Choices(
            manifest=manifest,
            start=start,
            end=end,
            cash=100_000.0,
            fills=FillModel(slippage_bps=5.0),
            benchmark="SPY",
        )
        rows: list[dict[str, float]] = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            cpu = time.process_time()
            setup = assemble.build(choices, load)
            loading = time.perf_counter() - began
            record = replay(setup)
            seconds = dict(record.seconds)
            seconds["loading"] = loading
            seconds["cpu"] = time.process_time() - cpu
            seconds["sessions"] = len(record.days)
            seconds["runs"] = len(record.runs)
            rows.append(seconds)
    median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    total = median["total"] + median["loading"]
    print(
        f"backtest bench: {start} to {end}, {median['sessions']:.0f} sessions, "
        f"{median['runs']:.0f} runs, median of {args.repeats}"
    )
    print(
        f"  wall {total:.2f} s (loading {median['loading']:.2f} s + replay "
        f"{median['total']:.2f} s), cpu {median['cpu']:.2f} s, goal <= 10 s"
    )
    print(f"  {median['sessions'] / median['total']:.0f} sessions/s in the replay")
    for part in ("data", "decisions", "planning", "fills"):
        share = median[part] / median["total"] * 100 if median["total"] else 0.0
        print(f"  {part:<10} {median[part]:6.2f} s  {share:5.1f}%")


if __name__ == "__main__":
    main()
