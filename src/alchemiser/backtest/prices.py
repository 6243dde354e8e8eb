"""The prices a backtest may know at an instant, and the next price after it.

Rule: pure look-ups over data loaded beforehand; no I/O. Two kinds of series:

- `DailyPrices` (CSV files, Alpaca daily bars, or the paper exchange's daily bars):
  the only prints are the sessions' closes, each at its session's close instant. At
  a decision during session D the latest price known is D-1's close; the next price
  after it is D's close.
- `IntradayPrices` (the paper exchange's own series): a print every minute, exactly
  the latest trade the paper exchange reports at that instant.

A price that the data does not have is None, never a neighbour's value: the caller
fails that day closed.
"""

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from alchemiser.sim.calendar import MarketCalendar
from alchemiser.sim.prices import PriceModel

_MINUTE = timedelta(minutes=1)


class Prices(Protocol):
    """What the backtest broker reads prices from."""

    def symbols(self) -> frozenset[str]:
        """Symbols with any data."""
        ...

    def close(self, symbol: str, day: date) -> float | None:
        """The session's (split- and dividend-adjusted) close, or None when missing."""
        ...

    def quote(self, symbol: str, at: datetime) -> float | None:
        """The latest price printed at or before `at`."""
        ...

    def next_print(self, symbol: str, at: datetime) -> float | None:
        """The first price printed strictly after `at`, in the same session."""
        ...


@dataclass(frozen=True)
class SessionTable:
    """NYSE sessions (day, open, close) in time order, for instant-to-session look-ups."""

    days: tuple[date, ...]
    opens: tuple[datetime, ...]
    closes: tuple[datetime, ...]

    @classmethod
    def of(cls, sessions: Iterable[tuple[date, datetime, datetime]]) -> "SessionTable":
        """Build from (day, open UTC, close UTC) triples."""
        rows = list(sessions)
        return cls(
            days=tuple(r[0] for r in rows),
            opens=tuple(r[1] for r in rows),
            closes=tuple(r[2] for r in rows),
        )

    def closed_before(self, at: datetime) -> int:
        """How many sessions closed at or before `at`."""
        return bisect.bisect_right(self.closes, at)

    def index_at_or_after(self, day: date) -> int:
        """Position of the first session dated `day` or later."""
        return bisect.bisect_left(self.days, day)

    def index(self, day: date) -> int | None:
        """Position of the session dated `day`, or None."""
        i = bisect.bisect_left(self.days, day)
        return i if i < len(self.days) and self.days[i] == day else None


class DailyPrices:
    """Closes per symbol and session; prints only at session closes."""

    def __init__(self, closes: Mapping[str, Mapping[date, float]], table: SessionTable) -> None:
        self._closes = {symbol: dict(rows) for symbol, rows in closes.items()}
        self._table = table

    def symbols(self) -> frozenset[str]:
        """Symbols with any data."""
        return frozenset(self._closes)

    def close(self, symbol: str, day: date) -> float | None:
        """The session's close, or None."""
        return self._closes.get(symbol, {}).get(day)

    def quote(self, symbol: str, at: datetime) -> float | None:
        """The close of the last session that closed at or before `at`."""
        done = self._table.closed_before(at)
        if done == 0:
            return None
        return self.close(symbol, self._table.days[done - 1])

    def next_print(self, symbol: str, at: datetime) -> float | None:
        """The close of the session in progress at `at` (None outside a session)."""
        i = self._table.closed_before(at)
        if i >= len(self._table.days) or not self._table.opens[i] <= at:
            return None
        return self.close(symbol, self._table.days[i])


class IntradayPrices:
    """The paper exchange's deterministic series: daily closes and minute prints."""

    def __init__(self, model: PriceModel, symbols: Sequence[str] = ()) -> None:
        self._model = model
        self._calendar: MarketCalendar = model.calendar
        self._known = frozenset(symbols)
        self._daily: dict[str, dict[date, float]] = {}

    def symbols(self) -> frozenset[str]:
        """Any ticker has a series; these are the ones asked for so far or declared."""
        return self._known | frozenset(self._daily)

    def close(self, symbol: str, day: date) -> float | None:
        """The paper exchange's daily close for the session."""
        closes = self._daily.get(symbol)
        if closes is None:
            closes = dict(
                zip(
                    (session.day for session in self._calendar.sessions),
                    self._model.daily_closes(symbol),
                    strict=True,
                )
            )
            self._daily[symbol] = closes
        return closes.get(day)

    def quote(self, symbol: str, at: datetime) -> float | None:
        """The paper exchange's latest trade at `at`."""
        try:
            return self._model.last_trade(symbol, at).price
        except ValueError:  # before the simulated calendar
            return None

    def next_print(self, symbol: str, at: datetime) -> float | None:
        """The latest trade one minute on: the next minute's print (the close at the end)."""
        session = self._calendar.current(at)
        if session is None:
            return None
        minute = at.replace(second=0, microsecond=0) + _MINUTE
        return self._model.last_trade(symbol, min(minute, session.close)).price
