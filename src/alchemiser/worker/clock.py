"""Market hours: the broker's clock, cross-checked with the NYSE calendar.

Rule: the market is open only when the broker says so AND the real NYSE calendar
(exchange-calendars' XNYS) has a session open at the broker's own timestamp; so
holidays and early closes are closed even if a broker (or the paper exchange) is
wrong. There is no bypass. The calendar is asked about the broker's timestamp, not
this machine's clock, so a skewed pod clock cannot open the market.

The calendar's sessions (open and close of each) are read once per process from the
package's table (alchemiser.worker.calendar, written from exchange-calendars and
checked against it by the tests) and then looked up by bisection: importing
exchange-calendars and pandas and building a calendar cost about a second of a pod's
start, and a backtest asks for thousands of sessions. A timestamp outside the span
fails closed.
"""

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources

from alchemiser.errors import MarketClosed
from alchemiser.worker.broker.port import BrokerClock

EXCHANGE = "XNYS"
CALENDAR_START = date(1990, 1, 1)
CALENDAR_END = date(2035, 12, 31)


@dataclass(frozen=True)
class Session:
    """The open session a run trades in."""

    day: date
    close: datetime  # UTC
    previous: date  # the last completed session: the newest daily bar a strategy may read


@dataclass(frozen=True)
class _Sessions:
    days: tuple[date, ...]
    opens: tuple[datetime, ...]  # UTC
    closes: tuple[datetime, ...]  # UTC


@cache
def _sessions() -> _Sessions:
    text = resources.files("alchemiser.worker.calendar").joinpath("xnys.txt").read_text()
    days, opens, closes = [], [], []
    for line in text.splitlines():
        day, opened, closed = line.split()
        year, month, dom = int(day[:4]), int(day[5:7]), int(day[8:10])
        days.append(date(year, month, dom))
        opens.append(datetime(year, month, dom, int(opened[:2]), int(opened[3:]), tzinfo=UTC))
        closes.append(datetime(year, month, dom, int(closed[:2]), int(closed[3:]), tzinfo=UTC))
    if (
        not days
        or days[0] > CALENDAR_START.replace(day=3)
        or days[-1] < CALENDAR_END.replace(day=30)
    ):
        raise MarketClosed("the NYSE session table is missing or truncated; refusing to guess")
    return _Sessions(days=tuple(days), opens=tuple(opens), closes=tuple(closes))


def open_session(clock: BrokerClock) -> Session:
    """Return the session open at the broker's timestamp, or raise MarketClosed saying why."""
    if clock.timestamp.tzinfo is None:
        raise MarketClosed("the broker clock has no time zone; refusing to guess")
    at = clock.timestamp.astimezone(UTC).replace(second=0, microsecond=0)
    table = _sessions()
    if not table.opens[1] <= at < table.closes[-1]:
        raise MarketClosed(
            f"{clock.timestamp} is outside the NYSE calendar's span "
            f"({CALENDAR_START} to {CALENDAR_END}); refusing to guess"
        )
    if not clock.is_open:
        raise MarketClosed(f"the broker clock says the market is closed at {clock.timestamp}")
    # The first session whose close is after `at`; open when its open is at or before it.
    index = bisect.bisect_right(table.closes, at)
    if not table.opens[index] <= at:
        raise MarketClosed(
            f"the NYSE calendar has no open session at {clock.timestamp} "
            "(weekend, holiday or after an early close) although the broker said open"
        )
    return Session(
        day=table.days[index],
        close=table.closes[index],
        previous=table.days[index - 1],
    )


def sessions_between(start: date, end: date) -> tuple[tuple[date, datetime, datetime], ...]:
    """The NYSE sessions dated in [start, end]: (day, open UTC, close UTC), oldest first."""
    if start < CALENDAR_START or end > CALENDAR_END:
        raise MarketClosed(
            f"{start} to {end} is outside the NYSE calendar's span "
            f"({CALENDAR_START} to {CALENDAR_END})"
        )
    table = _sessions()
    lo = bisect.bisect_left(table.days, start)
    hi = bisect.bisect_right(table.days, end)
    return tuple(zip(table.days[lo:hi], table.opens[lo:hi], table.closes[lo:hi], strict=True))
