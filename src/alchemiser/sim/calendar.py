"""The NYSE trading calendar: sessions with their open and close instants.

Rule: loaded once from `exchange-calendars`, then pure look-ups on sorted tuples.
"""

import bisect
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import exchange_calendars

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DAY = date(2016, 1, 1)
LAST_DAY = date(2030, 12, 31)


@dataclass(frozen=True)
class Session:
    """One trading day: its date and the regular session's open and close (UTC)."""

    day: date
    open: datetime
    close: datetime

    @property
    def minutes(self) -> int:
        """Number of one-minute bars in the regular session."""
        return int((self.close - self.open).total_seconds() // 60)


@dataclass(frozen=True)
class ClockState:
    """What Alpaca's /v2/clock reports for one instant."""

    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


class MarketCalendar:
    """Sessions of the New York Stock Exchange between FIRST_DAY and LAST_DAY."""

    def __init__(self, sessions: tuple[Session, ...]) -> None:
        self.sessions = sessions
        self._days = tuple(s.day for s in sessions)
        self._closes = tuple(s.close for s in sessions)

    def index_of(self, day: date) -> int | None:
        """Position of the session on `day`, or None when the market is closed that day."""
        i = bisect.bisect_left(self._days, day)
        if i < len(self._days) and self._days[i] == day:
            return i
        return None

    def between(self, start: date, end: date) -> tuple[Session, ...]:
        """Sessions whose date lies in [start, end]."""
        lo = bisect.bisect_left(self._days, start)
        hi = bisect.bisect_right(self._days, end)
        return self.sessions[lo:hi]

    def first_closing_after(self, now: datetime) -> int:
        """Index of the first session whose close is strictly after `now`."""
        return bisect.bisect_right(self._closes, now)

    def completed_count(self, now: datetime) -> int:
        """Number of sessions (from the first) that have closed at or before `now`."""
        return bisect.bisect_right(self._closes, now)

    def current(self, now: datetime) -> Session | None:
        """The session in progress at `now`, if the market is open."""
        i = self.first_closing_after(now)
        if i < len(self.sessions) and self.sessions[i].open <= now:
            return self.sessions[i]
        return None

    def clock(self, now: datetime) -> ClockState:
        """Whether the market is open at `now`, and the next open and close."""
        i = self.first_closing_after(now)
        if i >= len(self.sessions) - 1:
            raise ValueError(f"{now.isoformat()} is beyond the simulated calendar")
        session = self.sessions[i]
        is_open = session.open <= now
        next_open = self.sessions[i + 1].open if is_open else session.open
        return ClockState(
            timestamp=now, is_open=is_open, next_open=next_open, next_close=session.close
        )


@cache
def nyse() -> MarketCalendar:
    """The NYSE calendar, built once per process (takes about a second)."""
    with warnings.catch_warnings():
        # exchange-calendars 4.13 reads tz-aware Series.values, which pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        raw = exchange_calendars.get_calendar(
            "XNYS", start=FIRST_DAY.isoformat(), end=LAST_DAY.isoformat()
        )
    schedule = raw.schedule
    sessions = tuple(
        Session(
            day=label.date(),
            open=opened.to_pydatetime().astimezone(UTC),
            close=closed.to_pydatetime().astimezone(UTC),
        )
        for label, opened, closed in zip(
            schedule.index, schedule["open"], schedule["close"], strict=True
        )
    )
    return MarketCalendar(sessions)
