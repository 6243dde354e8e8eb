"""The TradingStrategy resource: one broker account running a weighted portfolio. Pure data.

Each cross-field rule exists twice, as a CEL rule the apiserver enforces at admission
and as a model validator with the same meaning, so the operator and the worker accept
exactly what `kubectl apply` accepts.
"""

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator, model_validator

from alchemiser.api.result import Outcome
from alchemiser.api.runtime import STRATEGY_KIND
from alchemiser.api.v1alpha1._base import (
    CRON_MACRO_PATTERN,
    CRON_PATTERN,
    DNS_LABEL_MAX_LENGTH,
    DNS_LABEL_PATTERN,
    ENDPOINT_PATTERN,
    TIME_ZONE_PATTERN,
    WEIGHT_TOLERANCE,
    Symbol,
    WireModel,
    cel,
    sums_to_one,
    unique,
    wire_default,
)
from alchemiser.api.v1alpha1.conditions import Condition
from alchemiser.api.v1alpha1.weights import (
    WEIGHTS_KEY,
    check_static_parameters,
    parameters_schema,
)

MAX_ALLOCATIONS: Final = 10
MAX_ALLOWED_SYMBOLS: Final = 500
RANGE_MESSAGE: Final = "schedule ranges must run from low to high, e.g. 9-17 rather than 17-9"
# A numeric range in a cron field: "9-17" in "0 9-17/2 * * *".
_RANGE: Final = re.compile("([0-9]+)-([0-9]+)")
TIME_ZONE_MESSAGE: Final = "timeZone must be an IANA time zone name such as America/New_York"


class Mode(StrEnum):
    """How orders are handled: paper account, live account, or decide-and-log only."""

    PAPER = "paper"
    LIVE = "live"
    DRY_RUN = "dryRun"


class StrategyName(StrEnum):
    """The built-in strategies an allocation can run."""

    NUCLEAR = "nuclear"
    TECL = "tecl"
    KLM = "klm"
    STATIC = "static"


class OrderType(StrEnum):
    """How orders are sent to the broker."""

    MARKET = "market"
    LIMIT = "limit"


class Allocation(WireModel):
    """One built-in strategy and the fraction of the account it manages."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    f"self.strategy != 'static' || (has(self.parameters) && "
                    f"has(self.parameters.{WEIGHTS_KEY}))",
                    "a static allocation needs parameters.weights: a map of symbol to fraction",
                    field_path=f".parameters.{WEIGHTS_KEY}",
                    reason="FieldValueRequired",
                ),
                cel(
                    f"self.strategy == 'static' || !has(self.parameters) || "
                    f"!has(self.parameters.{WEIGHTS_KEY})",
                    "parameters.weights is only for strategy static",
                    field_path=f".parameters.{WEIGHTS_KEY}",
                    reason="FieldValueForbidden",
                ),
            ]
        }
    )

    strategy: StrategyName = Field(
        description="Built-in strategy to run: nuclear, tecl, klm or static (fixed weights)."
    )
    weight: float = Field(
        strict=True,
        description="Fraction of the account this strategy manages, in (0, 1]; the weights "
        "of all allocations sum to 1 (within 0.001).",
        gt=0.0,
        le=1.0,
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Strategy parameters. For static: weights, a map of symbol to fraction "
        "summing to 1. Other keys are checked by the operator, which sets Ready=False with "
        "reason InvalidParameters naming the parameter.",
        json_schema_extra=parameters_schema,
    )

    @model_validator(mode="after")
    def _static_weights(self) -> "Allocation":
        check_static_parameters(self.strategy == StrategyName.STATIC, self.parameters)
        return self


class BrokerSpec(WireModel):
    """Where orders go and which Secret holds the broker credentials."""

    credentials_secret: str = Field(
        description="Name of a Secret in the strategy's namespace with keys APCA_API_KEY_ID "
        "and APCA_API_SECRET_KEY; mounted into each run, re-read on use.",
        min_length=1,
        max_length=DNS_LABEL_MAX_LENGTH,
        pattern=DNS_LABEL_PATTERN,
    )
    endpoint: str | None = Field(
        default=None,
        description="Optional http(s) base URL overriding the broker's (paper exchange, "
        "proxy). Empty means the Alpaca default for the mode.",
        max_length=2048,
        pattern=ENDPOINT_PATTERN,
    )


class RiskLimits(WireModel):
    """Limits every order must pass before it is sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    "self.maxDailyNotional >= self.maxOrderNotional",
                    "maxDailyNotional must be at least maxOrderNotional",
                    field_path=".maxDailyNotional",
                ),
            ]
        }
    )

    max_order_notional: float = Field(
        strict=True,
        default=10000.0,
        description="Largest value of a single order, in USD.",
        gt=0.0,
        le=1e9,
    )
    max_position_fraction: float = Field(
        strict=True,
        default=0.5,
        description="Largest fraction of account equity held in any one symbol, in (0, 1].",
        gt=0.0,
        le=1.0,
    )
    max_daily_notional: float = Field(
        strict=True,
        default=100000.0,
        description="Most USD this strategy may submit per trading day; at least maxOrderNotional.",
        gt=0.0,
        le=1e10,
    )
    max_orders_per_run: int = Field(
        strict=True,
        default=40,
        description="Most orders one run may submit (1 to 1000).",
        ge=1,
        le=1000,
    )
    price_collar_percent: float = Field(
        strict=True,
        default=5.0,
        description="Largest distance, in percent, between a limit price and the latest "
        "trade, in (0, 50].",
        gt=0.0,
        le=50.0,
    )
    allowed_symbols: list[Symbol] = Field(
        default_factory=list,
        description="Symbols orders may be placed for, e.g. [SPY, BRK.B]. Empty means any "
        "symbol the strategies use.",
        max_length=MAX_ALLOWED_SYMBOLS,
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    rebalance_threshold: float = Field(
        strict=True,
        default=0.01,
        description="Smallest drift between target and current weight that triggers a "
        "trade, in [0, 0.5].",
        ge=0.0,
        le=0.5,
    )
    cash_reserve_fraction: float = Field(
        strict=True,
        default=0.01,
        description="Fraction of equity kept in cash and never invested, in [0, 0.5].",
        ge=0.0,
        le=0.5,
    )

    @field_validator("allowed_symbols")
    @classmethod
    def _unique_symbols(cls, value: list[str]) -> list[str]:
        return unique(value, "allowedSymbols")

    @model_validator(mode="after")
    def _daily_covers_one_order(self) -> "RiskLimits":
        if self.max_daily_notional < self.max_order_notional:
            raise ValueError("maxDailyNotional must be at least maxOrderNotional")
        return self


class ExecutionSpec(WireModel):
    """How orders are placed."""

    order_type: OrderType = Field(
        default=OrderType.MARKET,
        description="market, or limit (a marketable limit order re-pegged a bounded number "
        "of times within the price collar).",
    )


_ALLOCATION_RULES: list[Any] = [
    cel(
        sums_to_one("self.map(a, a.weight).sum()"),
        "allocation weights must sum to 1 (within 0.001)",
    ),
    cel(
        "self.all(a, self.exists_one(b, b.strategy == a.strategy))",
        "each strategy may appear only once in allocations",
        reason="FieldValueDuplicate",
    ),
]


class TradingStrategySpec(WireModel):
    """The desired state of a TradingStrategy."""

    schedule: str = Field(
        description="When to run, as a five-field cron expression (minute hour day-of-month "
        "month day-of-week, e.g. '45 15 * * 1-5') or a macro such as @daily, in timeZone.",
        min_length=1,
        max_length=100,
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    f"self.matches('{CRON_PATTERN}') || self.matches('{CRON_MACRO_PATTERN}')",
                    "schedule must be a five-field cron expression such as '45 15 * * 1-5' "
                    "or a macro such as @daily",
                ),
                cel(
                    "self.findAll('[0-9]+-[0-9]+').all(r, "
                    "int(r.split('-')[0]) <= int(r.split('-')[1]))",
                    RANGE_MESSAGE,
                ),
            ]
        },
    )
    time_zone: str = Field(
        default="America/New_York",
        description="IANA time zone the schedule is read in, e.g. America/New_York.",
        min_length=1,
        max_length=64,
        pattern=TIME_ZONE_PATTERN,
        json_schema_extra={
            "x-kubernetes-validations": [
                # Asking CEL for an hour in the zone fails for a zone the apiserver's time
                # zone database (the one CronJobs use) does not know; CronJobs refuse Local.
                cel(
                    "self.lowerAscii() != 'local' && "
                    "timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",
                    TIME_ZONE_MESSAGE,
                )
            ]
        },
    )
    suspend: bool = Field(
        strict=True,
        default=False,
        description="Stop scheduling new runs; a running run finishes.",
    )
    mode: Mode = Field(
        default=Mode.PAPER,
        description="paper (paper account), live (real money; the operator must allow it) "
        "or dryRun (decide and log, submit nothing).",
    )
    allocations: list[Allocation] = Field(
        description="The built-in strategies to run and their weights: 1 to 10 entries, "
        "each strategy at most once, weights summing to 1.",
        min_length=1,
        max_length=MAX_ALLOCATIONS,
        json_schema_extra={"x-kubernetes-validations": _ALLOCATION_RULES},
    )
    broker: BrokerSpec = Field(description="Broker account credentials and endpoint.")
    risk: RiskLimits = Field(
        default_factory=RiskLimits,
        description="Risk limits every order must pass.",
        json_schema_extra={"default": wire_default(RiskLimits)},
    )
    execution: ExecutionSpec = Field(
        default_factory=ExecutionSpec,
        description="How orders are placed.",
        json_schema_extra={"default": wire_default(ExecutionSpec)},
    )
    run_deadline_seconds: int = Field(
        strict=True,
        default=600,
        description="Longest a run may take before it is stopped, in seconds (30 to 3600).",
        ge=30,
        le=3600,
    )
    starting_deadline_seconds: int = Field(
        strict=True,
        default=300,
        description="How late a missed run may still start, in seconds (10 to 3600).",
        ge=10,
        le=3600,
    )

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if value.lower() == "local":
            raise ValueError(TIME_ZONE_MESSAGE)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"{TIME_ZONE_MESSAGE}, not {value!r}") from error
        return value

    @field_validator("schedule")
    @classmethod
    def _plausible_schedule(cls, value: str) -> str:
        if not (re.fullmatch(CRON_PATTERN, value) or re.fullmatch(CRON_MACRO_PATTERN, value)):
            raise ValueError(
                f"schedule {value!r} must be a five-field cron expression such as "
                "'45 15 * * 1-5' or a macro such as @daily"
            )
        if any(int(low) > int(high) for low, high in _RANGE.findall(value)):
            raise ValueError(f"{RANGE_MESSAGE}: {value!r}")
        return value

    @field_validator("allocations")
    @classmethod
    def _weights_and_names(cls, value: list[Allocation]) -> list[Allocation]:
        total = sum(a.weight for a in value)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"allocations: weights must sum to 1 (within 0.001), got {total:g}")
        names = [a.strategy for a in value]
        if len(set(names)) != len(names):
            raise ValueError("allocations: each strategy may appear only once")
        return value


class LastRun(WireModel):
    """The most recent finished (or running) trading run."""

    job: str = Field(description="Name of the Job that ran it.", max_length=253)
    started_at: datetime | None = Field(default=None, description="When the run started.")
    finished_at: datetime | None = Field(default=None, description="When the run finished.")
    outcome: Outcome | None = Field(
        default=None,
        description="Succeeded, Failed, Halted, MarketClosed, NoTrades or DryRun.",
    )
    orders_submitted: int = Field(default=0, description="Orders sent to the broker.", ge=0)
    orders_rejected: int = Field(
        default=0, description="Orders refused by the risk engine or the broker.", ge=0
    )
    notional: float = Field(default=0.0, description="USD value of the orders submitted.")
    message: str = Field(default="", description="Short summary of the run.", max_length=4096)


class TradingStrategyStatus(WireModel):
    """The observed state of a TradingStrategy, written by the operator."""

    observed_generation: int | None = Field(
        default=None, description="The metadata.generation the operator last acted on.", ge=0
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Ready, Halted and LastRunSucceeded conditions.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
    )
    cron_job_name: str | None = Field(
        default=None, description="Name of the CronJob that schedules the runs.", max_length=253
    )
    halted_by: list[str] = Field(
        default_factory=list, description="Names of the TradingHalts that currently apply."
    )
    last_schedule_time: datetime | None = Field(
        default=None, description="When a run was last scheduled."
    )
    last_run: LastRun | None = Field(default=None, description="The most recent run.")


class TradingStrategy(WireModel):
    """A weighted portfolio of built-in strategies trading one broker account on a schedule."""

    api_version: Literal["alchemiser.io/v1alpha1"] = Field(
        default="alchemiser.io/v1alpha1", description="alchemiser.io/v1alpha1"
    )
    kind: Literal["TradingStrategy"] = Field(default=STRATEGY_KIND, description="TradingStrategy")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard metadata.")
    spec: TradingStrategySpec = Field(
        description="What to run and how: schedule, mode, allocations, broker, risk limits."
    )
    status: TradingStrategyStatus | None = Field(
        default=None, description="What the operator observed; written by the operator."
    )
