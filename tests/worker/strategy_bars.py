"""Constructed daily closes that force chosen RSI / SMA / volatility conditions.

Helper for tests/worker/test_strategies_*.py. A series is a 220-bar trend (up:
100 -> 300, down: 300 -> 100, flat: 200) followed by a 40-bar tail that
alternates a down step and an up step (ending on an up step). The up/down
split of the tail is found by bisection so that RSI(period) over the last
signals.RSI_HISTORY closes equals the target; `scale` sets the step size, and
so the volatility of daily returns. Tests re-check every precondition they
rely on with TA-Lib (`talib_rsi`, `talib_above_sma`) before asserting a decision.
"""

import functools
from collections.abc import Iterable, Mapping

import numpy as np
import talib

from alchemiser.worker import indicators
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import signals

LENGTH = 260
TAIL = 40
_TREND_START = {"up": 100.0, "down": 300.0, "flat": 200.0}
_TREND_END = {"up": 300.0, "down": 100.0, "flat": 200.0}


def _build(split: float, trend: str, scale: float, length: int) -> tuple[float, ...]:
    base = np.linspace(_TREND_START[trend], _TREND_END[trend], length - TAIL)
    closes = [float(c) for c in base]
    up, down = 2.0 * split * scale, 2.0 * (1.0 - split) * scale
    for step in range(TAIL):
        closes.append(closes[-1] + (up if step % 2 else -down))
    return tuple(closes)


@functools.cache
def series(
    rsi: float = 50.0,
    *,
    trend: str = "up",
    period: int = 10,
    scale: float = 1.0,
    length: int = LENGTH,
) -> tuple[float, ...]:
    """Closes whose RSI(period) over the strategies' RSI window is `rsi` (within 0.01)."""
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2.0
        value = indicators.rsi(_build(middle, trend, scale, length)[-signals.RSI_HISTORY :], period)
        if value < rsi:
            low = middle
        else:
            high = middle
    closes = _build((low + high) / 2.0, trend, scale, length)
    reached = talib_rsi_of(closes, period)
    if abs(reached - rsi) > 0.01:
        raise ValueError(f"cannot build RSI({period}) {rsi} with trend {trend}: got {reached}")
    return closes


def geometric(daily_return: float, *, length: int = LENGTH) -> tuple[float, ...]:
    """Closes growing by `daily_return` every session (so every moving-average return is it)."""
    return tuple(100.0 * (1.0 + daily_return) ** i for i in range(length))


def history(
    symbols: Iterable[str],
    overrides: Mapping[str, tuple[float, ...]] | None = None,
    *,
    trend: str = "up",
) -> PriceHistory:
    """Neutral closes (RSI 50) for every symbol, with some series replaced."""
    neutral = series(50.0, trend=trend)
    closes = {symbol: neutral for symbol in symbols}
    closes.update(overrides or {})
    return PriceHistory(closes)


def talib_rsi_of(closes: tuple[float, ...], period: int) -> float:
    """TA-Lib's RSI over the same window the strategies use."""
    window = np.asarray(closes[-signals.RSI_HISTORY :], dtype=float)
    return float(talib.RSI(window, timeperiod=period)[-1])


def talib_rsi(history: PriceHistory, symbol: str, period: int = 10) -> float:
    """TA-Lib's RSI of a symbol in the history, as the strategies see it."""
    return talib_rsi_of(history.closes[symbol], period)


def talib_above_sma(history: PriceHistory, symbol: str, window: int = 200) -> bool:
    """Whether TA-Lib's SMA puts the last close above the average."""
    closes = np.asarray(history.closes[symbol], dtype=float)
    return bool(closes[-1] > talib.SMA(closes, timeperiod=window)[-1])


def volatility(history: PriceHistory, symbol: str, window: int = 14) -> float:
    """Population standard deviation of the last `window` daily returns, with numpy."""
    closes = np.asarray(history.closes[symbol][-(window + 1) :], dtype=float)
    return float(np.std(np.diff(closes) / closes[:-1]))
