"""The order planner: properties over random portfolios, and the rules it states."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.broker.port import Account, OrderKind, Position, Side
from alchemiser.worker.planner import (
    Holding,
    PlanSettings,
    PortfolioView,
    after_sells,
    plan,
    plan_buys,
    plan_sells,
    portfolio_view,
)

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[PortfolioView, dict[str, float], PlanSettings]:
    """A random account (holdings, cash, prices, fractionability), targets and settings."""
    prices = {s: draw(st.floats(0.5, 2_000)) for s in SYMBOLS}
    holdings = {}
    for symbol in draw(st.lists(st.sampled_from(SYMBOLS), unique=True)):
        fractional_qty = draw(st.booleans())
        qty = draw(st.floats(0.001, 500)) if fractional_qty else float(draw(st.integers(1, 500)))
        holdings[symbol] = Holding(qty=qty, market_value=qty * prices[symbol])
    cash = draw(st.floats(0, 200_000))
    equity = cash + sum(h.market_value for h in holdings.values())
    if equity <= 0:
        equity = 1.0
    chosen = draw(st.lists(st.sampled_from(SYMBOLS), unique=True, max_size=5))
    raw = [draw(st.floats(0.01, 1)) for _ in chosen]
    total = sum(raw) / draw(st.floats(0.5, 1.0)) if raw else 1.0
    targets = {s: w / total for s, w in zip(chosen, raw, strict=True)}
    view = PortfolioView(
        equity=equity,
        cash_available=cash,
        holdings=holdings,
        prices=prices,
        fractionable={s: draw(st.booleans()) for s in SYMBOLS},
    )
    plan_settings = PlanSettings(
        rebalance_threshold=draw(st.floats(0, 0.1)),
        cash_reserve_fraction=draw(st.floats(0, 0.1)),
        order_kind=draw(st.sampled_from(list(OrderKind))),
    )
    return view, targets, plan_settings


@settings(max_examples=300, deadline=None)
@given(portfolios())
def test_never_sells_more_than_held(
    case: tuple[PortfolioView, dict[str, float], PlanSettings],
) -> None:
    """No sell asks for more shares than the account holds, and each sell states a quantity."""
    view, targets, plan_settings = case
    for order in plan_sells(view, targets, plan_settings):
        assert order.side is Side.SELL
        assert order.qty is not None and 0 < order.qty <= view.holdings[order.symbol].qty


@settings(max_examples=300, deadline=None)
@given(portfolios())
def test_buys_never_exceed_the_cash_available_minus_the_reserve(
    case: tuple[PortfolioView, dict[str, float], PlanSettings],
) -> None:
    """The buys' total cost fits within available cash minus the reserve."""
    view, targets, plan_settings = case
    buys = plan_buys(view, targets, plan_settings)
    budget = view.cash_available - plan_settings.cash_reserve_fraction * view.equity
    spent = sum(order.estimated_notional for order in buys)
    assert spent <= max(budget, 0.0) + 1e-6
    assert all(order.side is Side.BUY and order.estimated_notional > 0 for order in buys)


@settings(max_examples=300, deadline=None)
@given(portfolios())
def test_sells_come_before_buys_and_no_symbol_is_both(
    case: tuple[PortfolioView, dict[str, float], PlanSettings],
) -> None:
    """A plan lists every sell before every buy, and never buys and sells one symbol."""
    view, targets, plan_settings = case
    result = plan(view, targets, plan_settings)
    sides = [order.side for order in result.orders]
    assert sides == sorted(sides, key=lambda side: side is Side.BUY)
    assert not {o.symbol for o in result.sells} & {o.symbol for o in result.buys}


@settings(max_examples=200, deadline=None)
@given(portfolios())
def test_only_symbols_drifting_past_the_threshold_trade(
    case: tuple[PortfolioView, dict[str, float], PlanSettings],
) -> None:
    """Every planned order is for a symbol whose weight is off by more than the threshold."""
    view, targets, plan_settings = case
    for order in plan(view, targets, plan_settings).orders:
        held = view.holdings.get(order.symbol)
        weight = (held.market_value if held else 0.0) / view.equity
        assert abs(targets.get(order.symbol, 0.0) - weight) > plan_settings.rebalance_threshold


def view_of(cash: float, **held: tuple[float, float]) -> PortfolioView:
    """A view with `symbol=(qty, price)` holdings, every symbol fractionable at $100 unless held."""
    holdings = {s: Holding(qty=q, market_value=q * p) for s, (q, p) in held.items()}
    prices = {"SPY": 100.0, "QQQ": 100.0, "TLT": 100.0} | {s: p for s, (_, p) in held.items()}
    return PortfolioView(
        equity=cash + sum(h.market_value for h in holdings.values()),
        cash_available=cash,
        holdings=holdings,
        prices=prices,
        fractionable=dict.fromkeys(prices, True),
    )


def test_a_zero_target_closes_the_whole_position() -> None:
    """A held symbol with no target is sold in full, quantity exactly as held."""
    sells = plan_sells(view_of(1_000, QQQ=(12.345678901, 100.0)), {"SPY": 1.0}, PlanSettings())
    assert len(sells) == 1
    assert sells[0].closes_position and sells[0].qty == 12.345678901


def test_fractionable_market_buys_are_notional_and_others_whole_shares() -> None:
    """Fractionable symbols are bought by notional; the rest in whole shares, rounded down."""
    view = view_of(10_000)
    view = PortfolioView(
        equity=view.equity,
        cash_available=view.cash_available,
        holdings={},
        prices={"SPY": 100.0, "QQQ": 333.0},
        fractionable={"SPY": True, "QQQ": False},
    )
    buys = {o.symbol: o for o in plan_buys(view, {"SPY": 0.5, "QQQ": 0.5}, PlanSettings())}
    assert buys["SPY"].notional is not None and buys["SPY"].qty is None
    assert buys["QQQ"].qty == math.floor(0.5 * 0.99 * 10_000 / 333.0)


def test_buys_are_scaled_together_to_the_cash_after_sells() -> None:
    """When cash is short every buy shrinks by the same factor; the reserve is kept."""
    view = view_of(5_000, QQQ=(50, 100.0))
    result = plan(view, {"SPY": 0.5, "TLT": 0.5}, PlanSettings(cash_reserve_fraction=0.02))
    after = after_sells(view, result.sells)
    assert after.cash_available == pytest.approx(10_000)
    total = sum(o.estimated_notional for o in result.buys)
    assert total == pytest.approx(10_000 - 0.02 * 10_000, abs=0.02)


def test_limit_orders_carry_a_marketable_price_inside_the_collar() -> None:
    """Limit buys are priced above the last trade and sells below, by half the collar."""
    view = view_of(10_000, QQQ=(10, 100.0))
    result = plan(view, {"SPY": 1.0}, PlanSettings(order_kind=OrderKind.LIMIT))
    (sell,) = result.sells
    (buy,) = result.buys
    assert sell.limit_price == 97.5 and buy.limit_price == 102.5


def test_bad_targets_and_missing_prices_fail_closed() -> None:
    """Weights over 1, negative weights or a missing price raise instead of planning."""
    with pytest.raises(StrategyError):
        plan(view_of(1_000), {"SPY": 0.7, "QQQ": 0.7}, PlanSettings())
    with pytest.raises(StrategyError):
        plan(view_of(1_000), {"SPY": -0.1}, PlanSettings())
    with pytest.raises(DataUnavailable):
        plan(view_of(1_000), {"NOPE": 1.0}, PlanSettings())


def test_the_view_of_an_account_prices_every_holding_and_spends_no_margin() -> None:
    """Long positions only; a holding without a latest trade keeps its own price; no margin."""
    account = Account(equity=10_000.0, cash=3_000.0, buying_power=6_000.0)
    positions = [
        Position("SPY", qty=4.0, market_value=2_000.0, current_price=500.0),
        Position("QQQ", qty=0.0, market_value=0.0, current_price=400.0),
    ]
    view = portfolio_view(account, positions, {"TLT": 90.0}, untradable=frozenset({"TLT"}))
    assert view.cash_available == 3_000.0
    assert set(view.holdings) == {"SPY"} and view.holdings["SPY"].qty == 4.0
    assert view.prices == {"TLT": 90.0, "SPY": 500.0, "QQQ": 400.0}
    assert view.untradable == {"TLT"} and view.fractionable == {}
