"""`alchemiser symphony check|explain|show`: tools for symphony authors.

Rule: wiring only. It reads files and fetches bars (from `--bars DIR` or the
built-in paper exchange), then hands plain values to the pure
`alchemiser.symphony` package. `check` prints errors like a compiler
(`FILE:LINE:COL: message`) and exits 1 on any; `explain` prints the tree with
each condition's values, the branch taken and the final weights (or one JSON
object with `--output json`). The decision at DATE uses the sessions before DATE.
`show NAME` prints the text a built-in strategy (nuclear, tecl, klm) evaluates;
`check` and `explain` accept such a NAME in place of FILE when no file of that
name exists.
"""

import argparse
import secrets
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alchemiser.api import StrategyName
from alchemiser.errors import ConfigError, DataUnavailable
from alchemiser.sim import embedded
from alchemiser.sim.history import load_directory
from alchemiser.symphony import (
    Symphony,
    SymphonyError,
    evaluate,
    explain_json,
    explain_text,
    parse,
    read_source,
    requirements,
)
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.credentials import Credentials
from alchemiser.worker.market import calendar_days_for
from alchemiser.worker.strategies.builtin import BUILTIN_NAMES, builtin_text

NEW_YORK = ZoneInfo("America/New_York")


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `symphony` subcommand with `check` and `explain`."""
    parser = subparsers.add_parser(
        "symphony", help="check or explain a Composer symphony file", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="parse and validate; errors as FILE:LINE:COL")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE|NAME")
    check.set_defaults(handler=check_files)
    explain = actions.add_parser("explain", help="evaluate one decision and show why")
    explain.add_argument(
        "file", type=Path, metavar="FILE|NAME", help="a symphony file, or nuclear, tecl, klm"
    )
    explain.add_argument("--bars", type=Path, metavar="DIR", help="daily bars, DIR/SYMBOL.csv")
    explain.add_argument(
        "--at", type=date.fromisoformat, metavar="DATE", help="with --bars: the decision's date"
    )
    explain.add_argument("--broker", choices=["sim"], help="sim: bars from the paper exchange")
    explain.add_argument(
        "--sim-now", type=datetime.fromisoformat, metavar="TIME", help="--broker sim: its time"
    )
    explain.add_argument("--output", choices=["text", "json"], default="text")
    explain.set_defaults(handler=explain_file)
    show = actions.add_parser("show", help="print the symphony text of a built-in strategy")
    show.add_argument("name", choices=[name.value for name in BUILTIN_NAMES], metavar="NAME")
    show.set_defaults(handler=show_builtin)


def show_builtin(args: argparse.Namespace) -> int:
    """Handle `symphony show`: print the built-in's text as shipped."""
    sys.stdout.write(builtin_text(StrategyName(args.name)))
    return 0


def builtin_named(path: Path) -> StrategyName | None:
    """The built-in strategy a bare NAME means, when no file of that name exists."""
    names = {name.value: name for name in BUILTIN_NAMES}
    if str(path) in names and not path.exists():
        return names[str(path)]
    return None


def load(path: Path) -> Symphony:
    """Read and compile a symphony file (plain or gzip), or a built-in's text by its name."""
    builtin = builtin_named(path)
    if builtin is not None:
        return parse(builtin_text(builtin), f"{builtin.value}.clj")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror}") from error
    return parse(read_source(raw, str(path)), str(path))


def check_files(args: argparse.Namespace) -> int:
    """Handle `symphony check`: 0 when every file is valid, 1 otherwise."""
    failed = 0
    for path in args.files:
        try:
            symphony = load(path)
        except ConfigError as error:
            print(str(error), file=sys.stderr)
            failed += 1
            continue
        needs = requirements(symphony)
        print(
            f"{path}: ok: {symphony.name!r}, {len(symphony.nodes)} blocks, "
            f"{len(symphony.symbols)} symbols, needs {needs.lookback} sessions of history"
        )
    return 1 if failed else 0


def explain_file(args: argparse.Namespace) -> int:
    """Handle `symphony explain`."""
    try:
        symphony = load(args.file)
    except SymphonyError as error:
        print(str(error), file=sys.stderr)
        return 1
    needs = requirements(symphony)
    if args.bars is not None:
        if args.broker or args.sim_now:
            raise ConfigError("--bars excludes --broker/--sim-now")
        if args.at is None:
            raise ConfigError("--bars needs --at DATE")
        session, closes = closes_from_directory(args.bars, args.at, sorted(needs.per_symbol))
    elif args.broker == "sim":
        if args.at is not None:
            raise ConfigError("--at goes with --bars; the paper exchange uses --sim-now")
        session, closes = closes_from_sim(args.sim_now, sorted(needs.per_symbol), needs.lookback)
    else:
        raise ConfigError("explain needs --bars DIR --at DATE, or --broker sim [--sim-now TIME]")
    result = evaluate(symphony, closes)
    if args.output == "json":
        print(explain_json(result, session=session.isoformat()))
    else:
        print(f"decision on the closes up to {session.isoformat()}")
        print(explain_text(result))
    return 0


def closes_from_directory(
    directory: Path, at: date, symbols: Sequence[str]
) -> tuple[date, dict[str, list[float]]]:
    """Closes before `at` per symbol from DIR/SYMBOL.csv; all must end on the same session."""
    history = load_directory(directory)
    series = {
        symbol: sorted((day, row.close) for day, row in history[symbol].items() if day < at)
        for symbol in symbols
        if symbol in history
    }
    return _aligned(series, symbols, f"in {directory} before {at}")


def closes_from_sim(
    now: datetime | None, symbols: Sequence[str], lookback: int
) -> tuple[date, dict[str, list[float]]]:
    """Completed daily closes from the built-in paper exchange, as the worker fetches them."""
    keys = Credentials(secrets.token_hex(8), secrets.token_hex(16))

    class _Keys:
        def read(self) -> Credentials:
            return keys

    with embedded.start(now=now, key_id=keys.key_id, secret_key=keys.secret_key) as exchange:
        broker = AlpacaBroker(_Keys(), base_url=exchange.base_url)
        today = broker.clock().timestamp.astimezone(NEW_YORK).date()
        end = datetime.combine(today, time(0), NEW_YORK)
        start = end - timedelta(days=calendar_days_for(lookback))
        bars = broker.daily_bars(list(symbols), start, end)
    series = {
        symbol: [
            (bar.timestamp.astimezone(NEW_YORK).date(), bar.close)
            for bar in bars[symbol]
            if bar.timestamp.astimezone(NEW_YORK).date() < today
        ]
        for symbol in symbols
        if symbol in bars
    }
    return _aligned(series, symbols, f"from the paper exchange before {today}")


def _aligned(
    series: Mapping[str, Sequence[tuple[date, float]]], symbols: Sequence[str], where: str
) -> tuple[date, dict[str, list[float]]]:
    missing = [symbol for symbol in symbols if not series.get(symbol)]
    if missing:
        raise DataUnavailable(f"no daily bars {where} for {', '.join(missing)}")
    newest = max(rows[-1][0] for rows in series.values())
    stale = [f"{s} ends {rows[-1][0]}" for s, rows in series.items() if rows[-1][0] != newest]
    if stale:
        raise DataUnavailable(f"bars {where} do not all end on {newest}: {', '.join(stale)}")
    return newest, {symbol: [close for _, close in rows] for symbol, rows in series.items()}
