"""Hand-built histories for the built-in symphonies: every symbol an alternating walk.

Helper for tests/worker/test_strategies_{nuclear,tecl,klm}.py. Every symbol's
daily returns alternate between an up step `+u` and a down step `-d`, all
symbols in phase (the last session is an up session for every one of them).
`u + d = 2 * amp`, so over an even number of sessions the population standard
deviation of the returns is exactly `amp`, and a portfolio that holds fixed
weights of such symbols has returns alternating in the same phase, its standard
deviation exactly the weighted sum of the amplitudes. The split `u / (u + d)`
is found by bisection so that TA-Lib's RSI(period) at the last session equals
the target; a walk is stationary, so every RSI window reads about the same value
on every recent session (it oscillates a little between up and down sessions,
more for short windows), which is what lets a test reason about what a group
chose on earlier sessions. `Walk.shape` appends exact returns after the walk
(a crash, a jump), and `Walk.plateau` lifts a block of closes (a step in
cumulative return that enters and leaves a window on known sessions).

Tests re-check the conditions they rely on with TA-Lib (`rsi`, `sma`,
`cumulative_return` below, on each recent session where it matters) and derive
the expected weights from the spec; nothing here knows the implementation.
"""

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import talib

from alchemiser.worker.market import PriceHistory

LENGTH = 1300


@dataclass(frozen=True)
class Walk:
    """One symbol's alternating walk: RSI(period) `rsi` at its end, return amplitude `amp`."""

    rsi: float = 50.0
    amp: float = 0.01
    period: int = 10
    shape: tuple[float, ...] = ()
    plateau: tuple[int, int, float] = (0, 0, 1.0)  # sessions-ago start, end (inclusive), factor


def _alternating(split: float, amp: float, count: int) -> np.ndarray:
    up, down = 2.0 * amp * split, 2.0 * amp * (1.0 - split)
    # index count-1 (the last return) is an up step; parity counted from the end
    signs = np.where((count - 1 - np.arange(count)) % 2 == 0, up, -down)
    return signs


def _closes(returns: np.ndarray) -> np.ndarray:
    return 100.0 * np.concatenate(([1.0], np.cumprod(1.0 + returns)))


@functools.cache
def closes(walk: Walk, length: int = LENGTH) -> tuple[float, ...]:
    """The walk's closes, oldest first; `length` sessions in all (shape included)."""
    count = length - 1 - len(walk.shape)
    low, high = 0.0, 1.0
    for _ in range(64):
        middle = (low + high) / 2.0
        value = _last_rsi(_closes(_alternating(middle, walk.amp, count)), walk.period)
        if value < walk.rsi:
            low = middle
        else:
            high = middle
    returns = np.concatenate(
        (_alternating((low + high) / 2.0, walk.amp, count), np.asarray(walk.shape, dtype=float))
    )
    series = _closes(returns)
    start, end, factor = walk.plateau
    if start:
        series[len(series) - 1 - start : len(series) - end] *= factor
    reached = _last_rsi(series[: len(series) - len(walk.shape)], walk.period)
    if abs(reached - walk.rsi) > 0.01 and not start:
        raise ValueError(f"cannot build {walk}: RSI reached {reached}")
    return tuple(float(c) for c in series)


def _last_rsi(series: np.ndarray, period: int) -> float:
    return float(talib.RSI(series, timeperiod=period)[-1])


def history(
    symbols: Iterable[str],
    walks: Mapping[str, Walk],
    default: Walk = Walk(),
    length: int = LENGTH,
) -> PriceHistory:
    """Every symbol on `default`, some on their own walks (unknown symbols refused)."""
    names = frozenset(symbols)
    unknown = set(walks) - names
    if unknown:
        raise ValueError(f"walks for symbols the strategy does not read: {sorted(unknown)}")
    return PriceHistory(
        {symbol: closes(walks.get(symbol, default), length) for symbol in sorted(names)}
    )


def sessions_ago(history: PriceHistory, ago: int) -> PriceHistory:
    """The history as it stood `ago` sessions before its last one."""
    if ago == 0:
        return history
    return PriceHistory({s: c[:-ago] for s, c in history.closes.items()})


def recent(history: PriceHistory, sessions: int) -> Iterator[PriceHistory]:
    """The history as it stood at each of its last `sessions` sessions, oldest first."""
    for ago in range(sessions - 1, -1, -1):
        yield sessions_ago(history, ago)


def rsi(history: PriceHistory, symbol: str, period: int = 10) -> float:
    """TA-Lib's RSI of the symbol at the history's last session (over all its closes)."""
    return _last_rsi(np.asarray(history.closes[symbol], dtype=float), period)


def sma(history: PriceHistory, symbol: str, window: int) -> float:
    """TA-Lib's simple moving average at the last session."""
    closes_ = np.asarray(history.closes[symbol], dtype=float)
    return float(talib.SMA(closes_, timeperiod=window)[-1])


def price(history: PriceHistory, symbol: str) -> float:
    """The last close."""
    return history.closes[symbol][-1]


def cumulative_return(history: PriceHistory, symbol: str, window: int) -> float:
    """Percent change over `window` sessions, as symphonies write it (TA-Lib ROC)."""
    closes_ = np.asarray(history.closes[symbol], dtype=float)
    return float(talib.ROC(closes_, timeperiod=window)[-1])


def moving_average_return(history: PriceHistory, symbol: str, window: int) -> float:
    """Mean of the last `window` daily returns, in percent (TA-Lib SMA of ROC(1))."""
    closes_ = np.asarray(history.closes[symbol], dtype=float)
    return float(talib.SMA(talib.ROC(closes_, timeperiod=1), timeperiod=window)[-1])


def stdev_return(history: PriceHistory, symbol: str, window: int) -> float:
    """Population standard deviation of the last `window` daily returns (TA-Lib STDDEV)."""
    closes_ = np.asarray(history.closes[symbol], dtype=float)
    return float(talib.STDDEV(talib.ROCP(closes_, timeperiod=1), timeperiod=window)[-1])


def daily_returns(history: PriceHistory, symbol: str, sessions: int) -> list[float]:
    """The symbol's last `sessions` close-to-close returns, as fractions, oldest first."""
    closes_ = history.closes[symbol][-(sessions + 1) :]
    return [b / a - 1.0 for a, b in itertools.pairwise(closes_)]


def population_stdev(values: list[float]) -> float:
    """Population standard deviation, by its definition."""
    mean = sum(values) / len(values)
    return float((sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5)


def inverse_weights(sigmas: Mapping[str, float]) -> dict[str, float]:
    """w_i = (1/sigma_i) / sum_j (1/sigma_j)."""
    total = sum(1.0 / s for s in sigmas.values())
    return {k: (1.0 / s) / total for k, s in sigmas.items()}
