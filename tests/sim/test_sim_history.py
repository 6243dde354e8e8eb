"""Replaying real daily bars from CSV files instead of the random walk."""

from datetime import date, datetime
from pathlib import Path

import pytest
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from sim_support import OPEN_NOW

from alchemiser.errors import ConfigError
from alchemiser.sim import embedded
from alchemiser.sim.calendar import nyse
from alchemiser.sim.history import load_directory
from alchemiser.sim.prices import PriceModel

CSV = """date,open,high,low,close,volume
2026-11-20,600.00,606.50,598.10,605.00,51000000
2026-11-23,605.50,610.00,603.00,608.25,48000000
2026-11-24,608.00,609.00,596.00,597.75,62000000
2026-11-25,598.00,601.00,595.50,600.10,40000000
"""


def test_csv_days_are_served_exactly_and_the_walk_continues(tmp_path: Path) -> None:
    """Daily bars on CSV dates equal the file; other days stay positive and join the file."""
    (tmp_path / "spy.csv").write_text(CSV)
    with embedded.start(now=OPEN_NOW, bars_dir=tmp_path) as running:
        client = StockHistoricalDataClient(
            running.key_id, running.secret_key, url_override=running.base_url
        )
        bars = client.get_stock_bars(
            StockBarsRequest(
                symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=datetime(2026, 11, 1)
            )
        )["SPY"]
    by_day = {b.timestamp.date(): b for b in bars}
    row = by_day[date(2026, 11, 24)]
    assert (row.open, row.high, row.low, row.close, row.volume) == (
        608.0,
        609.0,
        596.0,
        597.75,
        62000000,
    )
    assert by_day[date(2026, 11, 25)].close == 600.10
    assert all(b.close > 0 for b in bars)


def test_minutes_of_a_csv_day_stay_inside_its_range(tmp_path: Path) -> None:
    """Minute bars of a replayed day open at its open, close at its close, within high/low."""
    (tmp_path / "SPY.csv").write_text(CSV)
    calendar = nyse()
    model = PriceModel(calendar, 0, load_directory(tmp_path))
    index = calendar.index_of(date(2026, 11, 24))
    assert index is not None
    minutes = model.minute_bars("SPY", index)
    assert minutes[0].open == 608.0 and minutes[-1].close == 597.75
    assert min(m.low for m in minutes) >= 596.0 and max(m.high for m in minutes) <= 609.0


def test_a_broken_csv_is_a_config_error(tmp_path: Path) -> None:
    """A row whose high is below its close is refused, naming the file and line."""
    (tmp_path / "QQQ.csv").write_text("date,open,high,low,close\n2026-11-20,10,10,9,11\n")
    with pytest.raises(ConfigError, match=r"QQQ.csv:2"):
        load_directory(tmp_path)
