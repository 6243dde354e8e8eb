"""The indicator reads the strategies share: fixed windows and data checks."""

import pytest
from strategy_bars import series

from alchemiser.errors import DataUnavailable
from alchemiser.worker import indicators
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import signals


def test_rsi_reads_only_the_last_rsi_history_closes() -> None:
    """Prepending 500 wild closes leaves every RSI unchanged: the window is fixed, not all data."""
    closes = series(60.0, period=20)
    wild = tuple(100.0 + (50.0 if i % 3 else -40.0) for i in range(500))
    short, long = PriceHistory({"X": closes}), PriceHistory({"X": wild + closes})
    for period in (9, 10, 20):
        expected = indicators.rsi(closes[-signals.RSI_HISTORY :], period)
        assert signals.rsi(short, "X", period) == expected
        assert signals.rsi(long, "X", period) == expected


def test_rsi_needs_the_whole_window() -> None:
    """One close fewer than RSI_HISTORY raises DataUnavailable naming the symbol."""
    closes = series(50.0)[-(signals.RSI_HISTORY - 1) :]
    with pytest.raises(DataUnavailable, match="XLK"):
        signals.rsi(PriceHistory({"XLK": closes}), "XLK", 10)


def test_lookback_covers_every_window() -> None:
    """LOOKBACK_DAYS covers the 200-day SMA and the RSI window."""
    assert signals.LOOKBACK_DAYS >= signals.SMA_LONG
    assert signals.LOOKBACK_DAYS >= signals.RSI_HISTORY


def test_above_sma_is_strict() -> None:
    """A last close equal to its 200-day average is not above it."""
    flat = PriceHistory({"SPY": (100.0,) * 200})
    assert not signals.above_sma(flat, "SPY", 200)
    rising = PriceHistory({"SPY": (100.0,) * 199 + (101.0,)})
    assert signals.above_sma(rising, "SPY", 200)
