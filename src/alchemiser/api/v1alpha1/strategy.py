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
from alchemiser.api.v1alpha1.halt import HaltMode
from alchemiser.api.v1alpha1.symphonyref import check_symphony_parameters, symphony_rules
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
# A cooldown: one to four <number><unit> groups, units s, m, h, d (e.g. 30m, 1h30m, 2d).
DURATION_PATTERN: Final = "^([0-9]{1,4}[smhd]){1,4}$"
_ZERO_DURATION: Final = "^(0+[smhd])+$"
COOLDOWN_MESSAGE: Final = "cooldown must be a positive duration such as 30m, 1h30m or 2d"
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_PART: Final = re.compile("([0-9]+)([smhd])")


def duration_seconds(text: str) -> int:
    """Seconds in a duration such as 1h30m (DURATION_PATTERN); ValueError otherwise."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(f"{text!r} is not a duration such as 30m, 1h30m or 2d")
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


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
    SYMPHONY = "symphony"


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
                *symphony_rules(),
            ]
        }
    )

    strategy: StrategyName = Field(
        description="Strategy to run: nuclear, tecl, klm, static (fixed weights) or symphony "
        "(a Composer symphony given in parameters.source or parameters.configMapRef)."
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
        "summing to 1. For symphony: exactly one of source (inline text) or configMapRef "
        "{name, key}. Other keys are checked by the operator, which sets Ready=False with "
        "reason InvalidParameters naming the parameter (line:column for symphony text).",
        json_schema_extra=parameters_schema,
    )

    @model_validator(mode="after")
    def _static_weights(self) -> "Allocation":
        check_static_parameters(self.strategy == StrategyName.STATIC, self.parameters)
        check_symphony_parameters(self.strategy == StrategyName.SYMPHONY, self.parameters)
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
    max_orders_per_day: int | None = Field(
        strict=True,
        default=None,
        description="Most orders this strategy may submit per trading day (New York date), "
        "counted from the broker's orders carrying this strategy's client order ids; "
        "a run beyond it ends Throttled with no orders. Unset: no daily limit.",
        ge=1,
        le=100000,
    )
    max_runs_per_day: int | None = Field(
        strict=True,
        default=None,
        description="Most runs this strategy may make per trading day (New York date), "
        "counted from the runs the operator recorded; a run beyond it ends Throttled with "
        "no orders (a schedule of '* * * * *' by mistake cannot trade every minute). Unset: "
        "no limit.",
        ge=1,
        le=1440,
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


class Breakers(WireModel):
    """Circuit breakers: each set field trips a TradingHalt for this strategy alone."""

    daily_loss_percent: float | None = Field(
        strict=True,
        default=None,
        description="Trip when account equity is more than this percent below the session's "
        "starting equity (the broker's last_equity), in (0, 100). Unset: off.",
        gt=0.0,
        lt=100.0,
    )
    drawdown_percent: float | None = Field(
        strict=True,
        default=None,
        description="Trip when account equity is more than this percent below its "
        "high-water mark (status.breakers.highWaterMark, the highest equity a run reported), "
        "in (0, 100). A trip re-bases the mark at the equity that tripped it. Unset: off.",
        gt=0.0,
        lt=100.0,
    )
    consecutive_failed_runs: int | None = Field(
        strict=True,
        default=None,
        description="Trip after this many runs in a row ended Failed (1 to 100). Unset: off.",
        ge=1,
        le=100,
    )
    rejected_orders_per_run: int | None = Field(
        strict=True,
        default=None,
        description="Trip after a run in which the risk engine rejected at least this many "
        "orders (1 to 1000): a strategy fighting its own limits. Unset: off.",
        ge=1,
        le=1000,
    )
    mode: HaltMode = Field(
        default=HaltMode.REDUCE_ONLY,
        description="The tripped halt's mode: ReduceOnly (only orders that shrink positions) "
        "or Halt (no new orders, open ones cancelled).",
    )
    cooldown: str | None = Field(
        default=None,
        description="How long a tripped halt lasts (its expiresAt), e.g. 30m, 1h30m, 2d. "
        "Unset: until a person deletes it (kubectl delete tradinghalt, alchemiser resume).",
        max_length=32,
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    f"self.matches('{DURATION_PATTERN}') && !self.matches('{_ZERO_DURATION}')",
                    COOLDOWN_MESSAGE,
                )
            ]
        },
    )

    @field_validator("cooldown")
    @classmethod
    def _cooldown(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                seconds = duration_seconds(value)
            except ValueError:
                raise ValueError(f"{COOLDOWN_MESSAGE}, not {value!r}") from None
            if seconds <= 0:
                raise ValueError(f"{COOLDOWN_MESSAGE}, not {value!r}")
        return value


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
    breakers: Breakers | None = Field(
        default=None,
        description="Circuit breakers that halt this strategy by themselves (daily loss, "
        "drawdown, failed runs, rejected orders). Unset: none.",
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


class SymphonyRecord(WireModel):
    """A symphony a run evaluated, identified by the digest of the text it used."""

    allocation: int = Field(description="Index of the allocation in spec.allocations.", ge=0)
    name: str = Field(description='The name in (defsymphony "name" ...).', max_length=100)
    digest: str = Field(
        description="sha256:<hex> of the symphony text the run used.", max_length=80
    )


class LastRun(WireModel):
    """The most recent finished (or running) trading run."""

    job: str = Field(description="Name of the Job that ran it.", max_length=253)
    started_at: datetime | None = Field(default=None, description="When the run started.")
    finished_at: datetime | None = Field(default=None, description="When the run finished.")
    outcome: Outcome | None = Field(
        default=None,
        description="Succeeded, Failed, Halted, MarketClosed, NoTrades, DryRun or Throttled.",
    )
    orders_submitted: int = Field(default=0, description="Orders sent to the broker.", ge=0)
    orders_rejected: int = Field(
        default=0, description="Orders refused by the risk engine or the broker.", ge=0
    )
    notional: float = Field(default=0.0, description="USD value of the orders submitted.")
    message: str = Field(default="", description="Short summary of the run.", max_length=4096)
    symphonies: list[SymphonyRecord] | None = Field(
        default=None,
        description="Each symphony allocation the run evaluated: its name and the digest of "
        "the text it used (inline or from its ConfigMap).",
        max_length=10,
    )


class BreakerTripRecord(WireModel):
    """The last time one circuit breaker tripped."""

    breaker: str = Field(
        description="dailyLoss, drawdown, consecutiveFailedRuns or rejectedOrdersPerRun.",
        max_length=64,
    )
    at: datetime = Field(description="When it tripped.")
    session: str = Field(
        description="The trading day (New York date, YYYY-MM-DD) it tripped on.", max_length=10
    )
    halt: str = Field(description="The TradingHalt it created.", max_length=253)
    reason: str = Field(description="The figures that tripped it.", max_length=1024)


class BreakerStatus(WireModel):
    """What the circuit breakers remember between runs."""

    high_water_mark: float | None = Field(
        default=None,
        description="Highest account equity a run reported, in USD (the drawdown reference).",
    )
    consecutive_failed_runs: int = Field(
        default=0, description="Runs in a row that ended Failed, up to the last one.", ge=0
    )
    trips: list[BreakerTripRecord] = Field(
        default_factory=list,
        description="The last trip of each breaker.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["breaker"],
        },
    )


class RunsToday(WireModel):
    """How many runs the operator recorded on one trading day."""

    session: str = Field(description="The trading day (New York date, YYYY-MM-DD).", max_length=10)
    runs: int = Field(default=0, description="Runs recorded that day.", ge=0)


class AccountClaim(WireModel):
    """The broker account this strategy drives, as its runs reported it."""

    number: str = Field(description="The broker's account number.", max_length=64)
    mode: str = Field(description="paper or live: paper and live accounts differ.", max_length=8)
    endpoint: str = Field(
        default="", description="The broker endpoint override, if any.", max_length=2048
    )


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
    breakers: BreakerStatus | None = Field(
        default=None, description="Circuit-breaker memory: high-water mark, failures, trips."
    )
    runs_today: RunsToday | None = Field(
        default=None, description="Runs recorded on the current trading day (maxRunsPerDay)."
    )
    account: AccountClaim | None = Field(
        default=None, description="The broker account the last run reported (one per strategy)."
    )


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
