"""Composer's indicators over a series of daily closes, in Composer's units.

Rule: pure functions of a close series (oldest first), the index of the
session the value is for, and a window in sessions; no I/O, no state.
Returns are in percent (cumulative-return 5.0 is +5%), RSI is 0..100, prices
are in the series' own units. Each function reads exactly `need(metric)`
closes ending at `end`, so a value never depends on how much older history
was supplied; a caller makes sure that many exist (`need`).

RSI and the EMA are recursive; they run over the last `smoothing_span(n)`
closes (Composer smooths over "up to 1000 days"; 250 closes leave the seed a
weight of (1 - 1/n)**240, below 1e-10 for RSI(10), and match the built-in
strategies). They are seeded as TA-Lib seeds them, so they equal talib.RSI
and talib.EMA on the same closes.
"""

import itertools
import math
from collections.abc import Sequence
from typing import Final

from alchemiser.symphony.tree import Fn, Metric

MIN_SMOOTHING_SPAN: Final = 250


def smoothing_span(window: int) -> int:
    """Closes an RSI or EMA of `window` runs over: max(250, 5 x window)."""
    return max(MIN_SMOOTHING_SPAN, 5 * window)


def need(metric: Metric) -> int:
    """Closes (ending at the session the value is for) the metric reads."""
    fn, n = metric.fn, metric.window
    if fn is Fn.CURRENT_PRICE:
        return 1
    if fn in (Fn.RSI, Fn.EXPONENTIAL_MOVING_AVERAGE_PRICE):
        return smoothing_span(n)
    if fn in (Fn.CUMULATIVE_RETURN, Fn.MOVING_AVERAGE_RETURN, Fn.STDEV_RETURN):
        return n + 1
    return n  # moving-average-price, stdev-price, max-drawdown


def value(metric: Metric, closes: Sequence[float], end: int) -> float:
    """The metric at index `end` of closes; closes[end - need + 1 : end + 1] must exist."""
    tail = closes[end + 1 - need(metric) : end + 1]
    return _FUNCTIONS[metric.fn](tail, metric.window)


def rsi(closes: Sequence[float], window: int) -> float:
    """Wilder's RSI (TA-Lib's seed: plain means of the first `window` changes)."""
    gain = loss = 0.0
    previous = closes[0]
    for index in range(1, window + 1):
        change = closes[index] - previous
        previous = closes[index]
        if change < 0.0:
            loss -= change
        else:
            gain += change
    gain /= window
    loss /= window
    keep = window - 1
    for close in closes[window + 1 :]:
        change = close - previous
        previous = close
        # Same operation order as TA-Lib, so the two agree to the last bits.
        gain *= keep
        loss *= keep
        if change < 0.0:
            loss -= change
        else:
            gain += change
        gain /= window
        loss /= window
    total = gain + loss
    return 0.0 if total == 0.0 else 100.0 * (gain / total)


def ema(closes: Sequence[float], window: int) -> float:
    """Exponential moving average, smoothing 2/(n+1), seeded with the mean of the first n."""
    alpha = 2.0 / (window + 1)
    average = math.fsum(closes[:window]) / window
    for close in closes[window:]:
        average = (close - average) * alpha + average
    return average


def current_price(closes: Sequence[float], _window: int) -> float:
    """The latest close."""
    return closes[-1]


def moving_average_price(closes: Sequence[float], window: int) -> float:
    """Mean of the last n closes."""
    return math.fsum(closes) / window


def returns(closes: Sequence[float]) -> list[float]:
    """Close-to-close returns in percent."""
    return [(b / a - 1.0) * 100.0 for a, b in itertools.pairwise(closes)]


def cumulative_return(closes: Sequence[float], _window: int) -> float:
    """(last close / the close n sessions earlier - 1) x 100."""
    return (closes[-1] / closes[0] - 1.0) * 100.0


def moving_average_return(closes: Sequence[float], window: int) -> float:
    """Mean of the last n daily returns, in percent."""
    return math.fsum(returns(closes)) / window


def stdev_return(closes: Sequence[float], window: int) -> float:
    """Population standard deviation of the last n daily returns, in daily percent."""
    daily = returns(closes)
    mean = math.fsum(daily) / window
    return math.sqrt(math.fsum((r - mean) ** 2 for r in daily) / window)


def stdev_price(closes: Sequence[float], window: int) -> float:
    """Sample standard deviation (n - 1) of the last n closes, in price units."""
    mean = math.fsum(closes) / window
    return math.sqrt(math.fsum((c - mean) ** 2 for c in closes) / (window - 1))


def max_drawdown(closes: Sequence[float], _window: int) -> float:
    """Largest peak-to-trough fall within the last n closes, in percent (>= 0)."""
    peak = closes[0]
    worst = 0.0
    for close in closes:
        peak = max(peak, close)
        worst = max(worst, 1.0 - close / peak)
    return worst * 100.0


_FUNCTIONS: Final = {
    Fn.RSI: rsi,
    Fn.CURRENT_PRICE: current_price,
    Fn.MOVING_AVERAGE_PRICE: moving_average_price,
    Fn.MOVING_AVERAGE_RETURN: moving_average_return,
    Fn.CUMULATIVE_RETURN: cumulative_return,
    Fn.EXPONENTIAL_MOVING_AVERAGE_PRICE: ema,
    Fn.STDEV_RETURN: stdev_return,
    Fn.STDEV_PRICE: stdev_price,
    Fn.MAX_DRAWDOWN: max_drawdown,
}
