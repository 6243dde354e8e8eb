"""The risk engine: every order passes or is rejected with a reason, never resized."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.worker.broker.port import OrderKind, Side
from alchemiser.worker.planner import PlannedOrder
from alchemiser.worker.risk import ApprovedOrder, Limits, RiskContext, check, reduce_only_refusal

SYMBOLS = ["AAA", "BBB", "CCC", "DDD"]
PRICES = {"AAA": 10.0, "BBB": 100.0, "CCC": 250.0, "DDD": 1.5}


@st.composite
def orders(draw: st.DrawFn) -> PlannedOrder:
    """A random planned order: either side, qty or notional, market or limit."""
    symbol = draw(st.sampled_from(SYMBOLS))
    side = draw(st.sampled_from(list(Side)))
    kind = draw(st.sampled_from(list(OrderKind)))
    price = PRICES[symbol]
    limit = price * draw(st.floats(0.8, 1.2)) if kind is OrderKind.LIMIT else None
    if side is Side.BUY and kind is OrderKind.MARKET and draw(st.booleans()):
        return PlannedOrder(symbol, side, price, notional=draw(st.floats(1, 50_000)), kind=kind)
    return PlannedOrder(
        symbol, side, price, qty=draw(st.floats(0.001, 1_000)), kind=kind, limit_price=limit
    )


@st.composite
def contexts(draw: st.DrawFn) -> RiskContext:
    """A random account, limits and halt state."""
    holdings = {s: draw(st.floats(0, 500)) for s in SYMBOLS}
    return RiskContext(
        limits=Limits(
            max_order_notional=draw(st.floats(100, 50_000)),
            max_position_fraction=draw(st.floats(0.05, 1)),
            max_daily_notional=draw(st.floats(1_000, 200_000)),
            max_orders_per_run=draw(st.integers(1, 10)),
            price_collar_percent=draw(st.floats(0.5, 10)),
            allowed_symbols=frozenset(draw(st.lists(st.sampled_from(SYMBOLS), unique=True))),
        ),
        equity=draw(st.floats(1_000, 500_000)),
        holdings=holdings,
        position_values={s: q * PRICES[s] for s, q in holdings.items()},
        prices=PRICES,
        buying_power=draw(st.floats(0, 100_000)),
        strategy_symbols=frozenset(SYMBOLS[:3]),
        today_notional=draw(st.floats(0, 100_000)),
        reduce_only_by=draw(st.sampled_from([None, "calm"])),
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(orders(), max_size=12), contexts())
def test_every_order_gets_one_verdict_and_every_rejection_a_reason(
    planned: list[PlannedOrder], context: RiskContext
) -> None:
    """One decision per order, same order, unchanged; a rejection always says why."""
    decisions = check(planned, context)
    assert [d.order for d in decisions] == planned  # never resized, split or reordered
    for decision in decisions:
        assert decision.passed == (decision.reason is None)
        assert decision.reason is None or decision.reason.strip()
        if decision.approved is not None:
            assert decision.approved.order is decision.order


@settings(max_examples=400, deadline=None)
@given(st.lists(orders(), max_size=12), contexts())
def test_passed_orders_respect_every_limit(
    planned: list[PlannedOrder], context: RiskContext
) -> None:
    """What passes never shorts, never exceeds buying power, per-run or daily limits."""
    passed = [d.order for d in check(planned, context) if d.passed]
    limits = context.limits
    assert len(passed) <= limits.max_orders_per_run

    def value(order: PlannedOrder) -> float:
        if order.notional is not None:
            return order.notional
        return (order.qty or 0) * (order.limit_price or PRICES[order.symbol])

    if passed:
        total = context.today_notional + sum(map(value, passed))
        assert total <= limits.max_daily_notional + 1e-6
    assert sum(value(o) for o in passed if o.side is Side.BUY) <= context.buying_power + 1e-6
    for order in passed:
        assert value(order) <= limits.max_order_notional + 1e-6
        if limits.allowed_symbols:
            assert order.symbol in limits.allowed_symbols
        if order.side is Side.SELL:
            assert order.qty is not None and order.qty <= context.holdings[order.symbol] + 1e-9
        if context.reduce_only_by:
            assert order.side is Side.SELL
        if order.kind is OrderKind.LIMIT:
            assert order.limit_price is not None
            moved = abs(order.limit_price / PRICES[order.symbol] - 1) * 100
            assert moved <= limits.price_collar_percent + 1e-6


def context(**changes: object) -> RiskContext:
    """A roomy context: $100k equity, $50k buying power, 10 AAA held."""
    base = {
        "limits": Limits(),
        "equity": 100_000.0,
        "holdings": {"AAA": 10.0},
        "position_values": {"AAA": 100.0},
        "prices": PRICES,
        "buying_power": 50_000.0,
        "strategy_symbols": frozenset({"AAA", "BBB"}),
    }
    return RiskContext(**(base | changes))  # type: ignore[arg-type]


def reason(order: PlannedOrder, ctx: RiskContext) -> str | None:
    """The single order's rejection reason, or None when it passes."""
    return check([order], ctx)[0].reason


def test_each_rule_names_itself_in_its_reason() -> None:
    """Each limit, when it is the one broken, is named in the rejection."""
    buy = PlannedOrder("BBB", Side.BUY, 100.0, notional=5_000.0)
    assert reason(buy, context()) is None
    assert "allowedSymbols" in (
        reason(buy, context(limits=Limits(allowed_symbols=frozenset({"AAA"})))) or ""
    )
    assert "not a symbol of this strategy" in (
        reason(PlannedOrder("CCC", Side.BUY, 250.0, notional=10.0), context()) or ""
    )
    assert "maxOrderNotional" in (
        reason(buy, context(limits=Limits(max_order_notional=1_000))) or ""
    )
    assert "maxDailyNotional" in (reason(buy, context(today_notional=99_000.0)) or "")
    assert "maxPositionFraction" in (
        reason(buy, context(limits=Limits(max_position_fraction=0.01))) or ""
    )
    assert "buying power" in (reason(buy, context(buying_power=4_000.0)) or "")
    assert "exceeds the 10 held" in (
        reason(PlannedOrder("AAA", Side.SELL, 10.0, qty=11.0), context()) or ""
    )
    assert "ReduceOnly" in (reason(buy, context(reduce_only_by="calm")) or "")
    assert "(Halt)" in (reason(buy, context(halted_by="stop")) or "")
    far = PlannedOrder("BBB", Side.BUY, 100.0, qty=1.0, kind=OrderKind.LIMIT, limit_price=110.0)
    assert "priceCollarPercent" in (reason(far, context()) or "")


def test_run_wide_limits_count_the_orders_passed_before() -> None:
    """maxOrdersPerRun counts earlier phases; later orders are rejected, earlier ones pass."""
    buys = [PlannedOrder("BBB", Side.BUY, 100.0, notional=100.0) for _ in range(3)]
    decisions = check(buys, context(limits=Limits(max_orders_per_run=3), orders_before=1))
    assert [d.passed for d in decisions] == [True, True, False]
    assert "maxOrdersPerRun" in (decisions[2].reason or "")


def test_a_full_exit_passes_under_reduce_only() -> None:
    """Under a ReduceOnly halt, selling what is held passes."""
    sell = PlannedOrder("AAA", Side.SELL, 10.0, qty=10.0, closes_position=True)
    assert reason(sell, context(reduce_only_by="calm")) is None


def test_only_the_risk_engine_can_approve_an_order() -> None:
    """An ApprovedOrder built outside risk.check is refused, so the executor gets judged orders."""
    buy = PlannedOrder("BBB", Side.BUY, 100.0, notional=5_000.0)
    with pytest.raises(TypeError, match=r"only by risk\.check"):
        ApprovedOrder(order=buy, held=0.0, approval=object())
    (decision,) = check([buy], context())
    assert decision.approved is not None and decision.approved.order == buy


def test_the_reduce_only_rule_refuses_buys_and_oversized_sells() -> None:
    """The one ReduceOnly rule: sells of at most what is held pass, buys and larger sells do not."""
    sell = PlannedOrder("AAA", Side.SELL, 10.0, qty=10.0)
    buy = PlannedOrder("AAA", Side.BUY, 10.0, notional=50.0)
    assert reduce_only_refusal(sell, 10.0, "calm") is None
    assert "calm (ReduceOnly)" in (reduce_only_refusal(sell, 9.0, "calm") or "")
    assert "calm (ReduceOnly)" in (reduce_only_refusal(buy, 10.0, "calm") or "")
    assert reduce_only_refusal(buy, 0.0, None) is None
