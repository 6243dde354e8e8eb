"""PriceHistory: the strategies' only view of market data, failing loudly on gaps."""

import math

import exchange_calendars
import pandas as pd
import pytest

from alchemiser.errors import DataUnavailable
from alchemiser.worker.market import PriceHistory, calendar_days_for


def test_closes_for_returns_the_series_oldest_first() -> None:
    """A present series comes back as given, as a tuple of floats."""
    history = PriceHistory({"SPY": [1, 2.5, 3]})  # type: ignore[dict-item]
    assert history.closes_for("SPY", min_length=3) == (1.0, 2.5, 3.0)
    assert history.symbols() == frozenset({"SPY"})


def test_missing_symbol_is_named() -> None:
    """A symbol with no bars raises DataUnavailable naming it."""
    with pytest.raises(DataUnavailable, match="TLT"):
        PriceHistory({"SPY": (1.0,)}).closes_for("TLT")


def test_too_short_series_is_named() -> None:
    """Fewer closes than needed raises DataUnavailable naming the symbol and both counts."""
    with pytest.raises(DataUnavailable, match=r"SPY has 2 daily bars, 3 are needed"):
        PriceHistory({"SPY": (1.0, 2.0)}).closes_for("SPY", min_length=3)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_invalid_close_is_refused(bad: float) -> None:
    """A zero, negative, NaN or infinite close raises DataUnavailable instead of being used."""
    with pytest.raises(DataUnavailable, match="SPY has an invalid close"):
        PriceHistory({"SPY": (1.0, bad, 2.0)}).closes_for("SPY")


def test_history_cannot_change_after_construction() -> None:
    """Mutating the caller's dict or the history's mapping does not change the history."""
    source = {"SPY": [1.0, 2.0]}
    history = PriceHistory(source)  # type: ignore[arg-type]
    source["SPY"].append(3.0)
    source["TLT"] = [1.0]
    assert history.closes_for("SPY") == (1.0, 2.0)
    with pytest.raises(TypeError):
        history.closes["TLT"] = (1.0,)  # type: ignore[index]


# exchange_calendars trips a pandas deprecation warning inside its own code.
@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray")
@pytest.mark.parametrize("sessions", [1, 5, 20, 200, 250, 260, 1000])
@pytest.mark.parametrize("end", ["2026-11-27", "2026-01-02", "2025-07-07"])
def test_calendar_span_holds_enough_sessions(sessions: int, end: str) -> None:
    """The calendar span for N sessions, ending on a given day, holds at least N NYSE sessions."""
    calendar = exchange_calendars.get_calendar("XNYS", start="2020-01-01")
    last = pd.Timestamp(end)
    first = last - pd.Timedelta(days=calendar_days_for(sessions))
    assert len(calendar.sessions_in_range(first, last)) >= sessions


def test_calendar_span_refuses_negative_sessions() -> None:
    """A negative session count is a caller's bug."""
    with pytest.raises(ValueError, match="sessions"):
        calendar_days_for(-1)
