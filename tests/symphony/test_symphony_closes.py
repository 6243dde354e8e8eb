"""Closes and DailyBars: converted and checked once, and every shortcut equals the plain way."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.errors import DataUnavailable
from alchemiser.symphony import evaluate, parse, requirements
from alchemiser.symphony.closes import Closes, first_invalid, is_valid
from alchemiser.symphony.evaluator import check_closes
from alchemiser.worker.broker.port import Bar, DailyBars
from alchemiser.worker.market import PriceHistory

CLOSE = st.one_of(
    st.floats(min_value=0.01, max_value=1e6),
    st.sampled_from([0.0, -1.0, math.nan, math.inf, -math.inf]),
    st.integers(min_value=-3, max_value=500),
)


def _plain_last_invalid(values: tuple[float, ...]) -> int:
    return max((i for i, c in enumerate(values) if not is_valid(c)), default=-1)


@settings(max_examples=300, deadline=None)
@given(st.lists(CLOSE, max_size=40), st.data())
def test_a_window_knows_its_newest_invalid_close_as_one_built_afresh_does(
    values: list[float], data: st.DataObject
) -> None:
    """For any closes (bad ones anywhere) and any window, Closes.window equals Closes of the
    slice: the same floats and the same newest invalid index, found by reading every close."""
    whole = Closes(values)
    assert whole == tuple(map(float, values))
    assert whole.last_invalid == _plain_last_invalid(whole)
    start = data.draw(st.integers(0, len(values)))
    stop = data.draw(st.integers(start, len(values)))
    window = whole.window(start, stop)
    afresh = Closes(whole[start:stop])
    assert type(window) is Closes and window == afresh
    assert window.last_invalid == afresh.last_invalid == _plain_last_invalid(afresh)
    for count in range(len(window) + 1):
        assert window.newest_valid(count) == (first_invalid(window[len(window) - count :]) is None)


def _bars(closes: list[float]) -> list[Bar]:
    day = datetime(2025, 1, 2, 5, tzinfo=UTC)
    return [Bar(day + timedelta(days=i), c) for i, c in enumerate(closes)]


def test_daily_bars_read_as_the_bars_they_were_made_of() -> None:
    """DailyBars.of keeps every bar (index, negative index, slices, iteration) and a window is
    the same as slicing the plain list."""
    plain = _bars([10.0, 11.0, 0.0, 12.5, 13.0])
    bars = DailyBars.of(plain)
    assert list(bars) == plain and len(bars) == 5
    assert bars[-1] == plain[-1] and bars[1] == plain[1]
    assert list(bars[1:4]) == plain[1:4] and list(bars[::2]) == plain[::2]
    assert list(bars.window(3, 5)) == plain[3:5] and bars.window(3, 5).closes.last_invalid == -1
    assert bars.window(0, 3).closes.last_invalid == 2
    inner = bars.window(1, 5).window(1, 3)  # a window of a window shares the timestamps
    assert list(inner) == plain[2:4] and inner.timestamps == (
        plain[2].timestamp,
        plain[3].timestamp,
    )
    assert inner.timestamp(1) == plain[3].timestamp and inner[-1] == plain[3]
    with pytest.raises(IndexError):
        inner.timestamp(2)
    with pytest.raises(ValueError, match="2 timestamps for 1 closes"):
        DailyBars(bars.timestamps[:2], Closes([1.0]))


def test_price_history_keeps_closes_it_is_given_and_reports_as_before() -> None:
    """A Closes is kept as it is (not copied); a plain series becomes one; an invalid close is
    named the same way either way."""
    good = Closes([1.0, 2.0, 3.0])
    history = PriceHistory({"SPY": good, "TLT": [1, 2]})  # type: ignore[dict-item]
    assert history.closes["SPY"] is good
    assert type(history.closes["TLT"]) is Closes and history.closes["TLT"] == (1.0, 2.0)
    for series in ((1.0, math.nan, 0.0, 2.0), Closes((1.0, math.nan, 0.0, 2.0))):
        with pytest.raises(DataUnavailable, match=r"SPY has an invalid close: nan"):
            PriceHistory({"SPY": series}).closes_for("SPY")


TEXT = """(defsymphony "t" {}
  (if (> (rsi "AAA" {:window 3}) 50) [(asset "AAA" nil)] [(asset "BBB" nil)]))"""


def test_the_evaluator_decides_and_refuses_the_same_on_closes_as_on_plain_tuples() -> None:
    """check_closes and evaluate give the same series, weights and messages for Closes as for the
    plain tuples they hold, whether the bad close is inside the needed tail or before it."""
    symphony = parse(TEXT)
    needs = requirements(symphony)
    rows = {"AAA": [5.0 + (i % 7) for i in range(260)], "BBB": [9.0] * 260}
    plain = {s: tuple(v) for s, v in rows.items()}
    checked = {s: Closes(v) for s, v in rows.items()}
    assert check_closes(needs, checked) == check_closes(needs, plain)
    assert evaluate(symphony, checked).weights == evaluate(symphony, plain).weights
    early = {**plain, "AAA": (math.nan, *plain["AAA"][1:])}  # before the 250 closes read
    assert check_closes(needs, {s: Closes(v) for s, v in early.items()}) == check_closes(
        needs, early
    )
    late = {**plain, "AAA": (*plain["AAA"][:-2], 0.0, plain["AAA"][-1])}
    messages = []
    for closes in (late, {s: Closes(v) for s, v in late.items()}):
        with pytest.raises(DataUnavailable) as raised:
            check_closes(needs, closes)
        messages.append(str(raised.value))
    assert messages[0] == messages[1] == "AAA: invalid close 0.0"
