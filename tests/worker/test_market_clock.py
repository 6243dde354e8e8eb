"""Market hours: the broker clock AND the NYSE calendar must both say open."""

from datetime import UTC, date, datetime, timedelta

import exchange_calendars
import pytest

from alchemiser.errors import MarketClosed
from alchemiser.worker.broker.port import BrokerClock
from alchemiser.worker.clock import open_session


def clock(at: str, is_open: bool = True) -> BrokerClock:
    """A broker clock at `at` (ISO) claiming `is_open`."""
    moment = datetime.fromisoformat(at)
    return BrokerClock(moment, is_open, moment + timedelta(days=1), moment + timedelta(hours=1))


def test_an_ordinary_session_is_open_with_its_previous_session() -> None:
    """10:00 New York on the early-close day is open; the last completed session is the 25th."""
    session = open_session(clock("2026-11-27T10:00:00-05:00"))
    assert session.day == date(2026, 11, 27)
    assert session.previous == date(2026, 11, 25)  # Thanksgiving, the 26th, had no session
    assert session.close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 13:00 New York


@pytest.mark.parametrize(
    "at",
    [
        "2026-11-26T11:00:00-05:00",  # Thanksgiving
        "2026-11-27T13:30:00-05:00",  # after the 13:00 early close
        "2026-11-28T11:00:00-05:00",  # Saturday
        "2026-11-30T09:29:00-05:00",  # before the open
    ],
)
def test_the_calendar_closes_what_a_wrong_broker_calls_open(at: str) -> None:
    """Even when the broker says open, a holiday, early close or weekend is MarketClosed."""
    with pytest.raises(MarketClosed, match="NYSE calendar"):
        open_session(clock(at, is_open=True))


def test_the_broker_saying_closed_is_closed() -> None:
    """A broker clock that says closed wins even inside calendar hours."""
    with pytest.raises(MarketClosed, match="broker clock"):
        open_session(clock("2026-11-30T11:00:00-05:00", is_open=False))


def test_sessions_agree_with_exchange_calendars_minute_by_minute() -> None:
    """Around opens, closes, early closes and holidays the bisected table answers as XNYS does."""
    calendar = exchange_calendars.get_calendar("XNYS", start="2024-11-01", end="2027-01-31")
    start = datetime(2024, 11, 25, tzinfo=UTC)
    for step in range(0, 2 * 365 * 24 * 4):
        at = start + timedelta(minutes=15 * step - (1 if step % 3 == 0 else 0))
        expected = calendar.is_open_on_minute(at)
        try:
            session = open_session(clock(at.isoformat()))
        except MarketClosed:
            assert not expected, at
            continue
        assert expected, at
        label = calendar.minute_to_session(at)
        assert session.day == label.date()
        assert session.previous == calendar.previous_session(label).date()
