"""The backtest's precomputed indicators are the evaluator's own values, to the last bit."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.backtest.vectorised import SeriesIndicators
from alchemiser.symphony import indicators
from alchemiser.symphony.closes import Closes
from alchemiser.symphony.tree import Fn, Metric

WINDOWS = [1, 2, 3, 5, 9, 10, 11, 14, 20, 21, 70, 90]


def _walk(length: int, seed: int, digits: int) -> list[float]:
    rng = random.Random(seed)
    closes = [50.0 + rng.random() * 100.0]
    for day in range(length - 1):
        move = 0.0 if day % 97 < 12 else rng.gauss(0.0, 0.03)  # with flat stretches
        closes.append(round(max(closes[-1] * (1.0 + move), 0.01), digits))
    return closes


@pytest.mark.parametrize("digits", [2, 6, 15])
def test_every_rsi_equals_the_one_session_value(digits: int) -> None:
    """Over 1,000 closes (cents, micro-cents and full floats, with flat stretches), the RSI of
    every window at every session it exists for is exactly indicators.value's; before that,
    none is given (the evaluator computes or refuses)."""
    closes = _walk(1000, seed=digits, digits=digits)
    source = SeriesIndicators(closes)
    for window in WINDOWS:
        metric = Metric(Fn.RSI, window)
        first = indicators.need(metric) - 1
        assert source.value(metric, first - 1) is None
        for end in range(first, len(closes)):
            assert source.value(metric, end) == indicators.value(metric, closes, end)
        assert source.value(metric, len(closes)) is None


def test_a_flat_series_has_rsi_zero_as_the_evaluator_says() -> None:
    """No change at all (gain + loss = 0): 0.0, as indicators.rsi returns, not NaN."""
    source = SeriesIndicators([7.0] * 300)
    assert [source.value(Metric(Fn.RSI, 10), end) for end in (249, 299)] == [0.0, 0.0]
    assert indicators.value(Metric(Fn.RSI, 10), [7.0] * 300, 299) == 0.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1e4), min_size=250, max_size=320),
    st.sampled_from(WINDOWS[:8]),
)
def test_any_closes_give_the_same_rsi(closes: list[float], window: int) -> None:
    """For any positive closes, every precomputed RSI equals the one-session RSI."""
    metric = Metric(Fn.RSI, window)
    source = SeriesIndicators(closes)
    for end in range(indicators.need(metric) - 1, len(closes)):
        assert source.value(metric, end) == indicators.value(metric, closes, end)


def test_a_window_reads_its_own_sessions_and_other_metrics_are_left_to_the_evaluator() -> None:
    """A window of a Closes with a source reads the source at its own offset (windows of windows
    too) and only inside itself; metrics other than RSI are not kept."""
    closes = _walk(600, seed=1, digits=2)
    whole = Closes(closes, source=SeriesIndicators(closes))
    inner = whole.window(100, 500).window(20, 380)
    metric = Metric(Fn.RSI, 10)
    assert inner == tuple(closes[120:480]) and inner.offset == 120
    end = len(inner) - 1
    assert inner.precomputed(metric, end) == indicators.value(metric, inner, end)
    assert inner.precomputed(Metric(Fn.MOVING_AVERAGE_PRICE, 20), end) is None
    assert Closes(closes).precomputed(metric, end) is None
    # The source holds every session, the window answers for its own only: not after its
    # newest close, not where the 250 closes would start before its oldest.
    assert whole.precomputed(metric, len(closes) - 1) is not None
    assert inner.precomputed(metric, len(inner)) is None
    assert inner.precomputed(metric, 248) is None and inner.precomputed(metric, 249) is not None
