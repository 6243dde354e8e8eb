"""The worker's run result: one JSON object, the last stdout line and the termination message.

The worker writes it; the operator reads it from the finished pod. Pure data.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from alchemiser.api.runtime import TERMINATION_LOG_LIMIT


class Outcome(StrEnum):
    """How a run ended."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    HALTED = "Halted"
    MARKET_CLOSED = "MarketClosed"
    NO_TRADES = "NoTrades"
    DRY_RUN = "DryRun"
    THROTTLED = "Throttled"  # a per-day limit (risk.maxOrdersPerDay, maxRunsPerDay) was reached


class _Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class OrderReport(_Wire):
    """One order the run placed (or, in dry run, would have placed)."""

    symbol: str
    side: str
    amount: str = Field(description="quantity or notional as sent, e.g. '12.5 shares' or '$1000'")
    client_order_id: str
    status: str


class RejectionReport(_Wire):
    """One order the risk engine or the broker refused, with the reason."""

    symbol: str
    reason: str


class AccountReport(_Wire):
    """The broker account the run traded, as the broker reported it at the start of the run.

    The operator keeps the high-water mark and the loss breakers from these figures and
    refuses a second strategy on the same account number.
    """

    number: str = Field(description="the broker's account number, e.g. PA3X8G2B0F1K")
    equity: float = Field(description="account equity in USD when the run read it")
    last_equity: float = Field(description="equity at the previous session's close, in USD")


class BreakerTrip(_Wire):
    """A circuit breaker the worker found tripped before trading (it acted on it at once)."""

    breaker: str
    reason: str


class SymphonyReport(_Wire):
    """A symphony a run evaluated: which allocation, its name and the digest of its text."""

    allocation: int
    name: str
    digest: str


class RunResult(_Wire):
    """The outcome of one trading run."""

    outcome: Outcome
    run_id: str
    orders_submitted: int = 0
    orders_rejected: int = 0
    risk_rejected: int = 0  # of orders_rejected: refused by the risk engine itself
    account: AccountReport | None = None
    breaker_trips: list[BreakerTrip] = Field(default_factory=list)
    notional: float = 0.0
    orders: list[OrderReport] = Field(default_factory=list)
    rejections: list[RejectionReport] = Field(default_factory=list)
    orders_truncated: int = 0
    rejections_truncated: int = 0
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    symphonies: list[SymphonyReport] = Field(default_factory=list)

    def to_json(self, limit: int = TERMINATION_LOG_LIMIT) -> str:
        """Serialise to one JSON line of at most `limit` bytes, dropping list items if needed."""
        result = self
        text = result.model_dump_json(by_alias=True)
        while len(text.encode()) > limit and (result.orders or result.rejections):
            longer = "orders" if len(result.orders) >= len(result.rejections) else "rejections"
            kept = getattr(result, longer)[:-1]
            result = result.model_copy(
                update={
                    longer: kept,
                    f"{longer}_truncated": getattr(result, f"{longer}_truncated") + 1,
                }
            )
            text = result.model_dump_json(by_alias=True)
        if len(text.encode()) > limit:
            result = result.model_copy(update={"message": result.message[:200]})
            text = result.model_dump_json(by_alias=True)
        return text

    @classmethod
    def from_json(cls, text: str) -> "RunResult":
        """Parse a result written by `to_json`; raises pydantic.ValidationError if malformed."""
        return cls.model_validate_json(text)
