"""Records of the paper account: the account row, orders and positions.

Rule: plain mutable dataclasses; the book changes them, the store saves them.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

OPEN_STATUSES = frozenset({"new", "accepted", "partially_filled", "pending_new"})
CLOSED_STATUSES = frozenset({"filled", "canceled", "expired", "rejected"})


@dataclass
class Order:
    """One order as the exchange keeps it (mutable; serialised by `wire`)."""

    id: str
    client_order_id: str
    seq: int
    symbol: str
    asset_id: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    extended_hours: bool
    position_intent: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime
    expires_at: datetime | None
    filled_qty: Decimal = Decimal(0)
    filled_avg_price: Decimal | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    failed_at: datetime | None = None
    hold_remainder: bool = False
    partial: bool = False

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill or be cancelled."""
        return self.status in OPEN_STATUSES


@dataclass
class Position:
    """A long holding of one symbol."""

    symbol: str
    asset_id: str
    qty: Decimal
    cost_basis: Decimal


@dataclass
class Account:
    """The account's identity and cash."""

    id: str
    account_number: str
    cash: Decimal
    created_at: datetime
    next_seq: int = 1
