"""Deterministic simulated prices: a seeded geometric random walk per symbol.

Rule: pure functions of (seed, symbol, session); no I/O, no clock of its own.
Daily closes follow a random walk from the first session of the calendar; each
session's minutes follow a Brownian bridge from that day's open to its close, so
daily bars are exactly the aggregate of their minute bars. Symbols with loaded
CSV history replay it on its dates (minutes kept inside the day's range) and
walk on from its ends.
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
_CACHE_SIZE = 4096


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
    opens: npt.NDArray[np.float64]
    closes: npt.NDArray[np.float64]
    sigma: float
    base_volume: float


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
        self._daily: dict[str, _DailyPath] = {}
        self._minutes: OrderedDict[tuple[str, int], npt.NDArray[np.float64]] = OrderedDict()
        self._day_bars: dict[tuple[str, int], Bar] = {}

    def _path(self, symbol: str) -> _DailyPath:
        path = self._daily.get(symbol)
        if path is None:
            rng = np.random.default_rng([self.seed, _symbol_key(symbol)])
            start = float(np.exp(rng.uniform(np.log(15.0), np.log(450.0))))
            sigma = float(rng.uniform(0.008, 0.03))
            count = len(self.calendar.sessions)
            returns = rng.normal(0.0002, sigma, count)
            gaps = rng.normal(0.0, sigma * 0.25, count)
            closes = start * np.exp(np.cumsum(returns))
            previous = np.concatenate(([start], closes[:-1]))
            opens = previous * np.exp(gaps)
            rows = self.history.get(symbol)
            if rows:
                opens, closes = self._replay(rows, returns, gaps)
            base_volume = float(np.exp(rng.uniform(np.log(5e5), np.log(5e7))))
            path = _DailyPath(opens=opens, closes=closes, sigma=sigma, base_volume=base_volume)
            self._daily[symbol] = path
        return path

    def _replay(
        self,
        rows: dict[date, DailyRow],
        returns: npt.NDArray[np.float64],
        gaps: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
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

    def _minute_matrix(self, symbol: str, index: int) -> npt.NDArray[np.float64]:
        """Rows of (open, high, low, close, volume) for each minute of one session."""
        key = (symbol, index)
        cached = self._minutes.get(key)
        if cached is not None:
            self._minutes.move_to_end(key)
            return cached
        path = self._path(symbol)
        session = self.calendar.sessions[index]
        count = session.minutes
        rng = np.random.default_rng([self.seed, _symbol_key(symbol), index])
        step = path.sigma / np.sqrt(count)
        walk = np.concatenate(([0.0], np.cumsum(rng.normal(0.0, step, count))))
        fraction = np.arange(count + 1) / count
        log_open = np.log(path.opens[index])
        log_close = np.log(path.closes[index])
        logs = log_open + fraction * (log_close - log_open) + walk - fraction * walk[-1]
        prices = np.exp(logs)
        opens, closes = prices[:-1], prices[1:]
        wicks = np.abs(rng.normal(0.0, step * 0.5, (2, count)))
        highs = np.maximum(opens, closes) * np.exp(wicks[0])
        lows = np.minimum(opens, closes) * np.exp(-wicks[1])
        day_volume = path.base_volume * float(np.exp(rng.normal(0.0, 0.3)))
        shape = 1.0 + 1.5 * (2.0 * fraction[:-1] - 1.0) ** 2
        volumes = np.maximum(1.0, np.round(day_volume * shape / shape.sum()))
        matrix = np.stack([opens, highs, lows, closes, volumes], axis=1)
        row = self.history.get(symbol, {}).get(session.day)
        if row is not None:
            matrix[:, :4] = np.clip(matrix[:, :4], row.low, row.high)
            matrix[:, 4] = np.maximum(1.0, np.round(volumes * row.volume / volumes.sum()))
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
        key = (symbol, index)
        bar = self._day_bars.get(key)
        if bar is None:
            session = self.calendar.sessions[index]
            matrix = self._minute_matrix(symbol, index)
            volume = float(matrix[:, 4].sum())
            typical = (matrix[:, 1] + matrix[:, 2] + matrix[:, 3]) / 3.0
            midnight = datetime.combine(session.day, datetime.min.time(), NEW_YORK)
            row = self.history.get(symbol, {}).get(session.day)
            if row is not None:
                bar = Bar(
                    timestamp=midnight,
                    open=round_price(row.open),
                    high=round_price(row.high),
                    low=round_price(row.low),
                    close=round_price(row.close),
                    volume=int(row.volume),
                    trade_count=max(1, int(row.volume / 120)),
                    vwap=round((row.high + row.low + row.close) / 3.0, 4),
                )
                self._day_bars[key] = bar
                return bar
            bar = Bar(
                timestamp=midnight,
                open=round_price(float(matrix[0, 0])),
                high=round_price(float(matrix[:, 1].max())),
                low=round_price(float(matrix[:, 2].min())),
                close=round_price(float(matrix[-1, 3])),
                volume=int(volume),
                trade_count=max(1, int(volume / 120)),
                vwap=round(float((typical * matrix[:, 4]).sum() / volume), 4),
            )
            self._day_bars[key] = bar
        return bar

    def last_trade(self, symbol: str, now: datetime) -> LastTrade:
        """The price a trade at `now` would print: the last completed minute's close."""
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
        last: Session = self.calendar.sessions[done - 1]
        return LastTrade(timestamp=last.close, price=self.daily_bar(symbol, done - 1).close)


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
