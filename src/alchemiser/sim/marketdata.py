"""Market-data queries over the price model: bars by timeframe, pages, latest bar.

Rule: pure; only bars that have completed by the simulated `now` are visible.
Multi-symbol pages run symbol by symbol (alphabetical), then by time, and the
page token names the symbol and timestamp where the next page resumes.
"""

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from alchemiser.sim.calendar import NEW_YORK
from alchemiser.sim.orders import Refusal
from alchemiser.sim.prices import Bar, PriceModel

_TIMEFRAME = re.compile(r"^(\d+)(Min|T|Hour|H|Day|D)$")
_DAY = 24 * 60


@dataclass(frozen=True)
class BarQuery:
    """A validated GET /v2/stocks/bars request."""

    symbols: tuple[str, ...]
    timeframe: int  # minutes per bar; _DAY for daily bars
    start: datetime
    end: datetime
    limit: int
    descending: bool = False
    page_token: str | None = None


@dataclass(frozen=True)
class BarPage:
    """One page of bars keyed by symbol, and where the next page starts."""

    bars: dict[str, list[Bar]]
    next_page_token: str | None


def _bad(message: str) -> Refusal:
    return Refusal(422, 42210000, message)


def parse_timeframe(text: str) -> int:
    """Minutes per bar for `1Min`..`59Min`, `1Hour`..`23Hour` and `1Day`."""
    match = _TIMEFRAME.match(text)
    if match is None:
        raise _bad(f"invalid timeframe: {text!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if unit in ("Min", "T") and 1 <= amount <= 59:
        return amount
    if unit in ("Hour", "H") and 1 <= amount <= 23:
        return amount * 60
    if unit in ("Day", "D") and amount == 1:
        return _DAY
    raise _bad(f"timeframe {text!r} is not supported by the paper exchange")


def encode_token(symbol: str, stamp: datetime) -> str:
    """An opaque page token for resuming at (symbol, stamp)."""
    raw = f"{symbol}|{stamp.astimezone(UTC).isoformat()}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: str) -> tuple[str, datetime]:
    """The (symbol, stamp) a page token resumes at; a 422 if it is not ours."""
    try:
        symbol, _, text = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        return symbol, datetime.fromisoformat(text)
    except ValueError as error:
        raise _bad("invalid page_token") from error


def _aggregate(bars: list[Bar], minutes: int) -> Iterator[tuple[Bar, datetime]]:
    """Group minute bars into clock-aligned bars of `minutes`; yields (bar, end of interval)."""
    width = timedelta(minutes=minutes)
    group: list[Bar] = []
    bucket: datetime | None = None
    for bar in bars:
        epoch = int(bar.timestamp.timestamp() // 60)
        start = datetime.fromtimestamp((epoch - epoch % minutes) * 60, UTC)
        if bucket is not None and start != bucket:
            yield _merge(group, bucket), bucket + width
            group = []
        bucket = start
        group.append(bar)
    if group and bucket is not None:
        yield _merge(group, bucket), bucket + width


def _merge(group: list[Bar], stamp: datetime) -> Bar:
    if len(group) == 1:
        return replace(group[0], timestamp=stamp)
    volume = sum(b.volume for b in group)
    return Bar(
        timestamp=stamp,
        open=group[0].open,
        high=max(b.high for b in group),
        low=min(b.low for b in group),
        close=group[-1].close,
        volume=volume,
        trade_count=sum(b.trade_count for b in group),
        vwap=round(sum(b.vwap * b.volume for b in group) / max(volume, 1), 4),
    )


def symbol_bars(prices: PriceModel, symbol: str, query: BarQuery, now: datetime) -> Iterator[Bar]:
    """Completed bars of one symbol in [start, end], oldest first."""
    calendar = prices.calendar
    first = query.start.astimezone(NEW_YORK).date()
    last = min(query.end, now).astimezone(NEW_YORK).date()
    for session in calendar.between(first, last):
        index = calendar.index_of(session.day)
        assert index is not None
        if query.timeframe == _DAY:
            if session.close > now:
                continue
            bar = prices.daily_bar(symbol, index)
            if query.start <= bar.timestamp <= query.end:
                yield bar
            continue
        if session.open >= now:
            continue
        for bar, ends in _aggregate(prices.minute_bars(symbol, index), query.timeframe):
            if ends > now or bar.timestamp > query.end:
                break
            if bar.timestamp >= query.start:
                yield bar


def bars_page(prices: PriceModel, query: BarQuery, now: datetime) -> BarPage:
    """One page of at most `limit` bars across the query's symbols."""
    resume: tuple[str, datetime] | None = None
    if query.page_token is not None:
        resume = decode_token(query.page_token)
    out: dict[str, list[Bar]] = {}
    taken = 0
    for symbol in query.symbols:
        if resume is not None and symbol < resume[0]:
            continue
        series = list(symbol_bars(prices, symbol, query, now))
        if query.descending:
            series.reverse()
        if resume is not None and symbol == resume[0]:
            mark = resume[1]
            series = [
                b
                for b in series
                if (b.timestamp <= mark if query.descending else b.timestamp >= mark)
            ]
        for bar in series:
            if taken == query.limit:
                return BarPage(out, encode_token(symbol, bar.timestamp))
            out.setdefault(symbol, []).append(bar)
            taken += 1
    return BarPage(out, None)


def latest_minute_bar(prices: PriceModel, symbol: str, now: datetime) -> Bar | None:
    """The last completed one-minute bar at `now` (from the last session if closed)."""
    calendar = prices.calendar
    session = calendar.current(now)
    if session is not None:
        index = calendar.index_of(session.day)
        assert index is not None
        minute = int((now - session.open).total_seconds() // 60)
        if minute > 0:
            return prices.minute_bars(symbol, index, minute)[-1]
    done = calendar.completed_count(now)
    if done == 0:
        return None
    return prices.minute_bars(symbol, done - 1)[-1]


@dataclass(frozen=True)
class DailyPair:
    """Today's bar so far (or the last session's) and the session's before it."""

    daily: Bar | None
    previous: Bar | None


def daily_pair(prices: PriceModel, symbol: str, now: datetime) -> DailyPair:
    """The daily bars a snapshot shows: the current session so far, and the previous one."""
    calendar = prices.calendar
    done = calendar.completed_count(now)
    session = calendar.current(now)
    if session is not None:
        index = calendar.index_of(session.day)
        assert index is not None
        minute = int((now - session.open).total_seconds() // 60)
        so_far = prices.minute_bars(symbol, index, minute) if minute > 0 else []
        midnight = prices.daily_bar(symbol, index).timestamp
        today = _merge(so_far, midnight) if so_far else None
        previous = prices.daily_bar(symbol, done - 1) if done > 0 else None
        return DailyPair(daily=today, previous=previous)
    daily = prices.daily_bar(symbol, done - 1) if done > 0 else None
    previous = prices.daily_bar(symbol, done - 2) if done > 1 else None
    return DailyPair(daily=daily, previous=previous)


def trade_id(symbol: str, stamp: datetime) -> int:
    """A stable trade id for the simulated last trade."""
    digest = hashlib.blake2b(f"{symbol}{stamp.isoformat()}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")
