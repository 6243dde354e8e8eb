"""Deterministic simulated prices: a seeded geometric random walk per symbol.

Rule: pure functions of (seed, symbol, session); no I/O, no clock of its own.
Each symbol's daily bars (open, high, low, close, volume) are drawn for the whole
calendar at once from its own seeded stream. A session's minutes are a Brownian
bridge from that day's open to its close, squeezed inside the day's range and
touching its high and low, so daily bars are the exact aggregate of their minutes.
Symbols with loaded CSV history replay it on its dates and walk on from its ends.
"""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from alchemiser.sim.calendar import NEW_YORK, MarketCalendar, Session
from alchemiser.sim.history import DailyRow, History

_MINUTE = timedelta(minutes=1)
_CACHE_SIZE = 2048
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bar:
    """One OHLCV bar; `timestamp` is the start of its interval (UTC)."""

    timestamp: datetime
    open: float
    high: float
    low: float
    close: float
    volume: int
    trade_count: int
    vwap: float


@dataclass(frozen=True)
class LastTrade:
    """The latest simulated trade of a symbol at some instant."""

    timestamp: datetime
    price: float


@dataclass(frozen=True)
class _DailyPath:
    opens: Array
    highs: Array
    lows: Array
    closes: Array
    volumes: Array
    sigma: float


def round_price(value: float) -> float:
    """Round to cents (or to 1/100 cent below one dollar), as exchanges quote."""
    return round(value, 2 if value >= 1.0 else 4)


def _symbol_key(symbol: str) -> int:
    digest = hashlib.blake2b(symbol.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class PriceModel:
    """Bars and latest trades for any symbol, reproducible for a given seed."""

    def __init__(self, calendar: MarketCalendar, seed: int, history: History | None = None) -> None:
        self.calendar = calendar
        self.seed = seed
        self.history = history or {}
        # Price moves injected through /admin/prices: symbol -> factor on the latest trade
        # (daily bars keep their closes, so last_equity is the session's starting equity).
        self.moves: dict[str, float] = {}
        self._daily: dict[str, _DailyPath] = {}
        self._minutes: OrderedDict[tuple[str, int], Array] = OrderedDict()

    def _path(self, symbol: str) -> _DailyPath:
        path = self._daily.get(symbol)
        if path is None:
            path = self._draw(symbol)
            self._daily[symbol] = path
        return path

    def _draw(self, symbol: str) -> _DailyPath:
        rng = np.random.default_rng([self.seed, _symbol_key(symbol)])
        start = float(np.exp(rng.uniform(np.log(15.0), np.log(450.0))))
        sigma = float(rng.uniform(0.008, 0.03))
        count = len(self.calendar.sessions)
        returns = rng.normal(0.0002, sigma, count)
        gaps = rng.normal(0.0, sigma * 0.25, count)
        base_volume = float(np.exp(rng.uniform(np.log(5e5), np.log(5e7))))
        wicks = np.abs(rng.normal(0.0, sigma * 0.5, (2, count)))
        volumes = np.round(base_volume * np.exp(rng.normal(0.0, 0.3, count)))
        rows = self.history.get(symbol)
        if rows:
            opens, closes = self._replay(rows, returns, gaps)
        else:
            closes = start * np.exp(np.cumsum(returns))
            opens = np.concatenate(([start], closes[:-1])) * np.exp(gaps)
        highs = np.maximum(opens, closes) * np.exp(wicks[0])
        lows = np.minimum(opens, closes) * np.exp(-wicks[1])
        for i, session in enumerate(self.calendar.sessions):
            row = rows.get(session.day) if rows else None
            if row is not None:
                highs[i], lows[i], volumes[i] = row.high, row.low, round(row.volume)
        return _DailyPath(opens, highs, lows, closes, np.maximum(volumes, 1.0), sigma)

    def _replay(
        self, rows: dict[date, DailyRow], returns: Array, gaps: Array
    ) -> tuple[Array, Array]:
        """Opens and closes that follow the CSV on its dates and the walk elsewhere."""
        sessions = self.calendar.sessions
        known = [i for i, s in enumerate(sessions) if s.day in rows]
        if not known:
            raise ValueError("CSV history has no date inside the simulated calendar")
        opens = np.empty(len(sessions))
        closes = np.empty(len(sessions))
        first = known[0]
        for i, session in enumerate(sessions[first:], start=first):
            row = rows.get(session.day)
            if row is not None:
                opens[i], closes[i] = row.open, row.close
            else:
                opens[i] = closes[i - 1] * np.exp(gaps[i])
                closes[i] = closes[i - 1] * np.exp(returns[i])
        for i in range(first - 1, -1, -1):
            closes[i] = opens[i + 1] / np.exp(gaps[i + 1])
            opens[i] = closes[i] / np.exp(returns[i]) * np.exp(gaps[i])
        return opens, closes

    def _minute_matrix(self, symbol: str, index: int) -> Array:
        """Rows of (open, high, low, close, volume) for each minute of one session."""
        key = (symbol, index)
        cached = self._minutes.get(key)
        if cached is not None:
            self._minutes.move_to_end(key)
            return cached
        path = self._path(symbol)
        count = self.calendar.sessions[index].minutes
        day_open, day_close = path.opens[index], path.closes[index]
        high, low = path.highs[index], path.lows[index]
        rng = np.random.default_rng([self.seed, _symbol_key(symbol), index])
        step = path.sigma / np.sqrt(count)
        walk = np.concatenate(([0.0], np.cumsum(rng.normal(0.0, step, count))))
        fraction = np.arange(count + 1) / count
        line = np.log(day_open) + fraction * (np.log(day_close) - np.log(day_open))
        bridge = walk - fraction * walk[-1]
        prices = np.exp(line + _squeeze(line, bridge, np.log(high), np.log(low)))
        prices[0], prices[-1] = day_open, day_close
        opens, closes = prices[:-1], prices[1:]
        wicks = np.abs(rng.normal(0.0, step * 0.5, (2, count)))
        highs = np.minimum(np.maximum(opens, closes) * np.exp(wicks[0]), high)
        lows = np.maximum(np.minimum(opens, closes) * np.exp(-wicks[1]), low)
        highs[int(np.argmax(highs))] = high
        lows[int(np.argmin(lows))] = low
        shape = 1.0 + 1.5 * (2.0 * fraction[:-1] - 1.0) ** 2
        volumes = np.maximum(1.0, np.floor(path.volumes[index] * shape / shape.sum()))
        volumes[-1] = max(1.0, volumes[-1] + path.volumes[index] - volumes.sum())
        matrix = np.stack([opens, highs, lows, closes, volumes], axis=1)
        self._minutes[key] = matrix
        if len(self._minutes) > _CACHE_SIZE:
            self._minutes.popitem(last=False)
        return matrix

    def minute_bars(self, symbol: str, index: int, count: int | None = None) -> list[Bar]:
        """The first `count` (default all) one-minute bars of session `index`."""
        session = self.calendar.sessions[index]
        matrix = self._minute_matrix(symbol, index)
        rows = matrix if count is None else matrix[:count]
        return [_bar(session.open + _MINUTE * i, row) for i, row in enumerate(rows.tolist())]

    def daily_bar(self, symbol: str, index: int) -> Bar:
        """The whole-session bar of session `index`, stamped at midnight New York time."""
        path = self._path(symbol)
        session: Session = self.calendar.sessions[index]
        midnight = datetime.combine(session.day, datetime.min.time(), NEW_YORK)
        volume = int(path.volumes[index])
        high, low = float(path.highs[index]), float(path.lows[index])
        close = float(path.closes[index])
        return Bar(
            timestamp=midnight,
            open=round_price(float(path.opens[index])),
            high=round_price(high),
            low=round_price(low),
            close=round_price(close),
            volume=volume,
            trade_count=max(1, volume // 120),
            vwap=round((high + low + close) / 3.0, 4),
        )

    def daily_closes(self, symbol: str) -> list[float]:
        """Every session's close, as `daily_bar(symbol, i).close` gives it, in session order."""
        return [round_price(float(close)) for close in self._path(symbol).closes]

    def last_trade(self, symbol: str, now: datetime) -> LastTrade:
        """The price a trade at `now` would print, times any injected move of the symbol."""
        trade = self._last_trade(symbol, now)
        factor = self.moves.get(symbol)
        if factor is None:
            return trade
        return LastTrade(timestamp=trade.timestamp, price=round_price(trade.price * factor))

    def _last_trade(self, symbol: str, now: datetime) -> LastTrade:
        """The last completed minute's close at `now` (the last session's close when shut)."""
        session = self.calendar.current(now)
        if session is not None:
            index = self.calendar.index_of(session.day)
            assert index is not None
            minute = int((now - session.open).total_seconds() // 60)
            matrix = self._minute_matrix(symbol, index)
            if minute == 0:
                return LastTrade(timestamp=now, price=round_price(float(matrix[0, 0])))
            stamp = session.open + _MINUTE * minute
            return LastTrade(timestamp=stamp, price=round_price(float(matrix[minute - 1, 3])))
        done = self.calendar.completed_count(now)
        if done == 0:
            raise ValueError(f"no simulated prices before {self.calendar.sessions[0].day}")
        last = self.calendar.sessions[done - 1]
        return LastTrade(timestamp=last.close, price=self.daily_bar(symbol, done - 1).close)


def _squeeze(line: Array, bridge: Array, log_high: float, log_low: float) -> Array:
    """Shrink the bridge's excursions just enough to keep the path inside [low, high]."""
    factor = 1.0
    up = bridge > 0
    if up.any():
        factor = min(factor, float(np.min((log_high - line[up]) / bridge[up])))
    down = bridge < 0
    if down.any():
        factor = min(factor, float(np.min((log_low - line[down]) / bridge[down])))
    return bridge * max(factor, 0.0)


def _bar(stamp: datetime, row: list[float]) -> Bar:
    o, h, lo, c, v = row
    volume = int(v)
    return Bar(
        timestamp=stamp,
        open=round_price(o),
        high=round_price(h),
        low=round_price(lo),
        close=round_price(c),
        volume=volume,
        trade_count=max(1, volume // 120),
        vwap=round((h + lo + c) / 3.0, 4),
    )
