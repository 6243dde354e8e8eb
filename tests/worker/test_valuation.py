"""An order's value in USD, one rule per question the run asks of it."""

from datetime import UTC, datetime

from alchemiser.worker import valuation
from alchemiser.worker.broker.port import BrokerOrder, OrderKind, Side
from alchemiser.worker.planner import PlannedOrder


def at_broker(**fields: object) -> BrokerOrder:
    """A broker order for 10 SPY, unfilled and open, with fields overridden."""
    base: dict[str, object] = {
        "id": "o-1",
        "client_order_id": "cid-1",
        "symbol": "SPY",
        "side": Side.BUY,
        "status": "accepted",
        "qty": 10.0,
        "notional": None,
        "filled_qty": 0.0,
        "filled_avg_price": None,
        "limit_price": None,
        "submitted_at": datetime(2026, 11, 27, 15, tzinfo=UTC),
    }
    return BrokerOrder(**(base | fields))  # type: ignore[arg-type]


PRICES = {"SPY": 500.0}


def test_an_amount_is_its_notional_else_its_qty_at_the_limit_else_at_the_price() -> None:
    """Notional wins; a quantity is valued at its limit, then the given price, then 0."""
    assert valuation.amount_value(PlannedOrder("SPY", Side.BUY, 500.0, notional=250.0), 1.0) == 250
    limit = PlannedOrder("SPY", Side.BUY, 500.0, qty=2.0, kind=OrderKind.LIMIT, limit_price=510.0)
    assert valuation.amount_value(limit, 499.0) == 1_020.0
    assert valuation.amount_value(PlannedOrder("SPY", Side.SELL, 500.0, qty=2.0), 499.0) == 998.0
    assert valuation.amount_value(at_broker(), None) == 0.0


def test_a_planned_order_is_estimated_at_its_reference_price() -> None:
    """A market order without a limit is valued at the trade it was planned from."""
    assert PlannedOrder("SPY", Side.SELL, 500.0, qty=3.0).estimated_notional == 1_500.0


def test_another_runs_order_is_booked_at_its_notional_then_its_fills_then_its_amount() -> None:
    """Today's tally: a notional order at its notional, a filled one at its fills, else qty."""
    filled = at_broker(status="filled", filled_qty=10.0, filled_avg_price=490.0)
    assert valuation.booked_value(at_broker(qty=None, notional=700.0), PRICES) == 700.0
    assert valuation.booked_value(filled, PRICES) == 4_900.0
    assert valuation.booked_value(at_broker(), PRICES) == 5_000.0
    assert valuation.booked_value(at_broker(limit_price=480.0), PRICES) == 4_800.0


def test_a_committed_order_counts_its_fills_when_done_and_its_whole_amount_when_open() -> None:
    """Done orders count what filled (nothing for a canceled one); open ones all of it."""
    partial = at_broker(filled_qty=4.0, filled_avg_price=500.0)
    assert valuation.committed_value(partial, PRICES) == 5_000.0
    assert valuation.committed_value(at_broker(status="canceled"), PRICES) == 0.0
    done = at_broker(status="filled", filled_qty=10.0, filled_avg_price=501.0)
    assert valuation.committed_value(done, PRICES) == 5_010.0


def test_spent_counts_fills_nothing_for_an_unfilled_end_and_the_plan_while_open() -> None:
    """A sent leg spent its fills so far; a canceled unfilled one nothing; an open one its plan."""
    assert valuation.spent_value(1_000.0, None) == 0.0
    assert valuation.spent_value(1_000.0, at_broker()) == 1_000.0
    assert valuation.spent_value(1_000.0, at_broker(status="canceled")) == 0.0
    partial = at_broker(filled_qty=1.0, filled_avg_price=500.0)
    assert valuation.spent_value(1_000.0, partial) == 500.0


def test_traded_counts_fills_once_done_and_the_plan_until_then() -> None:
    """The result's notional: fills of a finished order, else its planned value."""
    partial = at_broker(filled_qty=1.0, filled_avg_price=500.0)
    assert valuation.traded_value(1_000.0, partial) == 1_000.0
    assert valuation.traded_value(1_000.0, at_broker(status="expired")) == 0.0
    assert valuation.traded_value(1_000.0, None) == 1_000.0
