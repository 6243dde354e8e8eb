"""The backtest broker: the worker's broker port over recorded prices and a simulated clock.

Rule: no I/O and no real clock; the replay sets `now`. It answers the pipeline as a
cash account at a broker would, and fills every order at once by the stated model:

- the latest price the pipeline sees (planner, risk engine) is `Prices.quote(now)`;
- a market order fills in full at the next price after the decision
  (`Prices.next_print(now)`; `FillModel.timing="quote"` fills at the quote instead, as
  the paper exchange does), moved against the order by `slippage_bps`, on the tick
  grid; a limit order fills the same way if that price is within its limit, else it
  expires unfilled (a day order that was never marketable);
- commission per order: `commission_per_order` USD plus `commission_bps` of the value;
- quantities and cash in decimals, as the paper exchange counts them: notional buys
  get floor(notional / price) to 1e-9 shares, values are rounded to cents.

Only completed sessions' bars are returned, whatever the request asks, so nothing
after the simulated instant can reach a strategy. Each symbol's bars are kept once as
DailyBars and answered as windows of it; their closes carry the symbol's RSI computed
over every session at once (vectorised.py), which a window gives only for sessions
inside itself, each value from the closes up to that session. A symbol without a price today makes
`latest_prices` raise DataUnavailable: the run fails before any order.
"""

import bisect
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from alchemiser.backtest.prices import Prices, SessionTable
from alchemiser.backtest.vectorised import SeriesIndicators
from alchemiser.errors import DataUnavailable, OrderRejected
from alchemiser.sim.assets import lookup
from alchemiser.sim.prices import round_price
from alchemiser.symphony.closes import Closes
from alchemiser.worker.broker.port import (
    Account,
    Asset,
    Bar,
    BrokerClock,
    BrokerOrder,
    DailyBars,
    OrderKind,
    OrderRequest,
    Position,
    Side,
)

NEW_YORK = ZoneInfo("America/New_York")
_SHARE_STEP = Decimal("0.000000001")
_CENT = Decimal("0.01")
_BPS = Decimal("0.0001")


@dataclass(frozen=True)
class FillModel:
    """How orders fill: at the next price after the decision (default) or at the quote."""

    timing: Literal["next", "quote"] = "next"
    slippage_bps: float = 0.0
    commission_per_order: float = 0.0
    commission_bps: float = 0.0

    def describe(self) -> str:
        """One sentence for summary.json and the report."""
        when = (
            "the next price after the decision time"
            if self.timing == "next"
            else "the latest price at the decision time"
        )
        return (
            f"orders fill in full at {when}, {self.slippage_bps:g} bps against the order, "
            f"commission ${self.commission_per_order:g} per order plus "
            f"{self.commission_bps:g} bps of the value"
        )


@dataclass(frozen=True)
class Fill:
    """One order as the backtest broker handled it."""

    at: datetime
    session: date
    client_order_id: str
    symbol: str
    side: Side
    kind: OrderKind
    status: str  # filled | expired | rejected
    qty: float  # shares filled
    price: float | None  # execution price
    value: float  # USD traded
    commission: float
    requested: str  # '12.5 shares' or '$1000.00'
    reason: str = ""


@dataclass
class Timings:
    """Seconds spent answering for data and for fills (the bench's split)."""

    data: float = 0.0
    fills: float = 0.0


@dataclass
class _Ledger:
    cash: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)


class BacktestBroker:
    """A cash account replayed over `prices`; serves both worker ports (market, execution)."""

    def __init__(
        self, prices: Prices, table: SessionTable, cash: float, fills: FillModel | None = None
    ) -> None:
        self._prices = prices
        self._table = table
        self._ledger = _Ledger(cash=Decimal(str(cash)))
        self._model = fills or FillModel()
        self._orders: dict[str, BrokerOrder] = {}
        self._bars: dict[str, tuple[tuple[date, ...], DailyBars]] = {}
        self._assets: dict[str, Asset] = {}  # the paper exchange's answer never changes
        self._days: dict[tuple[date, ...], tuple[tuple[date, ...], tuple[datetime, ...]]] = {}
        self._sequence: list[BrokerOrder] = []
        self._times: list[datetime] = []
        self._ids = itertools.count(1)
        self.now: datetime = table.opens[0]
        self.fills: list[Fill] = []
        self.timings = Timings()

    # -- the replay's side -------------------------------------------------------------

    def set_now(self, now: datetime) -> None:
        """Move the simulated clock (forward only)."""
        if now < self.now:
            raise ValueError(f"the simulated clock cannot go back from {self.now} to {now}")
        self.now = now

    def holdings(self) -> dict[str, float]:
        """Shares held per symbol."""
        return {s: float(q) for s, q in self._ledger.positions.items()}

    @property
    def cash(self) -> float:
        """Cash in USD."""
        return float(self._ledger.cash)

    def value_at_close(self, day: date) -> tuple[float, dict[str, float]]:
        """Equity and each position's value at the session's close (None-safe: raises)."""
        values: dict[str, float] = {}
        for symbol, qty in self._ledger.positions.items():
            close = self._prices.close(symbol, day)
            if close is None:
                raise DataUnavailable(f"no {day} close for {symbol}, which is held")
            values[symbol] = float(qty * Decimal(str(close)))
        return float(self._ledger.cash) + sum(values.values()), values

    # -- the port ----------------------------------------------------------------------

    def account(self) -> Account:
        """Cash plus positions at the latest prices; no margin."""
        value = Decimal(0)
        for symbol, qty in self._ledger.positions.items():
            value += qty * self._quote(symbol)
        cash = self._ledger.cash
        return Account(
            equity=float(cash + value.quantize(_CENT)),
            cash=float(cash),
            buying_power=float(max(cash, Decimal(0)).quantize(_CENT)),
        )

    def positions(self) -> Sequence[Position]:
        """Every open position at the latest price."""
        out = []
        for symbol in sorted(self._ledger.positions):
            qty = self._ledger.positions[symbol]
            price = self._quote(symbol)
            out.append(
                Position(
                    symbol=symbol,
                    qty=float(qty),
                    market_value=float((qty * price).quantize(_CENT)),
                    current_price=float(price),
                )
            )
        return out

    def clock(self) -> BrokerClock:
        """The simulated instant and the session around it."""
        i = self._table.closed_before(self.now)
        if i >= len(self._table.days) - 1:
            raise DataUnavailable(f"{self.now} is after the backtest's last session")
        is_open = self._table.opens[i] <= self.now
        return BrokerClock(
            timestamp=self.now,
            is_open=is_open,
            next_open=self._table.opens[i + 1] if is_open else self._table.opens[i],
            next_close=self._table.closes[i],
        )

    def assets(self, symbols: Sequence[str]) -> Mapping[str, Asset]:
        """Tradability as on the paper exchange (any US ticker: tradable, fractionable)."""
        found = {}
        for symbol in symbols:
            known = self._assets.get(symbol)
            if known is None:
                asset = lookup(symbol)
                if asset is None:
                    raise DataUnavailable(f"asset {symbol} is unknown to the backtest broker")
                known = self._assets[symbol] = Asset(symbol, asset.tradable, asset.fractionable)
            found[symbol] = known
        return found

    def daily_bars(
        self, symbols: Sequence[str], start: datetime, end: datetime
    ) -> Mapping[str, Sequence[Bar]]:
        """Bars of completed sessions dated in [start, end]; a missing close is left out."""
        began = time.perf_counter()
        done = self._table.closed_before(self.now)
        last_done = self._table.days[done - 1] if done else date.min
        first = start.astimezone(NEW_YORK).date()
        last = min(end.astimezone(NEW_YORK).date(), last_done)
        bars: dict[str, Sequence[Bar]] = {}
        spans: dict[int, tuple[int, int]] = {}  # symbols with the same sessions share one tuple
        for symbol in symbols:
            days, series = self._series(symbol)
            span = spans.get(id(days))
            if span is None:
                lo = bisect.bisect_left(days, first)
                span = spans[id(days)] = (lo, max(lo, bisect.bisect_right(days, last)))
            bars[symbol] = series.window(*span)
        self.timings.data += time.perf_counter() - began
        return bars

    def _series(self, symbol: str) -> tuple[tuple[date, ...], DailyBars]:
        """The symbol's bars on the table's sessions, built once (a backtest asks daily)."""
        cached = self._bars.get(symbol)
        if cached is None:
            pairs = [
                (day, close)
                for day in self._table.days
                if (close := self._prices.close(symbol, day)) is not None
            ]
            closes = [close for _, close in pairs]
            days = tuple(day for day, _ in pairs)
            # One days tuple (and its timestamps) per distinct set of sessions: symbols that
            # share it share one bisect per request.
            days, stamps = self._days.setdefault(days, (days, tuple(map(_midnight, days))))
            cached = (
                days,
                DailyBars(
                    stamps,
                    Closes(closes, source=SeriesIndicators(closes)),
                ),
            )
            self._bars[symbol] = cached
        return cached

    def latest_prices(self, symbols: Sequence[str]) -> Mapping[str, float]:
        """The quote per symbol; DataUnavailable when a symbol cannot be priced or filled today."""
        began = time.perf_counter()
        prices = {symbol: float(self._quote(symbol)) for symbol in symbols}
        for symbol in symbols:
            self._fill_reference(symbol)
        self.timings.data += time.perf_counter() - began
        return prices

    def submit(self, order: OrderRequest) -> BrokerOrder:
        """Fill (or expire) the order at once by the fill model; OrderRejected like a broker."""
        began = time.perf_counter()
        try:
            return self._submit(order)
        finally:
            self.timings.fills += time.perf_counter() - began

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """The order with this client order id, if any."""
        return self._orders.get(client_order_id)

    def orders_since(self, after: datetime) -> Sequence[BrokerOrder]:
        """Orders submitted after `after`, oldest first."""
        # Orders are recorded in time order (the clock only moves forward).
        first = bisect.bisect_right(self._times, after)
        return self._sequence[first:]

    def cancel(self, order_id: str) -> None:
        """Every backtest order is done at once, so none can be canceled."""
        raise OrderRejected(f"order {order_id} is not cancelable: it is already done")

    # -- fills -------------------------------------------------------------------------

    def _quote(self, symbol: str) -> Decimal:
        price = self._prices.quote(symbol, self.now)
        if price is None or price <= 0:
            raise DataUnavailable(f"no price for {symbol} at {self.now:%Y-%m-%d %H:%M} UTC")
        return Decimal(str(price))

    def _fill_reference(self, symbol: str) -> Decimal:
        if self._model.timing == "quote":
            return self._quote(symbol)
        price = self._prices.next_print(symbol, self.now)
        if price is None or price <= 0:
            raise DataUnavailable(
                f"no price for {symbol} after {self.now:%Y-%m-%d %H:%M} UTC to fill at"
            )
        return Decimal(str(price))

    def _submit(self, order: OrderRequest) -> BrokerOrder:
        if order.client_order_id in self._orders:
            raise OrderRejected("client_order_id must be unique")
        if (order.qty is None) == (order.notional is None):
            raise OrderRejected("exactly one of qty and notional must be set")
        reference = self._fill_reference(order.symbol)
        price = _slipped(reference, order.side, Decimal(str(self._model.slippage_bps)))
        if order.kind is OrderKind.LIMIT and not _within_limit(price, order):
            return self._record(
                order,
                status="expired",
                qty=Decimal(0),
                price=None,
                value=Decimal(0),
                commission=Decimal(0),
                reason="",
            )
        qty = _quantity(order, price)
        value = (qty * price).quantize(_CENT, rounding=ROUND_HALF_EVEN)
        commission = self._commission(value)
        held = self._ledger.positions.get(order.symbol, Decimal(0))
        if order.side is Side.SELL and qty > held:
            raise OrderRejected(
                f"insufficient qty available for order (requested: {qty}, available: {held})"
            )
        if order.side is Side.BUY and value + commission > self._ledger.cash:
            raise OrderRejected(
                f"insufficient buying power: ${value + commission} needed, "
                f"${self._ledger.cash} available"
            )
        if qty <= 0:
            raise OrderRejected(f"the order for {order.symbol} comes to no shares")
        self._apply(order.symbol, order.side, qty, value, commission)
        return self._record(
            order,
            status="filled",
            qty=qty,
            price=price,
            value=value,
            commission=commission,
            reason="",
        )

    def _commission(self, value: Decimal) -> Decimal:
        fee = (
            Decimal(str(self._model.commission_per_order))
            + value * Decimal(str(self._model.commission_bps)) * _BPS
        )
        return fee.quantize(_CENT, rounding=ROUND_HALF_EVEN) if value > 0 else Decimal(0)

    def _apply(
        self, symbol: str, side: Side, qty: Decimal, value: Decimal, commission: Decimal
    ) -> None:
        ledger = self._ledger
        held = ledger.positions.get(symbol, Decimal(0))
        if side is Side.BUY:
            ledger.cash -= value + commission
            ledger.positions[symbol] = held + qty
            return
        ledger.cash += value - commission
        rest = held - qty
        if rest > 0:
            ledger.positions[symbol] = rest
        else:
            del ledger.positions[symbol]

    def _record(
        self,
        order: OrderRequest,
        *,
        status: str,
        qty: Decimal,
        price: Decimal | None,
        value: Decimal,
        commission: Decimal,
        reason: str,
    ) -> BrokerOrder:
        placed = BrokerOrder(
            id=f"bt-{next(self._ids)}",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            status=status,
            qty=order.qty,
            notional=order.notional,
            filled_qty=float(qty),
            filled_avg_price=float(price) if price is not None and qty > 0 else None,
            limit_price=order.limit_price,
            submitted_at=self.now,
        )
        self._orders[order.client_order_id] = placed
        self._sequence.append(placed)
        self._times.append(self.now)
        self.fills.append(
            Fill(
                at=self.now,
                session=self._session_day(),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                side=order.side,
                kind=order.kind,
                status=status,
                qty=float(qty),
                price=float(price) if price is not None and qty > 0 else None,
                value=float(value),
                commission=float(commission),
                requested=_requested(order),
                reason=reason,
            )
        )
        return placed

    def _session_day(self) -> date:
        i = self._table.closed_before(self.now)
        return self._table.days[min(i, len(self._table.days) - 1)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), NEW_YORK)


def _slipped(price: Decimal, side: Side, bps: Decimal) -> Decimal:
    factor = 1 + bps * _BPS if side is Side.BUY else 1 - bps * _BPS
    return Decimal(str(round_price(float(price * factor))))


def _within_limit(price: Decimal, order: OrderRequest) -> bool:
    if order.limit_price is None:
        return False
    limit = Decimal(str(order.limit_price))
    return price <= limit if order.side is Side.BUY else price >= limit


def _quantity(order: OrderRequest, price: Decimal) -> Decimal:
    if order.qty is not None:
        return Decimal(str(order.qty))
    assert order.notional is not None
    return (Decimal(str(order.notional)) / price).quantize(_SHARE_STEP, rounding=ROUND_DOWN)


def _requested(order: OrderRequest) -> str:
    if order.notional is not None:
        return f"${order.notional:.2f}"
    return f"{order.qty:g} shares"


def _qty_text(qty: float | None) -> str:
    return f"{qty or 0.0:.9f}".rstrip("0").rstrip(".")
