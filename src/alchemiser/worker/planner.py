"""The order planner: from target weights and the account as it is, the orders to send.

Rule: pure (no I/O, no clock, no environment). Trade only where a symbol's weight
drifts from its target by more than the rebalance threshold. Sells are planned
from the current holdings and never exceed them; a sell to a zero target closes
the whole position. Buys are planned separately, from the account as it is after
the sells (`plan_buys` on a fresh view, or `after_sells` for a dry run), and are
scaled down together to fit the cash actually available minus the reserve:
sizing is the planner's job, so the risk engine never has to resize anything.
A re-peg (`repeg`) is the unfilled rest of a limit order priced again, marketable at
a fresh latest trade.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker import valuation
from alchemiser.worker.broker.port import Account, OrderKind, Position, Side

QTY_DECIMALS = 6  # fractional share precision we send (Alpaca accepts up to 9)
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Holding:
    """A long position: quantity and its market value in USD."""

    qty: float
    market_value: float


@dataclass(frozen=True)
class PortfolioView:
    """The account as the planner sees it."""

    equity: float
    cash_available: float  # what buys may spend: min(cash, buying power), no margin
    holdings: Mapping[str, Holding]
    prices: Mapping[str, float]  # latest trade per symbol
    fractionable: Mapping[str, bool] = field(default_factory=dict)
    untradable: frozenset[str] = frozenset()  # the broker refuses orders in these


def portfolio_view(
    account: Account,
    positions: Sequence[Position],
    prices: Mapping[str, float],
    *,
    fractionable: Mapping[str, bool] | None = None,
    untradable: frozenset[str] = frozenset(),
) -> PortfolioView:
    """The one way a view is built from the broker's account, positions and latest trades.

    Long positions only; a held symbol without a latest trade is priced at the
    position's own current price; buys may spend min(cash, buying power), no margin.
    """
    priced = dict(prices)
    for position in positions:
        priced.setdefault(position.symbol, position.current_price)
    return PortfolioView(
        equity=account.equity,
        cash_available=min(account.cash, account.buying_power),
        holdings={
            p.symbol: Holding(qty=p.qty, market_value=p.market_value)
            for p in positions
            if p.qty > 0
        },
        prices=priced,
        fractionable=dict(fractionable or {}),
        untradable=untradable,
    )


@dataclass(frozen=True)
class PlanSettings:
    """The spec fields that shape a plan."""

    rebalance_threshold: float = 0.01
    cash_reserve_fraction: float = 0.01
    order_kind: OrderKind = OrderKind.MARKET
    price_collar_percent: float = 5.0
    min_notional: float = 1.0  # Alpaca's smallest notional order


@dataclass(frozen=True)
class PlannedOrder:
    """One order the planner wants: exactly one of `qty` and `notional` is set."""

    symbol: str
    side: Side
    reference_price: float
    qty: float | None = None
    notional: float | None = None
    kind: OrderKind = OrderKind.MARKET
    limit_price: float | None = None
    closes_position: bool = False

    @property
    def estimated_notional(self) -> float:
        """USD value of the order at its limit price, or at the reference price."""
        return valuation.amount_value(self, self.reference_price)

    @property
    def amount(self) -> str:
        """The amount as sent, for reports: '12.5 shares' or '$1000.00'."""
        if self.notional is not None:
            return f"${self.notional:.2f}"
        return f"{self.qty:g} shares"


@dataclass(frozen=True)
class Plan:
    """Sells first, then buys."""

    sells: tuple[PlannedOrder, ...]
    buys: tuple[PlannedOrder, ...]

    @property
    def orders(self) -> tuple[PlannedOrder, ...]:
        """Every order, in the order they are sent."""
        return self.sells + self.buys


def plan(view: PortfolioView, targets: Mapping[str, float], settings: PlanSettings) -> Plan:
    """Plan both phases from one view, assuming the sells fill at the reference price."""
    sells = plan_sells(view, targets, settings)
    return Plan(sells=sells, buys=plan_buys(after_sells(view, sells), targets, settings))


def plan_sells(
    view: PortfolioView, targets: Mapping[str, float], settings: PlanSettings
) -> tuple[PlannedOrder, ...]:
    """Return the sells that bring overweight holdings back to their targets."""
    _check(view, targets)
    orders = []
    for symbol in sorted(view.holdings):
        holding = view.holdings[symbol]
        if holding.qty <= 0:
            continue
        drift = holding.market_value / view.equity - targets.get(symbol, 0.0)
        if drift <= settings.rebalance_threshold:
            continue
        price = _price(view, symbol, holding)
        fractional = view.fractionable.get(symbol, False)
        qty = _floor(drift * view.equity / price, fractional)
        closes = targets.get(symbol, 0.0) <= 0.0 or qty >= holding.qty
        if closes:
            qty = holding.qty
        if qty <= 0:
            continue
        orders.append(
            _order(
                symbol=symbol,
                side=Side.SELL,
                price=price,
                qty=qty,
                closes=closes,
                settings=settings,
            )
        )
    return tuple(orders)


def plan_buys(
    view: PortfolioView, targets: Mapping[str, float], settings: PlanSettings
) -> tuple[PlannedOrder, ...]:
    """Return the buys for underweight symbols, scaled to fit the available cash."""
    _check(view, targets)
    wanted: dict[str, float] = {}
    for symbol in sorted(targets):
        held = view.holdings.get(symbol)
        weight = (held.market_value if held else 0.0) / view.equity
        drift = targets[symbol] - weight
        if drift > settings.rebalance_threshold:
            wanted[symbol] = drift * view.equity
    budget = view.cash_available - settings.cash_reserve_fraction * view.equity
    total = sum(wanted.values())
    if not wanted or budget < settings.min_notional:
        return ()
    scale = min(1.0, budget / total)
    orders = []
    for symbol, value in wanted.items():
        order = _buy(view, symbol, value * scale, settings)
        if order is not None:
            orders.append(order)
    return tuple(orders)


def drifting(view: PortfolioView, targets: Mapping[str, float], threshold: float) -> frozenset[str]:
    """Return the symbols whose weight is more than `threshold` away from the target."""
    symbols = set(targets) | {s for s, h in view.holdings.items() if h.qty > 0}
    moved = set()
    for symbol in symbols:
        held = view.holdings.get(symbol)
        weight = (held.market_value if held else 0.0) / view.equity if view.equity > 0 else 0.0
        if abs(targets.get(symbol, 0.0) - weight) > threshold:
            moved.add(symbol)
    return frozenset(moved)


def after_sells(view: PortfolioView, sells: tuple[PlannedOrder, ...]) -> PortfolioView:
    """Return the view as it would be once `sells` filled at their reference prices."""
    holdings = dict(view.holdings)
    cash = view.cash_available
    for order in sells:
        held = holdings[order.symbol]
        qty = order.qty or 0.0
        remaining = max(held.qty - qty, 0.0)
        value = held.market_value * (remaining / held.qty) if held.qty else 0.0
        holdings[order.symbol] = Holding(qty=remaining, market_value=value)
        cash += qty * order.reference_price
    return replace(view, holdings=holdings, cash_available=cash)


def _buy(
    view: PortfolioView, symbol: str, value: float, settings: PlanSettings
) -> PlannedOrder | None:
    price = _price(view, symbol, None)
    fractional = view.fractionable.get(symbol, False)
    if settings.order_kind is OrderKind.MARKET and fractional:
        notional = math.floor(value * 100) / 100
        if notional < settings.min_notional:
            return None
        return PlannedOrder(symbol=symbol, side=Side.BUY, reference_price=price, notional=notional)
    limit = _limit_price(price, Side.BUY, settings)
    cost = limit if limit is not None else price
    qty = _floor(value / cost, fractional and settings.order_kind is OrderKind.MARKET)
    if qty <= 0 or qty * cost < settings.min_notional:
        return None
    return _order(
        symbol=symbol, side=Side.BUY, price=price, qty=qty, closes=False, settings=settings
    )


def _order(
    *,
    symbol: str,
    side: Side,
    price: float,
    qty: float,
    closes: bool,
    settings: PlanSettings,
) -> PlannedOrder:
    return PlannedOrder(
        symbol=symbol,
        side=side,
        reference_price=price,
        qty=qty,
        kind=settings.order_kind,
        limit_price=_limit_price(price, side, settings),
        closes_position=closes,
    )


def repeg(order: PlannedOrder, qty: float, price: float, settings: PlanSettings) -> PlannedOrder:
    """The unfilled `qty` of a limit order again, marketable at the fresh latest trade `price`."""
    if not math.isfinite(price) or price <= 0:
        raise DataUnavailable(f"no price for {order.symbol}")
    return replace(
        order,
        reference_price=price,
        qty=qty,
        notional=None,
        kind=OrderKind.LIMIT,
        limit_price=marketable_limit(price, order.side, settings.price_collar_percent),
    )


def marketable_limit(price: float, side: Side, collar_percent: float) -> float:
    """A marketable limit half-way to the collar, so it fills yet passes the collar check."""
    offset = price * collar_percent / 200
    tick = 100 if price >= 1 else 10_000
    if side is Side.BUY:
        return math.floor((price + offset) * tick) / tick
    return math.ceil((price - offset) * tick) / tick


def _limit_price(price: float, side: Side, settings: PlanSettings) -> float | None:
    if settings.order_kind is not OrderKind.LIMIT:
        return None
    return marketable_limit(price, side, settings.price_collar_percent)


def _price(view: PortfolioView, symbol: str, holding: Holding | None) -> float:
    price = view.prices.get(symbol)
    if (price is None or price <= 0) and holding is not None and holding.qty > 0:
        price = holding.market_value / holding.qty
    if price is None or price <= 0 or not math.isfinite(price):
        raise DataUnavailable(f"no price for {symbol}")
    return price


def _floor(qty: float, fractional: bool) -> float:
    if not fractional:
        return float(math.floor(qty))
    scale = 10.0**QTY_DECIMALS
    return math.floor(qty * scale) / scale


def _check(view: PortfolioView, targets: Mapping[str, float]) -> None:
    if not math.isfinite(view.equity) or view.equity <= 0:
        raise DataUnavailable(f"account equity is {view.equity}; nothing can be planned")
    if any(not math.isfinite(w) or w < 0 for w in targets.values()):
        raise StrategyError("a target weight is negative or not a number")
    if sum(targets.values()) > 1 + WEIGHT_TOLERANCE:
        raise StrategyError(f"target weights sum to {sum(targets.values()):.6f} > 1")
