"""`alchemiser backtest`: the worker's pipeline replayed over history, with files and a report.

Rule: the backtest's only entrypoint and its wiring: it reads the command line,
loads the data, runs the replay with a progress bar, and writes the outputs (also
after Ctrl-C, for the sessions done; exit code 130 then). The pipeline's own logs
go to stderr at WARNING by default: a run's decisions are in decisions.csv.
"""

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from alchemiser.api import runtime
from alchemiser.api.runtime import CREDENTIALS_DIR
from alchemiser.backtest import assemble, data, job
from alchemiser.backtest.broker import FillModel
from alchemiser.backtest.outputs import write_all
from alchemiser.backtest.prices import Prices
from alchemiser.backtest.progress import ProgressBar
from alchemiser.backtest.replay import replay
from alchemiser.errors import ConfigError
from alchemiser.logs import configure
from alchemiser.worker.config import DATA_URL

INTERRUPTED = 130


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `backtest` subcommand."""
    parser = subparsers.add_parser(
        "backtest",
        help="replay a strategy over history and write a report",
        description="Replay a TradingStrategy's own pipeline (strategies, combine, planner, "
        "risk engine, fills) at every scheduled instant of every NYSE session in the period, "
        "against a backtest broker. Writes summary.json, equity.csv, orders.csv, "
        "decisions.csv and report.html into --out.",
    )
    parser.add_argument("--manifest", type=Path, required=True, help="TradingStrategy YAML/JSON")
    parser.add_argument("--start", type=_date, required=True, help="first session (YYYY-MM-DD)")
    parser.add_argument("--end", type=_date, required=True, help="last session (YYYY-MM-DD)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--bars", type=Path, metavar="DIR", help="CSV files DIR/SYMBOL.csv")
    source.add_argument(
        "--alpaca", action="store_true", help="Alpaca's adjusted daily bars (keys, cached)"
    )
    source.add_argument(
        "--sim", action="store_true", help="the paper exchange's daily series (the default)"
    )
    source.add_argument(
        "--sim-intraday",
        action="store_true",
        help="the paper exchange's series with its minute prints: quotes and fills at the "
        "prices it reports at the decision instant (and a minute later)",
    )
    parser.add_argument("--cash", type=float, default=100_000.0, help="starting cash in USD")
    parser.add_argument("--out", type=Path, default=Path("backtest-out"), help="output directory")
    parser.add_argument("--benchmark", default="SPY", help="buy-and-hold benchmark symbol")
    parser.add_argument(
        "--fill",
        choices=["next", "quote"],
        default="next",
        help="next: the next price after the decision (default); quote: the decision's price",
    )
    parser.add_argument("--slippage-bps", type=float, default=5.0, help="against each fill")
    parser.add_argument("--commission", type=float, default=0.0, help="USD per order")
    parser.add_argument("--commission-bps", type=float, default=0.0, help="of each order's value")
    parser.add_argument("--seed", type=int, default=0, help="--sim: the paper exchange's seed")
    parser.add_argument(
        "--credentials-dir",
        type=Path,
        default=Path(CREDENTIALS_DIR),
        help="--alpaca: directory with APCA_API_KEY_ID and APCA_API_SECRET_KEY",
    )
    parser.add_argument("--data-url", default=DATA_URL, help="--alpaca: market-data base URL")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path.home() / ".cache" / "alchemiser" / "bars",
        help="--alpaca: where fetched bars are kept",
    )
    parser.add_argument("--log-level", default="ERROR", help="the pipeline's log level")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)
    pod = subparsers.add_parser(
        "backtest-job",
        help="one variant of a TradingBacktest, inside its Job's pod (the operator runs it)",
        description="Run the variant named by JOB_COMPLETION_INDEX of the TradingBacktest spec "
        f"in {runtime.ENV_BACKTEST_SPEC}; keep the report in a ConfigMap; write the figures "
        "as the termination message.",
    )
    pod.add_argument("--termination-log", type=Path, default=Path(runtime.TERMINATION_LOG))
    pod.set_defaults(handler=run_job)


def run_job(args: argparse.Namespace) -> int:
    """Handle `alchemiser backtest-job`."""
    configure(json=True, level="ERROR")
    return job.run(dict(os.environ), args.termination_log)


def run(args: argparse.Namespace) -> int:
    """Handle `alchemiser backtest`."""
    configure(json=False, level=args.log_level)
    _check(args)
    choices = assemble.Choices(
        manifest=args.manifest,
        start=args.start,
        end=args.end,
        cash=args.cash,
        fills=FillModel(
            timing=args.fill,
            slippage_bps=args.slippage_bps,
            commission_per_order=args.commission,
            commission_bps=args.commission_bps,
        ),
        benchmark=args.benchmark.upper(),
    )
    source, loader = _loader(args)
    setup = assemble.build(choices, loader)
    bar = ProgressBar(sys.stderr) if not args.no_progress else None
    print(
        f"replaying {len(setup.days)} sessions ({setup.days[0]} to {setup.days[-1]}), "
        f"{len(setup.fires)} scheduled runs; data: {source}",
        file=sys.stderr,
        flush=True,
    )
    record = replay(setup, bar)
    if bar is not None:
        bar.finish()
    summary = write_all(args.out, setup, record, source)
    _print(summary, args.out, record.seconds)
    return INTERRUPTED if record.interrupted else 0


def _check(args: argparse.Namespace) -> None:
    for name in ("slippage_bps", "commission", "commission_bps"):
        if getattr(args, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must not be negative")


def _loader(args: argparse.Namespace) -> tuple[str, assemble.Loader]:
    if args.bars is not None:

        def from_csv(
            symbols: frozenset[str], first: date, last: date, days: frozenset[date]
        ) -> Prices:
            return assemble.daily(data.csv_closes(args.bars, symbols, days), days)

        return f"CSV files in {args.bars}", from_csv
    if args.alpaca:
        return data.alpaca_loader(
            credentials_dir=args.credentials_dir, cache_dir=args.cache_dir, data_url=args.data_url
        )
    if args.sim_intraday:

        def from_minutes(
            symbols: frozenset[str], first: date, last: date, days: frozenset[date]
        ) -> Prices:
            return data.sim_intraday(data.sim_model(first, seed=args.seed), symbols)

        return f"the paper exchange's series with minute prints (seed {args.seed})", from_minutes

    return data.sim_loader(args.seed)


def _print(summary: dict[str, Any], out: Path, seconds: dict[str, float]) -> None:
    ours = summary["metrics"]
    bench = summary["benchmark"]
    period = summary["period"]

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.2f}%"

    def num(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    lines = [
        f"backtest {summary['namespace']}/{summary['strategy']}: {period['start']} to "
        f"{period['end']} ({period['sessions']} sessions)"
        + (" INTERRUPTED" if summary["interrupted"] else ""),
        f"  strategy : total {pct(ours['totalReturn'])}  CAGR {pct(ours['cagr'])}  "
        f"max drawdown {pct(ours['maxDrawdown'])}  Sharpe {num(ours['sharpe'])}",
        f"  {bench['symbol']:<9}: total {pct(bench.get('totalReturn'))}  "
        f"CAGR {pct(bench.get('cagr'))}  max drawdown {pct(bench.get('maxDrawdown'))}  "
        f"Sharpe {num(bench.get('sharpe'))}",
        f"  orders {summary['orders']}, rejections {summary['rejections']}, runs "
        + ", ".join(f"{k} {v}" for k, v in summary["runs"].items()),
        f"  {seconds.get('total', 0.0):.1f} s; report: {out / 'report.html'}",
        *(f"NOTE: {text}" for text in summary.get("notices", [])),
    ]
    print("\n".join(lines))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
