"""The run ledger and the daily throttles: what earlier runs did, and whether one more may run.

Rule: pure. The operator writes the ledger (a ConfigMap per strategy, mounted read-only
into each run) from the runs it recorded; the worker reads it before trading and, when
a limit needs it, refuses to trade without it (a missing or unreadable ledger fails
closed). Orders are counted from the broker itself, by this strategy's client order id
prefix, so maxOrdersPerDay holds even when the operator lags.
"""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from alchemiser.api.v1alpha1 import RiskLimits, TradingStrategySpec


class Ledger(BaseModel):
    """What the operator recorded of this strategy's earlier runs."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    session: str = Field(description="trading day the run count is for (New York date)")
    runs_today: int = Field(default=0, ge=0, description="runs recorded on `session`")
    high_water_mark: float | None = Field(default=None, description="highest equity reported")
    tripped_today: list[str] = Field(
        default_factory=list, description="breakers that tripped on `session`"
    )

    def to_json(self) -> str:
        """The ConfigMap's value."""
        return self.model_dump_json(by_alias=True, exclude_none=True)

    @classmethod
    def from_json(cls, text: str) -> "Ledger":
        """Parse the ConfigMap's value; raises pydantic.ValidationError when malformed."""
        return cls.model_validate_json(text)

    def runs_on(self, session: str) -> int:
        """Runs recorded on `session` (none when the ledger is from an earlier day)."""
        return self.runs_today if self.session == session else 0

    def tripped_on(self, session: str) -> frozenset[str]:
        """Breakers that tripped on `session`."""
        return frozenset(self.tripped_today) if self.session == session else frozenset()


def runs_after(session: str, previous_session: str | None, previous_runs: int) -> int:
    """The day's run count after one more run on `session`."""
    return (previous_runs if previous_session == session else 0) + 1


def throttle(limits: RiskLimits, *, runs_today: int, orders_today: int) -> str | None:
    """Why this run may not trade (a daily limit is reached), or None when it may."""
    if limits.max_runs_per_day is not None and runs_today >= limits.max_runs_per_day:
        return (
            f"maxRunsPerDay {limits.max_runs_per_day} reached: {runs_today} runs were "
            "recorded today"
        )
    if limits.max_orders_per_day is not None and orders_today >= limits.max_orders_per_day:
        return (
            f"maxOrdersPerDay {limits.max_orders_per_day} reached: {orders_today} orders "
            "were submitted today"
        )
    return None


def orders_allowed(limits: RiskLimits, *, orders_today: int) -> int:
    """How many orders this run may submit: maxOrdersPerRun, capped by what the day has left."""
    allowed = limits.max_orders_per_run
    if limits.max_orders_per_day is not None:
        allowed = min(allowed, max(0, limits.max_orders_per_day - orders_today))
    return allowed


def needs_ledger(spec: TradingStrategySpec) -> bool:
    """Whether a run must read the ledger: maxRunsPerDay and drawdown need its figures.

    (dailyLoss reads it too, to skip a trip a person already cleared today; without it
    the breaker trips again, which is the safe side.)
    """
    drawdown = spec.breakers is not None and spec.breakers.drawdown_percent is not None
    return spec.risk.max_runs_per_day is not None or drawdown
