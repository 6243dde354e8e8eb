"""Technical indicators over daily closes.

Rule: pure functions of a sequence of closes (oldest first) and a window; each
returns the indicator's value at the last close. No I/O, no numpy, no state.
Where TA-Lib has the indicator the result agrees with it on the same input
(tests/worker/test_indicators.py): `rsi` = talib.RSI, `sma` = talib.SMA,
`moving_average_return` = talib.SMA(talib.ROCP(closes, 1)), `cumulative_return`
= talib.ROCP, `stdev_return` = talib.STDDEV(talib.ROCP(closes, 1)) (population).

A sequence too short for the window is a caller's bug (strategies check lengths
through PriceHistory.closes_for first), so it raises ValueError.
"""

import itertools
import math
from collections.abc import Sequence


def rsi(closes: Sequence[float], period: int) -> float:
    """Wilder's relative strength index (0..100) at the last close.

    Seeded like TA-Lib: the first average gain and loss are plain means over the
    first `period` changes, then smoothed as (previous * (period - 1) + change) / period
    over every later change, so the value depends on the whole sequence. When there
    was neither gain nor loss TA-Lib reports 0, and so does this.
    """
    _check(closes, period, needed=period + 1)
    changes = [close - previous for previous, close in itertools.pairwise(closes)]
    avg_gain = 0.0
    avg_loss = 0.0
    for change in changes[:period]:
        if change < 0.0:
            avg_loss -= change
        else:
            avg_gain += change
    avg_gain /= period
    avg_loss /= period
    # Same operation order as TA-Lib, so the two agree to the last bits.
    for change in changes[period:]:
        avg_gain *= period - 1
        avg_loss *= period - 1
        if change < 0.0:
            avg_loss -= change
        else:
            avg_gain += change
        avg_gain /= period
        avg_loss /= period
    total = avg_gain + avg_loss
    if total == 0.0:
        return 0.0
    return 100.0 * (avg_gain / total)


def sma(closes: Sequence[float], window: int) -> float:
    """Simple moving average of the last `window` closes."""
    _check(closes, window, needed=window)
    return math.fsum(closes[-window:]) / window


def daily_returns(closes: Sequence[float], window: int) -> tuple[float, ...]:
    """The last `window` close-to-close returns, as fractions (0.01 is +1%)."""
    _check(closes, window, needed=window + 1)
    tail = closes[-(window + 1) :]
    return tuple((close - previous) / previous for previous, close in itertools.pairwise(tail))


def moving_average_return(closes: Sequence[float], window: int) -> float:
    """Mean of the last `window` daily returns."""
    return math.fsum(daily_returns(closes, window)) / window


def cumulative_return(closes: Sequence[float], window: int) -> float:
    """Return over the last `window` sessions: last close against the one `window` bars earlier."""
    _check(closes, window, needed=window + 1)
    start = closes[-(window + 1)]
    return (closes[-1] - start) / start


def stdev_return(closes: Sequence[float], window: int) -> float:
    """Population standard deviation of the last `window` daily returns (TA-Lib STDDEV's)."""
    returns = daily_returns(closes, window)
    mean = math.fsum(returns) / window
    return math.sqrt(math.fsum((r - mean) ** 2 for r in returns) / window)


def _check(closes: Sequence[float], window: int, *, needed: int) -> None:
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if len(closes) < needed:
        raise ValueError(f"{needed} closes are needed for window {window}, got {len(closes)}")
