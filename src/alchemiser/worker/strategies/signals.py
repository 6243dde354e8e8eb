"""Indicator values read from a PriceHistory, with the data checks the strategies share.

Rule: pure. Every read checks the symbol has enough completed bars and raises
DataUnavailable naming it otherwise; nothing falls back to a default value.

Wilder RSI depends on every bar it is given, so it is always computed over the
last RSI_HISTORY closes: the value then does not depend on how much extra
history the pipeline fetched, and the seed's weight after 240 smoothing steps
((9/10)**240 for RSI(10)) is below 1e-10.
"""

from alchemiser.worker import indicators
from alchemiser.worker.market import PriceHistory

RSI_HISTORY = 250
SMA_LONG = 200
# Every strategy that reads an RSI or the 200-day SMA needs this many sessions.
LOOKBACK_DAYS = max(RSI_HISTORY, SMA_LONG)


def rsi(history: PriceHistory, symbol: str, period: int) -> float:
    """RSI(period) of the symbol over its last RSI_HISTORY closes."""
    closes = history.closes_for(symbol, min_length=RSI_HISTORY)
    return indicators.rsi(closes[-RSI_HISTORY:], period)


def last_close(history: PriceHistory, symbol: str) -> float:
    """The symbol's latest completed close."""
    return history.closes_for(symbol)[-1]


def sma(history: PriceHistory, symbol: str, window: int) -> float:
    """Simple moving average of the symbol's last `window` closes."""
    return indicators.sma(history.closes_for(symbol, min_length=window), window)


def above_sma(history: PriceHistory, symbol: str, window: int) -> bool:
    """Whether the latest close is strictly above the `window`-day SMA."""
    return last_close(history, symbol) > sma(history, symbol, window)


def moving_average_return(history: PriceHistory, symbol: str, window: int) -> float:
    """Mean of the symbol's last `window` daily returns."""
    closes = history.closes_for(symbol, min_length=window + 1)
    return indicators.moving_average_return(closes, window)


def stdev_return(history: PriceHistory, symbol: str, window: int) -> float:
    """Standard deviation of the symbol's last `window` daily returns."""
    closes = history.closes_for(symbol, min_length=window + 1)
    return indicators.stdev_return(closes, window)
