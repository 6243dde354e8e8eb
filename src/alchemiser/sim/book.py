"""The order book of one paper account: cash, positions, orders, and their fills.

Rule: no I/O of its own and no clock; the caller passes `now` and serialises
access (the server holds an asyncio lock). Every change is handed to the Store.
Fills happen at the simulated last trade, across a fixed spread, plus slippage.
"""

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from alchemiser.sim.assets import Asset, lookup, lookup_id
from alchemiser.sim.calendar import MarketCalendar
from alchemiser.sim.orders import OrderIntent, Refusal, forbidden, not_found, unprocessable
from alchemiser.sim.prices import PriceModel, round_price
from alchemiser.sim.records import Account, Order, Position
from alchemiser.sim.store import Store

_SHARE_STEP = Decimal("0.000000001")
_CENT = Decimal("0.01")
_BPS = Decimal("0.0001")
_CLOSED_BUFFER = Decimal("1.03")


@dataclass(frozen=True)
class Valuation:
    """Prices of a position at some instant."""

    current_price: Decimal
    lastday_price: Decimal


@dataclass(frozen=True)
class AccountView:
    """Account figures at some instant."""

    account: Account
    long_market_value: Decimal
    last_equity: Decimal
    buying_power: Decimal

    @property
    def equity(self) -> Decimal:
        """Cash plus the market value of positions."""
        return self.account.cash + self.long_market_value


@dataclass
class Book:
    """Cash, positions and orders of the single paper account, with matching."""

    calendar: MarketCalendar
    prices: PriceModel
    store: Store
    account: Account
    slippage_bps: Decimal = Decimal(0)
    spread_bps: Decimal = Decimal(2)
    orders: dict[str, Order] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    working: dict[str, Order] = field(default_factory=dict)
    _by_client_id: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        *,
        calendar: MarketCalendar,
        prices: PriceModel,
        store: Store,
        cash: Decimal,
        now: datetime,
        slippage_bps: Decimal = Decimal(0),
    ) -> "Book":
        """Load the book from the store, or start a fresh account with `cash`."""
        loaded = store.load()
        if loaded is None:
            account = Account(
                id=str(uuid.uuid4()),
                account_number="PA" + uuid.uuid4().hex[:10].upper(),
                cash=cash,
                created_at=now,
            )
            store.save_account(account)
            return cls(calendar, prices, store, account, slippage_bps=slippage_bps)
        account, orders, positions = loaded
        book = cls(calendar, prices, store, account, slippage_bps=slippage_bps)
        book.orders = {o.id: o for o in orders}
        book._by_client_id = {o.client_order_id: o.id for o in orders}
        book.working = {o.id: o for o in orders if o.is_open}
        book.positions = {p.symbol: p for p in positions}
        return book

    # ---------------------------------------------------------------- prices

    def last_price(self, symbol: str, now: datetime) -> Decimal:
        """The simulated last trade of `symbol` at `now`."""
        return Decimal(str(self.prices.last_trade(symbol, now).price))

    def valuation(self, symbol: str, now: datetime) -> Valuation:
        """Current and previous-session prices for a position."""
        current = self.last_price(symbol, now)
        done = self.calendar.completed_count(now)
        back = 1 if self.calendar.current(now) is not None else 2
        index = max(0, done - back)
        lastday = Decimal(str(self.prices.daily_bar(symbol, index).close))
        return Valuation(current_price=current, lastday_price=lastday)

    def _half_spread(self, price: Decimal) -> Decimal:
        return price * self.spread_bps * _BPS / 2

    def _fill_price(self, order: Order, price: Decimal) -> Decimal | None:
        """The execution price now, or None when a limit order is not marketable."""
        half = self._half_spread(price)
        if order.side == "buy":
            touch = _tick(price + half)
            if order.type == "limit":
                assert order.limit_price is not None
                return min(order.limit_price, touch) if touch <= order.limit_price else None
            slipped = touch * (1 + self.slippage_bps * _BPS)
        else:
            touch = _tick(price - half)
            if order.type == "limit":
                assert order.limit_price is not None
                return max(order.limit_price, touch) if touch >= order.limit_price else None
            slipped = touch * (1 - self.slippage_bps * _BPS)
        return _tick(slipped)

    # ---------------------------------------------------------------- views

    def held_for_sells(self, symbol: str, now: datetime) -> Decimal:
        """Shares reserved by open sell orders of `symbol`."""
        held = Decimal(0)
        for order in self.working.values():
            if order.side == "sell" and order.symbol == symbol:
                held += self._remaining_qty(order, now)
        return held

    def _remaining_qty(self, order: Order, now: datetime) -> Decimal:
        if order.qty is not None:
            return order.qty - order.filled_qty
        price = self.last_price(order.symbol, now)
        return (_unfilled_notional(order) / price).quantize(_SHARE_STEP, rounding=ROUND_DOWN)

    def _reserved_for_buys(self, now: datetime) -> Decimal:
        reserved = Decimal(0)
        for order in self.working.values():
            if order.side == "buy":
                reserved += self._cost(order, now)
        return reserved

    def _cost(self, order: Order, now: datetime) -> Decimal:
        if order.notional is not None:
            return _unfilled_notional(order)
        assert order.qty is not None
        reference = order.limit_price or self.buy_reference(order.symbol, now)
        return (order.qty - order.filled_qty) * reference

    def buy_reference(self, symbol: str, now: datetime) -> Decimal:
        """Price a market buy is valued at for buying power, as Alpaca does: the ask while
        the session is open, and the last trade plus a 3% buffer while it is closed."""
        price = self.last_price(symbol, now)
        if self.calendar.current(now) is not None:
            return _tick(price + self._half_spread(price))
        return price * _CLOSED_BUFFER

    def view(self, now: datetime) -> AccountView:
        """Account figures valued at `now`."""
        value = Decimal(0)
        last = Decimal(0)
        for position in self.positions.values():
            prices = self.valuation(position.symbol, now)
            value += position.qty * prices.current_price
            last += position.qty * prices.lastday_price
        cash = self.account.cash
        return AccountView(
            account=self.account,
            long_market_value=value.quantize(_CENT),
            last_equity=(cash + last).quantize(_CENT),
            buying_power=self.buying_power(now),
        )

    def buying_power(self, now: datetime) -> Decimal:
        """Cash not reserved by open buy orders (a cash account: no margin)."""
        free = self.account.cash - self._reserved_for_buys(now)
        return max(Decimal(0), free).quantize(_CENT)

    def get(self, order_id: str) -> Order:
        """The order with this id, or a 404."""
        order = self.orders.get(order_id)
        if order is None:
            raise not_found("order not found")
        return order

    def by_client_order_id(self, client_order_id: str) -> Order:
        """The order with this client_order_id, or a 404."""
        order_id = self._by_client_id.get(client_order_id)
        if order_id is None:
            raise not_found("order not found")
        return self.orders[order_id]

    def position(self, symbol_or_id: str) -> Position:
        """The open position in a symbol (or asset id), or a 404."""
        position = self.positions.get(symbol_or_id.upper())
        if position is None:
            position = next(
                (p for p in self.positions.values() if p.asset_id == symbol_or_id), None
            )
        if position is None:
            raise not_found("position does not exist")
        return position

    def sorted_orders(self) -> list[Order]:
        """Every order, oldest first."""
        return sorted(self.orders.values(), key=lambda o: (o.submitted_at, o.seq))

    # ---------------------------------------------------------------- changes

    def submit(self, intent: OrderIntent, now: datetime, *, partial: bool = False) -> Order:
        """Accept an order (it fills on the next `advance`); refuse it like Alpaca would."""
        client_order_id = intent.client_order_id or str(uuid.uuid4())
        if client_order_id in self._by_client_id:
            raise unprocessable("client_order_id must be unique")
        asset = intent.asset
        self._check_funds(intent, asset, now)
        session_index = self.calendar.first_closing_after(now)
        expires = (
            self.calendar.sessions[session_index].close
            if intent.time_in_force == "day" and session_index < len(self.calendar.sessions)
            else None
        )
        order = Order(
            id=str(uuid.uuid4()),
            client_order_id=client_order_id,
            seq=self.account.next_seq,
            symbol=asset.symbol,
            asset_id=asset.id,
            side=intent.side,
            type=intent.type,
            time_in_force=intent.time_in_force,
            qty=intent.qty,
            notional=intent.notional,
            limit_price=intent.limit_price,
            extended_hours=intent.extended_hours,
            position_intent=intent.position_intent
            or ("buy_to_open" if intent.side == "buy" else "sell_to_close"),
            status="accepted",
            created_at=now,
            updated_at=now,
            submitted_at=now,
            expires_at=expires,
            partial=partial and intent.time_in_force != "fok",
        )
        self.account.next_seq += 1
        self.orders[order.id] = order
        self.working[order.id] = order
        self._by_client_id[client_order_id] = order.id
        self.store.save_account(self.account)
        self._save(order)
        return replace(order)

    def _check_funds(self, intent: OrderIntent, asset: Asset, now: datetime) -> None:
        if intent.side == "buy":
            if intent.notional is not None:
                cost = intent.notional
            else:
                assert intent.qty is not None
                cost = intent.qty * (intent.limit_price or self.buy_reference(asset.symbol, now))
            if cost > self.buying_power(now):
                raise forbidden("insufficient buying power")
            return
        price = self.last_price(asset.symbol, now)
        held = self.held_for_sells(asset.symbol, now)
        position = self.positions.get(asset.symbol)
        existing = position.qty if position is not None else Decimal(0)
        wanted = intent.qty
        if wanted is None:
            assert intent.notional is not None
            wanted = (intent.notional / price).quantize(_SHARE_STEP, rounding=ROUND_DOWN)
        available = existing - held
        if wanted > available:
            raise forbidden(
                f"insufficient qty available for order (requested: {_text(wanted)}, "
                f"available: {_text(available)})",
                symbol=asset.symbol,
                existing_qty=_text(existing),
                held_for_orders=_text(held),
                available=_text(available),
            )

    def advance(self, now: datetime) -> None:
        """Fill marketable orders and expire day orders, as of `now`."""
        session = self.calendar.current(now)
        for order in list(self.working.values()):
            if order.expires_at is not None and now >= order.expires_at:
                self._finish(order, "expired", order.expires_at)
                continue
            if session is None:
                if order.time_in_force in ("ioc", "fok"):
                    self._finish(order, "canceled", now)
                continue
            if order.hold_remainder:
                continue
            self._try_fill(order, now)

    def _try_fill(self, order: Order, now: datetime) -> None:
        price = self.last_price(order.symbol, now)
        execution = self._fill_price(order, price)
        if execution is None:
            if order.time_in_force in ("ioc", "fok"):
                self._finish(order, "canceled", now)
            return
        if order.qty is not None:
            remaining = order.qty - order.filled_qty
        else:
            remaining = (_unfilled_notional(order) / execution).quantize(
                _SHARE_STEP, rounding=ROUND_DOWN
            )
        if order.side == "sell":
            position = self.positions.get(order.symbol)
            remaining = min(remaining, position.qty if position is not None else Decimal(0))
        if remaining <= 0:
            self._finish(order, "canceled", now)
            return
        quantity = remaining
        if order.partial:
            whole = remaining == remaining.to_integral_value()
            half = (remaining / 2).quantize(
                Decimal(1) if whole else _SHARE_STEP, rounding=ROUND_DOWN
            )
            if half > 0:
                quantity = half
        self._execute(order, quantity, execution, now)
        if quantity < remaining:
            order.status = "partially_filled"
            order.hold_remainder = True
        else:
            order.status = "filled"
            order.filled_at = now
        order.updated_at = now
        self._save(order)

    def _execute(self, order: Order, quantity: Decimal, price: Decimal, now: datetime) -> None:
        value = (quantity * price).quantize(_CENT, rounding=ROUND_HALF_EVEN)
        position = self.positions.get(order.symbol)
        if order.side == "buy":
            self.account.cash -= value
            if position is None:
                position = Position(order.symbol, order.asset_id, Decimal(0), Decimal(0))
                self.positions[order.symbol] = position
            position.qty += quantity
            position.cost_basis += value
        else:
            assert position is not None
            self.account.cash += value
            average = position.cost_basis / position.qty
            position.qty -= quantity
            position.cost_basis = (position.cost_basis - average * quantity).quantize(_CENT)
        previous = order.filled_qty
        order.filled_qty = previous + quantity
        old_avg = order.filled_avg_price or Decimal(0)
        average_price = (old_avg * previous + price * quantity) / order.filled_qty
        order.filled_avg_price = average_price.quantize(Decimal("0.0001"))
        self.store.save_account(self.account)
        if position.qty <= 0:
            del self.positions[order.symbol]
            self.store.delete_position(order.symbol)
        else:
            self.store.save_position(position)

    def _finish(self, order: Order, status: str, when: datetime) -> None:
        order.status = status
        order.updated_at = when
        if status == "canceled":
            order.canceled_at = when
        elif status == "expired":
            order.expired_at = when
        self._save(order)

    def _save(self, order: Order) -> None:
        if not order.is_open:
            self.working.pop(order.id, None)
        self.store.save_order(order)

    def reject(self, order_id: str, now: datetime) -> None:
        """Reject an accepted order after the fact, as a venue sometimes does."""
        order = self.get(order_id)
        order.status = "rejected"
        order.failed_at = now
        order.updated_at = now
        self._save(order)

    def cancel(self, order_id: str, now: datetime) -> None:
        """Cancel an open order; 404 when unknown, 422 when already done."""
        order = self.get(order_id)
        if not order.is_open:
            raise Refusal(422, 42210000, f"order is not cancelable (status: {order.status})")
        self._finish(order, "canceled", now)

    def cancel_all(self, now: datetime) -> list[Order]:
        """Cancel every open order; returns the cancelled ones."""
        cancelled = sorted(self.working.values(), key=lambda o: (o.submitted_at, o.seq))
        for order in cancelled:
            self._finish(order, "canceled", now)
        return cancelled

    def close_position(
        self,
        symbol_or_id: str,
        now: datetime,
        *,
        qty: Decimal | None = None,
        percentage: Decimal | None = None,
    ) -> Order:
        """Submit a market order selling all (or `qty`, or `percentage` of) a position."""
        position = self.position(symbol_or_id)
        amount = position.qty
        if qty is not None:
            amount = qty
        elif percentage is not None:
            if percentage > 100:
                raise unprocessable("percentage must be between 0 and 100")
            amount = (position.qty * percentage / 100).quantize(_SHARE_STEP, rounding=ROUND_DOWN)
        asset = lookup(position.symbol) or lookup_id(position.asset_id)
        assert asset is not None
        intent = OrderIntent(
            asset=asset,
            side="sell",
            type="market",
            time_in_force="day",
            qty=amount,
            notional=None,
            limit_price=None,
            client_order_id=None,
        )
        return self.submit(intent, now)


def _unfilled_notional(order: Order) -> Decimal:
    """Dollars of a notional order not yet filled."""
    assert order.notional is not None
    spent = order.filled_qty * (order.filled_avg_price or Decimal(0))
    return max(Decimal(0), order.notional - spent)


def _tick(price: Decimal) -> Decimal:
    """A price on the exchange's tick grid (cents, or 1/100 cent below a dollar)."""
    return Decimal(str(round_price(float(price))))


def _text(number: Decimal) -> str:
    return format(number.normalize(), "f")
