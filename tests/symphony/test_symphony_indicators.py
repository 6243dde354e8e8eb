"""Each indicator matches a hand-computed value and, where TA-Lib has it, TA-Lib's."""

import math

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.symphony import indicators
from alchemiser.symphony.tree import Fn, Metric

CLOSES = (10.0, 11.0, 10.5, 12.0, 11.0, 12.5)


def at_end(fn: Fn, window: int, closes: tuple[float, ...]) -> float:
    """The metric at the last close."""
    return indicators.value(Metric(fn, window), closes, len(closes) - 1)


def test_hand_computed_values() -> None:
    """Small cases worked by hand, in Composer's units (percent for returns)."""
    assert at_end(Fn.CURRENT_PRICE, 0, CLOSES) == 12.5
    assert at_end(Fn.MOVING_AVERAGE_PRICE, 3, CLOSES) == pytest.approx((12 + 11 + 12.5) / 3)
    # 12.5 / 12 - 1 over 2 sessions
    assert at_end(Fn.CUMULATIVE_RETURN, 2, CLOSES) == pytest.approx((12.5 / 12.0 - 1) * 100)
    r = [(11 / 12 - 1) * 100, (12.5 / 11 - 1) * 100]
    assert at_end(Fn.MOVING_AVERAGE_RETURN, 2, CLOSES) == pytest.approx(sum(r) / 2)
    mean = sum(r) / 2
    population = math.sqrt(sum((x - mean) ** 2 for x in r) / 2)
    assert at_end(Fn.STDEV_RETURN, 2, CLOSES) == pytest.approx(population)
    # sample standard deviation of 12, 11, 12.5
    m = (12 + 11 + 12.5) / 3
    sample = math.sqrt(((12 - m) ** 2 + (11 - m) ** 2 + (12.5 - m) ** 2) / 2)
    assert at_end(Fn.STDEV_PRICE, 3, CLOSES) == pytest.approx(sample)
    # over 11, 10.5, 12, 11, 12.5: peak 12 -> 11 is the deepest fall (8.33%)
    assert at_end(Fn.MAX_DRAWDOWN, 5, CLOSES) == pytest.approx((1 - 11 / 12) * 100)
    assert at_end(Fn.MAX_DRAWDOWN, 2, (10.0, 11.0, 12.0)) == 0.0


def test_rsi_by_hand() -> None:
    """RSI(2) on five closes: Wilder's smoothing seeded with the first two changes' means."""
    closes = (10.0, 11.0, 10.0, 12.0, 13.0)
    # changes +1 -1 +2 +1; seed gain 0.5 loss 0.5; then (0.5+2)/2=1.25, 0.25; (1.25+1)/2, 0.125
    gain, loss = 1.125, 0.125
    assert indicators.rsi(closes, 2) == pytest.approx(100 * gain / (gain + loss))


def test_ema_by_hand() -> None:
    """EMA(2) on four closes: seed = mean of the first two, then smoothing 2/3."""
    closes = (6.0, 8.0, 9.0, 12.0)
    seed = 7.0
    after = (9 - seed) * (2 / 3) + seed
    assert indicators.ema(closes, 2) == pytest.approx((12 - after) * (2 / 3) + after)


def test_recursive_indicators_read_their_span_only() -> None:
    """RSI and EMA read the last smoothing_span(n) closes: older history does not change them."""
    walk = [100.0 * (1.01 ** math.sin(i)) for i in range(400)]
    metric = Metric(Fn.RSI, 10)
    assert indicators.need(metric) == 250
    assert indicators.value(metric, walk, 399) == indicators.value(metric, walk[-250:], 249)
    assert indicators.smoothing_span(70) == 350


prices = st.lists(
    st.floats(min_value=-0.08, max_value=0.08, allow_nan=False), min_size=260, max_size=320
).map(lambda rs: tuple(100.0 * math.prod(1 + r for r in rs[: i + 1]) for i in range(len(rs))))


def close_to(ours: float, reference: float) -> bool:
    """Equal within 1e-9 relative (absolute near zero)."""
    return abs(ours - reference) <= 1e-9 * max(1.0, abs(reference))


@settings(max_examples=40, deadline=None)
@given(closes=prices, window=st.integers(min_value=2, max_value=30))
def test_agrees_with_talib(closes: tuple[float, ...], window: int) -> None:
    """rsi, EMA, SMA, returns and stdev-return agree with TA-Lib on the same closes."""
    array = np.array(closes)
    span = indicators.smoothing_span(window)
    tail = array[-span:]
    rocp = talib.ROCP(array, 1) * 100
    pairs = [
        (Fn.RSI, talib.RSI(tail, window)[-1]),
        (Fn.EXPONENTIAL_MOVING_AVERAGE_PRICE, talib.EMA(tail, window)[-1]),
        (Fn.MOVING_AVERAGE_PRICE, talib.SMA(array, window)[-1]),
        (Fn.CUMULATIVE_RETURN, talib.ROCP(array, window)[-1] * 100),
        (Fn.MOVING_AVERAGE_RETURN, talib.SMA(rocp, window)[-1]),
        (Fn.STDEV_RETURN, talib.STDDEV(rocp, window)[-1]),
        (Fn.STDEV_PRICE, talib.STDDEV(array, window)[-1] * math.sqrt(window / (window - 1))),
    ]
    for fn, reference in pairs:
        ours = at_end(fn, window, closes)
        assert close_to(ours, float(reference)) or (
            # TA-Lib's STDDEV goes through a variance that can round a hair below zero
            fn in (Fn.STDEV_RETURN, Fn.STDEV_PRICE) and abs(ours - reference) < 1e-6
        ), (fn, ours, reference)
