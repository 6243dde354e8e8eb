"""Real daily bars from CSV files, to replay history instead of the random walk.

Rule: reads files once at start-up into plain values; the price model decides how
they are used. One file per symbol, `SYMBOL.csv`, with a header naming at least
`date` (or `timestamp`), `open`, `high`, `low`, `close`; `volume` is optional.
"""

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from alchemiser.errors import ConfigError

_REQUIRED = ("open", "high", "low", "close")


@dataclass(frozen=True)
class DailyRow:
    """One day's bar from a CSV file."""

    open: float
    high: float
    low: float
    close: float
    volume: float


History = dict[str, dict[date, DailyRow]]


def _day(text: str) -> date:
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def load_file(path: Path) -> dict[date, DailyRow]:
    """Rows of one CSV file keyed by date; raises ConfigError naming the file and line."""
    rows: dict[date, DailyRow] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = {c.strip().lower(): c for c in reader.fieldnames or []}
        stamp = columns.get("date") or columns.get("timestamp")
        missing = [name for name in _REQUIRED if name not in columns]
        if stamp is None or missing:
            raise ConfigError(f"{path}: needs date, open, high, low and close columns")
        for line, raw in enumerate(reader, start=2):
            try:
                values = [float(raw[columns[name]]) for name in _REQUIRED]
                volume = float(raw[columns["volume"]]) if "volume" in columns else 1e6
                day = _day(raw[stamp])
            except (ValueError, TypeError) as error:
                raise ConfigError(f"{path}:{line}: {error}") from error
            o, h, lo, c = values
            if min(values) <= 0 or h < max(o, c) or lo > min(o, c):
                raise ConfigError(f"{path}:{line}: prices must be positive with low <= o,c <= high")
            rows[day] = DailyRow(open=o, high=h, low=lo, close=c, volume=volume)
    if not rows:
        raise ConfigError(f"{path}: no rows")
    return rows


def load_directory(directory: Path) -> History:
    """Every `SYMBOL.csv` in a directory, keyed by upper-case symbol."""
    if not directory.is_dir():
        raise ConfigError(f"--bars-dir {directory} is not a directory")
    return {path.stem.upper(): load_file(path) for path in sorted(directory.glob("*.csv"))}
