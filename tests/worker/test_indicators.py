"""The indicators agree with TA-Lib on the same input, and refuse inputs too short."""

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.worker import indicators

# |ours - TA-Lib| <= TOLERANCE * max(1, |TA-Lib|): absolute for RSI and returns,
# relative for price-scaled values such as the SMA.
TOLERANCE = 1e-9

# Daily returns between -10% and +10%, with exact zeros (flat days) likely.
daily_return = st.one_of(
    st.just(0.0), st.floats(min_value=-0.1, max_value=0.1, allow_nan=False, allow_subnormal=False)
)


@st.composite
def closes(draw: st.DrawFn, min_size: int = 30) -> tuple[float, ...]:
    """A random close series: a start price and a walk of daily returns."""
    start = draw(st.floats(min_value=1.0, max_value=1000.0))
    returns = draw(st.lists(daily_return, min_size=min_size - 1, max_size=300))
    prices = [start]
    for r in returns:
        prices.append(prices[-1] * (1.0 + r))
    return tuple(prices)


def agrees(ours: float, reference: float) -> bool:
    """Whether a value matches TA-Lib's within TOLERANCE."""
    return math.isfinite(reference) and abs(ours - reference) <= TOLERANCE * max(
        1.0, abs(reference)
    )


def last(values: np.ndarray) -> float:
    """TA-Lib's value at the last input."""
    return float(values[-1])


@settings(max_examples=100, deadline=None)
@given(closes(), st.integers(min_value=2, max_value=28))
def test_rsi_matches_talib(series: tuple[float, ...], period: int) -> None:
    """Wilder RSI equals talib.RSI at the last close and at every earlier close."""
    reference = talib.RSI(np.asarray(series), timeperiod=period)
    for end in range(period + 1, len(series) + 1, 7):
        assert agrees(indicators.rsi(series[:end], period), float(reference[end - 1]))
    assert agrees(indicators.rsi(series, period), last(reference))


@settings(max_examples=100, deadline=None)
@given(closes(), st.integers(min_value=2, max_value=30))
def test_sma_matches_talib(series: tuple[float, ...], window: int) -> None:
    """The simple moving average equals talib.SMA."""
    assert agrees(indicators.sma(series, window), last(talib.SMA(np.asarray(series), window)))


@settings(max_examples=100, deadline=None)
@given(closes(), st.integers(min_value=1, max_value=28))
def test_moving_average_return_matches_talib(series: tuple[float, ...], window: int) -> None:
    """The moving-average return equals talib.SMA of talib.ROCP(closes, 1)."""
    returns = talib.ROCP(np.asarray(series), timeperiod=1)
    reference = last(talib.SMA(returns, timeperiod=window))
    assert agrees(indicators.moving_average_return(series, window), reference)


@settings(max_examples=100, deadline=None)
@given(closes(), st.integers(min_value=1, max_value=28))
def test_cumulative_return_matches_talib(series: tuple[float, ...], window: int) -> None:
    """The cumulative return over a window equals talib.ROCP with that window."""
    reference = last(talib.ROCP(np.asarray(series), timeperiod=window))
    assert agrees(indicators.cumulative_return(series, window), reference)


@settings(max_examples=100, deadline=None)
@given(closes(), st.integers(min_value=2, max_value=28))
def test_stdev_return_matches_talib(series: tuple[float, ...], window: int) -> None:
    """The standard deviation of daily returns equals talib.STDDEV (population) of ROCP."""
    returns = talib.ROCP(np.asarray(series), timeperiod=1)
    reference = last(talib.STDDEV(returns, timeperiod=window, nbdev=1.0))
    assert agrees(indicators.stdev_return(series, window), reference)


def test_rsi_of_a_flat_series_is_zero_like_talib() -> None:
    """With neither gains nor losses the RSI is 0, as TA-Lib reports it."""
    flat = (50.0,) * 20
    assert indicators.rsi(flat, 10) == 0.0
    assert last(talib.RSI(np.asarray(flat), timeperiod=10)) == 0.0


def test_rsi_extremes() -> None:
    """Only gains give RSI 100; only losses give RSI 0."""
    rising = tuple(float(i) for i in range(1, 30))
    assert indicators.rsi(rising, 10) == 100.0
    assert indicators.rsi(rising[::-1], 10) == 0.0


def test_rsi_known_value() -> None:
    """A hand-checked case: 10 seeding changes of +1 and -1 then one +2 change."""
    closes_ = (10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 12.0)
    # seed: gain 5/10 = 0.5, loss 5/10 = 0.5; then gain (0.5*9+2)/10 = 0.65, loss 0.45
    assert indicators.rsi(closes_, 10) == pytest.approx(100.0 * 0.65 / 1.1, abs=1e-12)


def test_windowed_returns_use_only_the_window() -> None:
    """Returns over a window ignore older closes."""
    series = (1.0, 1000.0, 100.0, 110.0, 121.0)
    assert indicators.cumulative_return(series, 2) == pytest.approx(0.21)
    assert indicators.moving_average_return(series, 2) == pytest.approx(0.1)
    assert indicators.stdev_return(series, 2) == pytest.approx(0.0, abs=1e-15)
    assert indicators.sma(series, 3) == pytest.approx(110.333333333333)


@pytest.mark.parametrize(
    ("function", "window", "needed"),
    [
        (indicators.rsi, 10, 11),
        (indicators.sma, 10, 10),
        (indicators.moving_average_return, 10, 11),
        (indicators.cumulative_return, 10, 11),
        (indicators.stdev_return, 10, 11),
    ],
)
def test_too_short_input_is_refused(
    function: Callable[[Sequence[float], int], float], window: int, needed: int
) -> None:
    """Each indicator raises ValueError one close short of its window, and works at it."""
    series = tuple(100.0 + (i % 3) for i in range(needed))
    function(series, window)
    with pytest.raises(ValueError, match="closes are needed"):
        function(series[1:], window)
    with pytest.raises(ValueError, match="window must be"):
        function(series, 0)
