"""Every figure of summary.json: by hand on a five-day case, and against empyrical-reloaded."""

import math
from datetime import date, timedelta

import empyrical
import numpy as np
import pytest

from alchemiser.backtest import metrics

DAYS = [date(2025, 3, 3) + timedelta(days=i) for i in range(5)]
# Equity 10,000 -> 10,100 -> 9,898 -> 10,194.94 -> 10,194.94 -> 10,092.9906
R = np.array([0.01, -0.02, 0.03, 0.0, -0.01])


def test_five_days_by_hand() -> None:
    """Total, CAGR, volatility, Sharpe, Sortino, drawdown and Calmar of +1%, -2%, +3%, 0, -1%."""
    total = 1.01 * 0.98 * 1.03 * 1.0 * 0.99 - 1  # 0.00929906
    assert metrics.total_return(R) == pytest.approx(0.00929906, abs=1e-12)
    assert metrics.cagr(R) == pytest.approx((1 + total) ** (252 / 5) - 1)
    mean = 0.01 / 5  # 0.002
    var = sum((x - mean) ** 2 for x in R) / 4  # (.008^2 + .022^2 + .028^2 + .002^2 + .012^2) / 4
    assert var == pytest.approx(0.00037)
    assert metrics.volatility(R) == pytest.approx(math.sqrt(0.00037) * math.sqrt(252))
    assert metrics.sharpe(R) == pytest.approx(0.002 / math.sqrt(0.00037) * math.sqrt(252))
    downside = math.sqrt((0.02**2 + 0.01**2) / 5) * math.sqrt(252)  # sqrt(0.0001)
    assert metrics.sortino(R) == pytest.approx(0.002 * 252 / downside)
    deepest = metrics.max_drawdown(R, DAYS)
    # Peak 1.01 after day 1; trough 1.01 x 0.98 = 0.9898 after day 2: -2%; recovered on day 3.
    assert deepest.depth == pytest.approx(-0.02)
    assert (deepest.peak, deepest.trough, deepest.recovery) == (DAYS[0], DAYS[1], DAYS[2])
    assert metrics.calmar(R) == pytest.approx(metrics.cagr(R) / 0.02)


def test_monthly_returns_compound_from_month_end_to_month_end() -> None:
    """Two months: March ends at 11,000 from 10,000 (+10%), April at 9,900 (-10%)."""
    days = [date(2025, 3, 28), date(2025, 3, 31), date(2025, 4, 1), date(2025, 4, 30)]
    out = metrics.monthly(10_000, [10_500, 11_000, 10_000, 9_900], days)
    assert out == pytest.approx({"2025-03": 0.10, "2025-04": -0.10})


def test_undefined_figures_are_none() -> None:
    """No variance, no loss or no drawdown: the ratios are None, not inf or NaN."""
    flat = np.zeros(4)
    assert metrics.sharpe(flat) is None
    assert metrics.sortino(np.array([0.01, 0.02])) is None
    assert metrics.calmar(np.array([0.01, 0.02])) is None
    assert metrics.max_drawdown(np.array([0.01]), DAYS[:1]).depth == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_empyrical(seed: int) -> None:
    """On 600 random daily returns every figure matches empyrical-reloaded's."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0004, 0.015, 600)
    b = 0.6 * r + rng.normal(0.0002, 0.008, 600)
    assert metrics.total_return(r) == pytest.approx(empyrical.cum_returns_final(r))
    assert metrics.cagr(r) == pytest.approx(empyrical.annual_return(r))
    assert metrics.volatility(r) == pytest.approx(empyrical.annual_volatility(r))
    assert metrics.sharpe(r) == pytest.approx(empyrical.sharpe_ratio(r))
    assert metrics.sortino(r) == pytest.approx(empyrical.sortino_ratio(r))
    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(600)]
    assert metrics.max_drawdown(r, days).depth == pytest.approx(empyrical.max_drawdown(r))
    assert metrics.calmar(r) == pytest.approx(empyrical.calmar_ratio(r))
    assert metrics.beta(r, b) == pytest.approx(empyrical.beta(r, b))
