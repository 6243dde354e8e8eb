"""The broker ports: what a trading run needs from a broker, in the worker's own types.

Two ports, as NautilusTrader keeps them apart: `MarketData` (clock, assets, bars,
latest trades) and `Execution` (account, positions, orders). A run reads the market
through the first and trades through the second; the executor sees only `Execution`.
`Broker` is both, for an adapter that serves both (Alpaca, the paper exchange).

Rule: pure declarations (Protocols and frozen value types), no I/O. Adapters raise
only `BrokerUnavailable` (retryable), `OrderRejected` (permanent), `CredentialsError`
and `DataUnavailable`, never a foreign library's error.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, overload

from alchemiser.symphony.closes import Closes


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"


class OrderKind(StrEnum):
    """Order type as sent to the broker."""

    MARKET = "market"
    LIMIT = "limit"


# Broker order statuses after which nothing more happens to the order.
TERMINAL_STATUSES = frozenset(
    {"filled", "canceled", "expired", "rejected", "done_for_day", "replaced", "stopped"}
)


@dataclass(frozen=True)
class Account:
    """The account figures a run needs, in USD."""

    equity: float
    cash: float
    buying_power: float
    trading_blocked: bool = False
    number: str = ""  # the broker's account number (one strategy per account)
    last_equity: float = 0.0  # equity at the previous session's close (dailyLossPercent)


@dataclass(frozen=True)
class Position:
    """One open long position."""

    symbol: str
    qty: float
    market_value: float
    current_price: float


@dataclass(frozen=True)
class BrokerClock:
    """The broker's market clock at its own timestamp."""

    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True)
class Bar:
    """One daily bar; `timestamp` is the session's start as the broker reports it."""

    timestamp: datetime
    close: float


class DailyBars(Sequence[Bar]):
    """One symbol's daily bars, oldest first, kept as two columns: timestamps and `Closes`.

    `daily_bars` may answer with these (the backtest broker keeps one per symbol and
    slices it every session); the pipeline turns any other sequence of bars into one
    (`DailyBars.of`), so the closes are converted and checked once per run.
    """

    __slots__ = ("_stamps", "_start", "closes")

    def __init__(self, timestamps: tuple[datetime, ...], closes: Closes) -> None:
        """Columns of equal length."""
        if len(timestamps) != len(closes):
            raise ValueError(f"{len(timestamps)} timestamps for {len(closes)} closes")
        self._stamps = timestamps
        self._start = 0  # a window's first bar in _stamps (a window shares its series' stamps)
        self.closes = closes

    @classmethod
    def of(cls, bars: Iterable[Bar]) -> "DailyBars":
        """The bars as columns (each close converted with float() and checked)."""
        listed = tuple(bars)
        return cls(tuple(bar.timestamp for bar in listed), Closes(bar.close for bar in listed))

    @property
    def timestamps(self) -> tuple[datetime, ...]:
        """Each bar's timestamp, oldest first."""
        return self._stamps[self._start : self._start + len(self.closes)]

    def timestamp(self, index: int) -> datetime:
        """The timestamp of bar `index` (0 <= index < len), without slicing the column."""
        if not 0 <= index < len(self.closes):
            raise IndexError(index)
        return self._stamps[self._start + index]

    def window(self, start: int, stop: int) -> "DailyBars":
        """bars[start:stop] for 0 <= start <= stop <= len, without converting anything."""
        made = DailyBars.__new__(DailyBars)
        made._stamps = self._stamps
        made._start = self._start + start
        made.closes = self.closes.window(start, stop)
        return made

    def __len__(self) -> int:
        """The number of bars."""
        return len(self.closes)

    @overload
    def __getitem__(self, index: int) -> Bar: ...

    @overload
    def __getitem__(self, index: slice) -> "DailyBars": ...

    def __getitem__(self, index: int | slice) -> "Bar | DailyBars":
        """One bar, or a slice of them as DailyBars."""
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self.window(start, max(start, stop))
            return DailyBars.of(
                Bar(t, c) for t, c in zip(self.timestamps[index], self.closes[index], strict=True)
            )
        position = index + len(self.closes) if index < 0 else index
        return Bar(self.timestamp(position), self.closes[position])

    def __repr__(self) -> str:
        """Length and span, not every bar."""
        if not self.closes:
            return "DailyBars([])"
        return (
            f"DailyBars({len(self)} bars, {self.timestamp(0)} .. {self.timestamp(len(self) - 1)})"
        )


@dataclass(frozen=True)
class Asset:
    """Tradability of one symbol."""

    symbol: str
    tradable: bool
    fractionable: bool


@dataclass(frozen=True)
class OrderRequest:
    """An order as the worker asks for it: exactly one of `qty` and `notional` is set."""

    symbol: str
    side: Side
    client_order_id: str
    kind: OrderKind = OrderKind.MARKET
    qty: float | None = None
    notional: float | None = None
    limit_price: float | None = None


@dataclass(frozen=True)
class BrokerOrder:
    """An order as the broker reports it."""

    id: str
    client_order_id: str
    symbol: str
    side: Side
    status: str
    qty: float | None
    notional: float | None
    filled_qty: float
    filled_avg_price: float | None
    limit_price: float | None
    submitted_at: datetime | None

    @property
    def is_terminal(self) -> bool:
        """True once the broker will not fill any more of this order."""
        return self.status in TERMINAL_STATUSES


class MarketData(Protocol):
    """The market-data half of a broker: the clock, reference data and prices (reads only)."""

    def clock(self) -> BrokerClock:
        """Return the broker's market clock."""
        ...

    def assets(self, symbols: Sequence[str]) -> Mapping[str, Asset]:
        """Return tradability for each symbol; raises DataUnavailable for an unknown one."""
        ...

    def daily_bars(
        self, symbols: Sequence[str], start: datetime, end: datetime
    ) -> Mapping[str, Sequence[Bar]]:
        """Return daily bars per symbol, oldest first, in a few batched requests."""
        ...

    def latest_prices(self, symbols: Sequence[str]) -> Mapping[str, float]:
        """Return the latest trade price per symbol in one batched request."""
        ...


class Execution(Protocol):
    """The execution half of a broker: the account, its positions and its orders."""

    def account(self) -> Account:
        """Return the account figures."""
        ...

    def positions(self) -> Sequence[Position]:
        """Return every open position."""
        ...

    def submit(self, order: OrderRequest) -> BrokerOrder:
        """Submit one order; raises OrderRejected or BrokerUnavailable."""
        ...

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Return the order with this client order id, or None if the broker has none."""
        ...

    def orders_since(self, after: datetime) -> Sequence[BrokerOrder]:
        """Return every order submitted after `after` (any status)."""
        ...

    def cancel(self, order_id: str) -> None:
        """Ask the broker to cancel an open order."""
        ...


class Broker(MarketData, Execution, Protocol):
    """Both halves in one adapter, as Alpaca and the paper exchange provide them."""
