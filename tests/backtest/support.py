"""Helpers for the backtest tests (not fixtures): CSV bars, manifests, in-process replays."""

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from alchemiser.backtest import assemble, data
from alchemiser.backtest.broker import FillModel
from alchemiser.backtest.prices import Prices
from alchemiser.backtest.replay import Record, Setup, replay


def write_bars(directory: Path, closes: Mapping[str, Mapping[str, float]]) -> Path:
    """DIR/SYMBOL.csv per symbol from {symbol: {YYYY-MM-DD: close}} (open=high=low=close)."""
    directory.mkdir(parents=True, exist_ok=True)
    for symbol, rows in closes.items():
        lines = ["date,open,high,low,close,volume"]
        lines += [f"{day},{c},{c},{c},{c},1000" for day, c in sorted(rows.items())]
        (directory / f"{symbol}.csv").write_text("\n".join(lines) + "\n")
    return directory


def write_manifest(path: Path, spec: Mapping[str, Any], name: str = "demo") -> Path:
    """A TradingStrategy file with the given spec (broker filled in)."""
    document = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {"broker": {"credentialsSecret": "unused"}, **spec},
    }
    path.write_text(yaml.safe_dump(document))
    return path


def static_spec(weights: Mapping[str, float], **risk: Any) -> dict[str, Any]:
    """A static-weights spec rebalanced at 15:45 New York on weekdays."""
    return {
        "schedule": "45 15 * * 1-5",
        "allocations": [{"strategy": "static", "weight": 1, "parameters": {"weights": weights}}],
        "risk": {
            "maxOrderNotional": 1e6,
            "maxPositionFraction": 1,
            "maxDailyNotional": 1e7,
            **risk,
        },
    }


def csv_loader(directory: Path) -> assemble.Loader:
    """Daily prices from CSV files, as `--bars DIR`."""

    def load(symbols: frozenset[str], first: date, last: date, days: frozenset[date]) -> Prices:
        return assemble.daily(data.csv_closes(directory, symbols, days), days)

    return load


def run_csv(
    tmp: Path,
    closes: Mapping[str, Mapping[str, float]],
    spec: Mapping[str, Any],
    start: date,
    end: date,
    *,
    cash: float = 10_000.0,
    fills: FillModel | None = None,
    benchmark: str = "SPY",
) -> tuple[Setup, Record]:
    """Replay `spec` over CSV closes in-process."""
    bars = write_bars(tmp / "bars", closes)
    manifest = write_manifest(tmp / "strategy.yaml", spec)
    choices = assemble.Choices(
        manifest=manifest,
        start=start,
        end=end,
        cash=cash,
        fills=fills or FillModel(),
        benchmark=benchmark,
    )
    setup = assemble.build(choices, csv_loader(bars))
    return setup, replay(setup)
