"""What an order is worth in USD: the one home of that arithmetic.

Rule: pure functions of an order and prices passed in; no I/O. An amount is its
notional when it has one, else its quantity at its limit price, else at the price
given (a latest or reference trade). A broker's order counts its fills once it has
them. The planner, the risk engine, the pipeline's daily tally and the run's result
all value orders through these functions, each choosing which one it needs.
"""

from collections.abc import Mapping
from typing import Protocol

from alchemiser.worker.broker.port import BrokerOrder


class Amount(Protocol):
    """An order's size as both planned orders and broker orders state it."""

    @property
    def qty(self) -> float | None:
        """Shares, or None for a notional order."""
        ...

    @property
    def notional(self) -> float | None:
        """USD, or None for a quantity order."""
        ...

    @property
    def limit_price(self) -> float | None:
        """The limit, or None for a market order."""
        ...


def amount_value(order: Amount, price: float | None) -> float:
    """The order's notional, else its quantity at its limit price, else at `price` (0 if none)."""
    if order.notional is not None:
        return order.notional
    return (order.qty or 0.0) * (order.limit_price or price or 0.0)


def filled_value(order: BrokerOrder) -> float:
    """USD the broker has filled of the order so far."""
    return order.filled_qty * (order.filled_avg_price or 0.0)


def _has_fills(order: BrokerOrder) -> bool:
    return bool(order.filled_qty and order.filled_avg_price)


def booked_value(order: BrokerOrder, prices: Mapping[str, float]) -> float:
    """An order found at the broker: its notional, else its fills, else its amount at prices."""
    if order.notional is None and _has_fills(order):
        return filled_value(order)
    return amount_value(order, prices.get(order.symbol))


def committed_value(order: BrokerOrder, prices: Mapping[str, float]) -> float:
    """What an order commits today: its fills once it is done, else its whole amount."""
    if order.is_terminal:
        return filled_value(order)
    return amount_value(order, prices.get(order.symbol))


def spent_value(planned: float, order: BrokerOrder | None) -> float:
    """A sent order's spending so far: its fills, nothing if it ended unfilled, else `planned`."""
    if order is None:
        return 0.0
    if _has_fills(order):
        return filled_value(order)
    if order.is_terminal:  # canceled or expired unfilled: nothing was spent
        return 0.0
    return planned


def traded_value(planned: float, order: BrokerOrder | None) -> float:
    """What a sent order traded, for the result: its fills once it is done, else `planned`."""
    if order is not None and order.is_terminal:
        return filled_value(order)
    return planned
