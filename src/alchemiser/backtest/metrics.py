"""Performance figures of an equity curve, defined as empyrical defines them.

Rule: pure numpy on daily simple returns; no I/O. 252 sessions a year, risk-free rate
0. The definitions follow empyrical-reloaded (tests/backtest/test_metrics.py checks
each against it): total return = prod(1 + r) - 1; CAGR = prod(1 + r) ** (252 / n) - 1;
volatility = std(r, ddof=1) * sqrt(252); Sharpe = mean(r) / std(r, ddof=1) * sqrt(252);
Sortino = mean(r) * 252 / (sqrt(mean(min(r, 0) ** 2)) * sqrt(252)); maximum drawdown
on the wealth curve that starts at 1 before the first return; Calmar = CAGR / |max
drawdown|. A figure that is not defined (no variance, no drawdown) is None.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

PERIODS_PER_YEAR = 252
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Drawdown:
    """The deepest fall from a peak: depth (<= 0), the peak's date, the trough's, the recovery's."""

    depth: float
    peak: date | None
    trough: date | None
    recovery: date | None


def returns(start: float, equity: Sequence[float]) -> Array:
    """Daily simple returns of `equity` (one value per session) starting from `start`."""
    values = np.asarray([start, *equity], dtype=np.float64)
    out: Array = values[1:] / values[:-1] - 1.0
    return out


def total_return(r: Array) -> float:
    """Compounded return over the whole period."""
    return float(np.prod(1.0 + r) - 1.0)


def cagr(r: Array) -> float | None:
    """Compound annual growth rate."""
    if len(r) == 0:
        return None
    ending = float(np.prod(1.0 + r))
    if ending <= 0:
        return -1.0
    return float(ending ** (PERIODS_PER_YEAR / len(r)) - 1.0)


def volatility(r: Array) -> float | None:
    """Annualised standard deviation of daily returns."""
    if len(r) < 2:
        return None
    return float(np.std(r, ddof=1) * math.sqrt(PERIODS_PER_YEAR))


def sharpe(r: Array) -> float | None:
    """Annualised Sharpe ratio (risk-free rate 0)."""
    if len(r) < 2:
        return None
    spread = float(np.std(r, ddof=1))
    if spread == 0.0:
        return None
    return float(np.mean(r)) / spread * math.sqrt(PERIODS_PER_YEAR)


def sortino(r: Array) -> float | None:
    """Annualised Sortino ratio (target return 0)."""
    if len(r) == 0:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2))) * math.sqrt(PERIODS_PER_YEAR)
    if downside == 0.0:
        return None
    return float(np.mean(r)) * PERIODS_PER_YEAR / downside


def drawdowns(r: Array) -> Array:
    """Drawdown (<= 0) after each session, from the wealth curve starting at 1."""
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + r)))
    peaks = np.maximum.accumulate(wealth)
    out: Array = (wealth / peaks - 1.0)[1:]
    return out


def max_drawdown(r: Array, days: Sequence[date]) -> Drawdown:
    """The deepest drawdown with its peak, trough and recovery dates (None: not recovered)."""
    if len(r) == 0:
        return Drawdown(0.0, None, None, None)
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + r)))
    peaks = np.maximum.accumulate(wealth)
    falls = wealth / peaks - 1.0
    trough = int(np.argmin(falls))
    depth = float(falls[trough])
    if depth >= 0.0:
        return Drawdown(0.0, None, None, None)
    peak = int(np.argmax(wealth[: trough + 1]))
    later = np.nonzero(wealth[trough:] >= wealth[peak])[0]
    recovery = int(later[0]) + trough if len(later) else None
    # Index 0 is the start before the first session: it dates to the first session.
    return Drawdown(
        depth=depth,
        peak=days[max(peak - 1, 0)],
        trough=days[trough - 1],
        recovery=days[recovery - 1] if recovery is not None else None,
    )


def calmar(r: Array) -> float | None:
    """CAGR over the absolute maximum drawdown."""
    growth = cagr(r)
    falls = drawdowns(r)
    deepest = float(falls.min()) if len(falls) else 0.0
    if growth is None or deepest >= 0.0:
        return None
    return growth / abs(deepest)


def beta(r: Array, benchmark: Array) -> float | None:
    """Sensitivity of the returns to the benchmark's (covariance over variance)."""
    if len(r) < 2:
        return None
    var = float(np.var(benchmark, ddof=1))
    if var == 0.0:
        return None
    return float(np.cov(r, benchmark, ddof=1)[0, 1]) / var


def monthly(start: float, equity: Sequence[float], days: Sequence[date]) -> dict[str, float]:
    """Compounded return per calendar month ("2024-03"), from month-end to month-end."""
    out: dict[str, float] = {}
    previous = start
    for i, day in enumerate(days):
        last_of_month = i + 1 == len(days) or days[i + 1].month != day.month
        if last_of_month:
            out[f"{day:%Y-%m}"] = equity[i] / previous - 1.0
            previous = equity[i]
    return out


def finite(value: float | None) -> float | None:
    """The value, or None when it is not a finite number (JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return value
