"""The risk engine: every planned order is passed or rejected with a reason.

Rule: pure. An order is never split, resized or rewritten here; it passes as planned
or is rejected with a reason a person can act on. Orders are judged in sequence, so
the run-wide limits (orders per run, daily notional, buying power) count the orders
passed before them. Checks, in order: halt, ReduceOnly, allow-list, tradable, price, no
shorting, maxOrdersPerRun, maxOrderNotional, maxDailyNotional, price collar (limit
orders), buying power (buys), maxPositionFraction after the order (buys). A re-peg
(the unfilled rest of a limit order, priced afresh) is judged like any order, with
its leg's filled part counted against maxOrderNotional and its limit held within the
collar of both the new latest trade and the trade the leg was planned at, so
re-pegs never chase a moving price beyond the collar.

An order that passes comes out as an `ApprovedOrder`, which only `check` can make;
the executor accepts nothing else, so no order reaches the broker unjudged.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alchemiser.worker import valuation
from alchemiser.worker.broker.port import OrderKind, Side
from alchemiser.worker.planner import PlannedOrder

EPSILON = 1e-9


@dataclass(frozen=True)
class Limits:
    """The spec's risk limits."""

    max_order_notional: float = 10_000.0
    max_position_fraction: float = 0.5
    max_daily_notional: float = 100_000.0
    max_orders_per_run: int = 40
    price_collar_percent: float = 5.0
    allowed_symbols: frozenset[str] = frozenset()  # explicit list from the spec; empty = none given


@dataclass(frozen=True)
class RiskContext:
    """Everything the checks read, as of the start of one phase of the run."""

    limits: Limits
    equity: float
    holdings: Mapping[str, float]  # quantity held per symbol
    position_values: Mapping[str, float]  # USD value held per symbol
    prices: Mapping[str, float]  # latest trade per symbol
    buying_power: float  # what buys may spend in this phase
    strategy_symbols: frozenset[str] = frozenset()  # the allow-list when none is given
    untradable: frozenset[str] = frozenset()  # the broker says these cannot be traded
    today_notional: float = 0.0  # submitted today before this run's legs, from the broker
    orders_before: int = 0  # orders this run already passed in earlier phases
    halted_by: str | None = None  # a Halt-mode TradingHalt is active
    reduce_only_by: str | None = None  # a ReduceOnly TradingHalt is active
    leg_filled_notional: float = 0.0  # a re-peg: USD its leg already filled
    planned_prices: Mapping[str, float] = field(default_factory=dict)  # a re-peg: leg's plan price


# Held only by this module: an ApprovedOrder made anywhere but check() is refused.
_APPROVAL = object()


@dataclass(frozen=True)
class ApprovedOrder:
    """A planned order the risk engine passed; only `check` makes one (TypeError otherwise)."""

    order: PlannedOrder
    held: float  # the quantity of the symbol held when it was approved
    approval: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.approval is not _APPROVAL:
            raise TypeError("an ApprovedOrder is made only by risk.check")


@dataclass(frozen=True)
class Decision:
    """The verdict on one order: `reason` is set exactly when it was rejected."""

    order: PlannedOrder
    reason: str | None = None
    approved: ApprovedOrder | None = None  # set by check() exactly when it passed

    @property
    def passed(self) -> bool:
        """True when the order may be sent."""
        return self.approved is not None


@dataclass
class _Tally:
    orders: int
    notional: float
    spent: float = 0.0
    added: dict[str, float] = field(default_factory=dict)


def check(orders: Sequence[PlannedOrder], context: RiskContext) -> tuple[Decision, ...]:
    """Judge each order in sequence; return one decision per order, in the same order."""
    tally = _Tally(orders=context.orders_before, notional=context.today_notional)
    decisions = []
    for order in orders:
        reason = _reason(order, context, tally)
        if reason is not None:
            decisions.append(Decision(order=order, reason=reason))
        else:
            held = context.holdings.get(order.symbol, 0.0)
            approved = ApprovedOrder(order=order, held=held, approval=_APPROVAL)
            decisions.append(Decision(order=order, approved=approved))
            value = _notional(order, context)
            tally.orders += 1
            tally.notional += value
            if order.side is Side.BUY:
                tally.spent += value
                tally.added[order.symbol] = tally.added.get(order.symbol, 0.0) + value
    return tuple(decisions)


def _reason(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    for rule in _RULES:
        reason = rule(order, context, tally)
        if reason is not None:
            return reason
    return None


def _halt(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if context.halted_by is not None:
        return f"TradingHalt {context.halted_by} (Halt) forbids new orders"
    return None


def reduce_only_refusal(order: PlannedOrder, held: float, halts: str | None) -> str | None:
    """Under ReduceOnly halts (`halts` names them) only a sell of at most `held` passes.

    The one home of the rule: the risk check applies it, and so does the pipeline's
    gate before each submission, when a ReduceOnly halt appears mid-run.
    """
    if halts is None:
        return None
    if order.side is Side.SELL and order.qty is not None and order.qty <= held + EPSILON:
        return None
    return f"TradingHalt {halts} (ReduceOnly) allows only position-reducing orders"


def _reduce_only(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    held = context.holdings.get(order.symbol, 0.0)
    return reduce_only_refusal(order, held, context.reduce_only_by)


def _allowed(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    explicit = context.limits.allowed_symbols
    if explicit:
        if order.symbol in explicit:
            return None
        return f"{order.symbol} is not in allowedSymbols"
    # No list given: the strategies' symbols may be bought; anything held may be sold.
    if order.symbol in context.strategy_symbols:
        return None
    if order.side is Side.SELL and context.holdings.get(order.symbol, 0.0) > 0:
        return None
    return f"{order.symbol} is not a symbol of this strategy's allocations"


def _tradable(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if order.symbol in context.untradable:
        return f"{order.symbol} is not tradable at the broker"
    return None


def _priced(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if context.prices.get(order.symbol, 0.0) > 0:
        return None
    return f"no latest price for {order.symbol}"


def _no_short(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if order.side is Side.BUY:
        return None
    held = context.holdings.get(order.symbol, 0.0)
    if order.qty is None:
        return "a sell must state a quantity"
    if order.qty > held + EPSILON:
        return f"sell of {order.qty:g} {order.symbol} exceeds the {held:g} held"
    return None


def _per_run(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    limit = context.limits.max_orders_per_run
    if tally.orders + 1 > limit:
        return f"maxOrdersPerRun {limit} reached"
    return None


def _order_notional(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    value = _notional(order, context)
    filled = context.leg_filled_notional
    limit = context.limits.max_order_notional
    if value + filled > limit + EPSILON:
        if filled:
            return (
                f"notional ${value:,.2f} plus ${filled:,.2f} already filled for this leg "
                f"exceeds maxOrderNotional ${limit:,.2f}"
            )
        return f"notional ${value:,.2f} exceeds maxOrderNotional ${limit:,.2f}"
    return None


def _daily(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    value = _notional(order, context)
    limit = context.limits.max_daily_notional
    if tally.notional + value > limit + EPSILON:
        return (
            f"today's notional ${tally.notional:,.2f} plus ${value:,.2f} "
            f"exceeds maxDailyNotional ${limit:,.2f}"
        )
    return None


def _collar(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if order.kind is not OrderKind.LIMIT:
        return None
    if order.limit_price is None:
        return "a limit order without a limit price"
    references = [("the latest trade", context.prices[order.symbol])]
    planned = context.planned_prices.get(order.symbol)
    if planned is not None:
        references.append(("the trade the order was planned at", planned))
    collar = context.limits.price_collar_percent
    for what, price in references:
        percent = abs(order.limit_price / price - 1) * 100
        if percent > collar + EPSILON:
            return (
                f"limit ${order.limit_price:g} is {percent:.2f}% from {what} "
                f"${price:g}, beyond priceCollarPercent {collar:g}"
            )
    return None


def _buying_power(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if order.side is Side.SELL:
        return None
    value = _notional(order, context)
    left = context.buying_power - tally.spent
    if value > left + EPSILON:
        return f"notional ${value:,.2f} exceeds the ${max(left, 0.0):,.2f} buying power left"
    return None


def _position(order: PlannedOrder, context: RiskContext, tally: _Tally) -> str | None:
    if order.side is Side.SELL:
        return None
    held = context.position_values.get(order.symbol, 0.0) + tally.added.get(order.symbol, 0.0)
    after = (held + _notional(order, context)) / context.equity if context.equity > 0 else 1.0
    limit = context.limits.max_position_fraction
    if after > limit + 1e-6:
        return (
            f"{order.symbol} would be {after:.1%} of equity, above maxPositionFraction {limit:.1%}"
        )
    return None


def _notional(order: PlannedOrder, context: RiskContext) -> float:
    latest = context.prices.get(order.symbol) or order.reference_price
    return valuation.amount_value(order, latest)


_RULES = (
    _halt,
    _reduce_only,
    _allowed,
    _tradable,
    _priced,
    _no_short,
    _per_run,
    _order_notional,
    _daily,
    _collar,
    _buying_power,
    _position,
)
