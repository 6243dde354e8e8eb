"""Market hours: the broker's clock, cross-checked with the NYSE calendar.

Rule: the market is open only when the broker says so AND the real NYSE calendar
(exchange-calendars, XNYS) has a session open at the broker's own timestamp; so
holidays and early closes are closed even if a broker (or the paper exchange) is
wrong. There is no bypass. The calendar is asked about the broker's timestamp, not
this machine's clock, so a skewed pod clock cannot open the market.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import exchange_calendars

from alchemiser.errors import MarketClosed
from alchemiser.worker.broker.port import BrokerClock

EXCHANGE = "XNYS"
# The calendar is built for a window around the broker's timestamp only: faster
# to load, and a date outside exchange-calendars' range fails loudly.
_WINDOW = timedelta(days=45)


@dataclass(frozen=True)
class Session:
    """The open session a run trades in."""

    day: date
    close: datetime  # UTC
    previous: date  # the last completed session: the newest daily bar a strategy may read


def open_session(clock: BrokerClock) -> Session:
    """Return the session open at the broker's timestamp, or raise MarketClosed saying why."""
    if clock.timestamp.tzinfo is None:
        raise MarketClosed("the broker clock has no time zone; refusing to guess")
    at = clock.timestamp.astimezone(UTC).replace(second=0, microsecond=0)
    calendar: Any = exchange_calendars.get_calendar(
        EXCHANGE, start=(at - _WINDOW).date().isoformat(), end=(at + _WINDOW).date().isoformat()
    )
    if not clock.is_open:
        raise MarketClosed(f"the broker clock says the market is closed at {clock.timestamp}")
    if not calendar.is_open_on_minute(at):
        raise MarketClosed(
            f"the NYSE calendar has no open session at {clock.timestamp} "
            "(weekend, holiday or after an early close) although the broker said open"
        )
    session = calendar.minute_to_session(at)
    return Session(
        day=session.date(),
        close=calendar.session_close(session).to_pydatetime(),
        previous=calendar.previous_session(session).date(),
    )
