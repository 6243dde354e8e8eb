"""Where a backtest's prices come from: CSV files, Alpaca's daily bars, the paper exchange.

Rule: the only module of the backtest that reads market data from outside (files,
Alpaca through the worker's own adapter); everything is loaded before the replay
starts and handed over as plain values. Alpaca's bars (split- and
dividend-adjusted) are cached as CSV under the cache directory, one file per symbol
and period, so a second backtest of the same period asks Alpaca for nothing.
"""

import csv
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path

from alchemiser.backtest import assemble
from alchemiser.backtest.prices import IntradayPrices, Prices
from alchemiser.errors import ConfigError
from alchemiser.sim.calendar import NEW_YORK, nyse
from alchemiser.sim.history import load_file
from alchemiser.sim.prices import PriceModel
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.config import DATA_URL
from alchemiser.worker.credentials import CredentialsDir

Closes = dict[str, dict[date, float]]


def csv_closes(directory: Path, symbols: Iterable[str], sessions: frozenset[date]) -> Closes:
    """Each symbol's closes from `DIR/SYMBOL.csv` (the format `alchemiser sim --bars-dir` reads)."""
    if not directory.is_dir():
        raise ConfigError(f"--bars {directory}: not a directory")
    closes: Closes = {}
    for symbol in sorted(set(symbols)):
        path = directory / f"{symbol}.csv"
        if not path.is_file():
            raise ConfigError(f"--bars {directory}: no file {path.name} for {symbol}")
        rows = load_file(path)
        strays = sorted(day for day in rows if day not in sessions and _inside(day, sessions))
        if strays:
            raise ConfigError(f"{path}: {strays[0]} is not an NYSE session")
        closes[symbol] = {day: row.close for day, row in rows.items()}
    return closes


def _inside(day: date, sessions: frozenset[date]) -> bool:
    return bool(sessions) and min(sessions) <= day <= max(sessions)


def sim_model(first_needed: date, seed: int = 0) -> PriceModel:
    """The paper exchange's price model (seed 0 is what `alchemiser sim` serves by default)."""
    calendar = nyse()
    first = calendar.sessions[0].day
    if first_needed < first:
        raise ConfigError(
            f"--sim: the paper exchange's series begins on {first}, but the strategies' "
            f"lookback needs bars from {first_needed}; start the backtest later"
        )
    return PriceModel(calendar, seed)


def sim_closes(model: PriceModel, symbols: Iterable[str]) -> Closes:
    """Each symbol's daily closes as the paper exchange serves them."""
    days = [session.day for session in model.calendar.sessions]
    return {
        symbol: dict(zip(days, model.daily_closes(symbol), strict=True))
        for symbol in sorted(set(symbols))
    }


def sim_intraday(model: PriceModel, symbols: Iterable[str]) -> IntradayPrices:
    """The paper exchange's series with its minute prints (what it quotes at an instant)."""
    return IntradayPrices(model, sorted(set(symbols)))


def alpaca_closes(
    symbols: Iterable[str],
    start: date,
    end: date,
    *,
    credentials_dir: Path,
    cache_dir: Path,
    data_url: str = DATA_URL,
) -> Closes:
    """Adjusted daily closes from Alpaca for [start, end], read from the cache when there."""
    closes: Closes = {}
    missing = []
    for symbol in sorted(set(symbols)):
        cached = _read_cache(_cache_path(cache_dir, symbol, start, end))
        if cached is None:
            missing.append(symbol)
        else:
            closes[symbol] = cached
    if missing:
        broker = AlpacaBroker(CredentialsDir(credentials_dir), base_url=data_url, data_url=data_url)
        since = datetime.combine(start, time(0), UTC)
        until = datetime.combine(end, time(23, 59), UTC)
        bars = broker.daily_bars(missing, since, until)
        for symbol in missing:
            rows = {_session_of(bar.timestamp): bar.close for bar in bars.get(symbol, ())}
            _write_cache(_cache_path(cache_dir, symbol, start, end), rows)
            closes[symbol] = rows
    return closes


def alpaca_loader(
    *, credentials_dir: Path, cache_dir: Path, data_url: str = DATA_URL
) -> tuple[str, assemble.Loader]:
    """What a report calls Alpaca's data, and the loader of its adjusted daily closes."""

    def load(symbols: frozenset[str], first: date, last: date, days: frozenset[date]) -> Prices:
        closes = alpaca_closes(
            symbols,
            first,
            last,
            credentials_dir=credentials_dir,
            cache_dir=cache_dir,
            data_url=data_url,
        )
        return assemble.daily(closes, days)

    return "Alpaca daily bars (adjusted for splits and dividends)", load


def sim_loader(seed: int) -> tuple[str, assemble.Loader]:
    """What a report calls the paper exchange's daily series, and its loader."""

    def load(symbols: frozenset[str], first: date, last: date, days: frozenset[date]) -> Prices:
        return assemble.daily(sim_closes(sim_model(first, seed=seed), symbols), days)

    return f"the paper exchange's daily series (seed {seed})", load


def _cache_path(cache_dir: Path, symbol: str, start: date, end: date) -> Path:
    return cache_dir / "alpaca" / f"{symbol}_{start}_{end}.csv"


def _read_cache(path: Path) -> dict[date, float] | None:
    if not path.is_file():
        return None
    with path.open(newline="") as handle:
        return {
            date.fromisoformat(row["date"]): float(row["close"]) for row in csv.DictReader(handle)
        }


def _write_cache(path: Path, rows: Mapping[date, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "close"])
        for day in sorted(rows):
            writer.writerow([day.isoformat(), repr(rows[day])])
    partial.replace(path)


def _session_of(stamp: datetime) -> date:
    """Alpaca stamps a daily bar at the session's midnight in New York."""
    return stamp.astimezone(NEW_YORK).date()
