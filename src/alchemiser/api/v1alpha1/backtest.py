"""The TradingBacktest resource: a strategy replayed over history on the cluster. Pure data.

The operator runs it as a Kubernetes Job (an Indexed Job, one index per variant) of
`alchemiser backtest`; each pod's summary comes back in its termination message and
its report is kept in a ConfigMap (gzip, binaryData) named in status.
"""

import re
from datetime import date
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from alchemiser.api.runtime import BACKTEST_KIND
from alchemiser.api.v1alpha1._base import DNS_LABEL_MAX_LENGTH, DNS_LABEL_PATTERN, WireModel, cel
from alchemiser.api.v1alpha1.conditions import Condition
from alchemiser.api.v1alpha1.strategy import Allocation, TradingStrategySpec

MAX_VARIANTS: Final = 20
DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# The NYSE calendar the worker reads spans 1990 to 2035 (alchemiser.worker.clock).
FIRST_DATE: Final = date(1990, 1, 1)
LAST_DATE: Final = date(2035, 12, 31)


class DataSource(StrEnum):
    """Where the backtest's prices come from."""

    SIM = "sim"  # the paper exchange's deterministic daily series
    ALPACA = "alpaca"  # Alpaca's adjusted daily bars (needs a credentials Secret)


class StrategyReference(WireModel):
    """A TradingStrategy in the backtest's namespace whose spec is replayed."""

    name: str = Field(
        description="Name of the TradingStrategy.",
        min_length=1,
        max_length=253,
        pattern="^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$",
    )


class BacktestData(WireModel):
    """The data source."""

    source: DataSource = Field(default=DataSource.SIM, description="sim or alpaca.")
    credentials_secret: str | None = Field(
        default=None,
        description="alpaca: Secret with APCA_API_KEY_ID and APCA_API_SECRET_KEY.",
        max_length=DNS_LABEL_MAX_LENGTH,
        pattern=DNS_LABEL_PATTERN,
    )
    seed: int = Field(default=0, description="sim: the paper exchange's seed.", ge=0)

    @model_validator(mode="after")
    def _secret_for_alpaca(self) -> "BacktestData":
        if self.source is DataSource.ALPACA and not self.credentials_secret:
            raise ValueError("data.credentialsSecret is required for source alpaca")
        return self


class Variant(WireModel):
    """One variant of a sweep: its own period and/or allocations (the rest as the spec's)."""

    name: str = Field(
        description="Short name (a DNS label), shown in status.",
        min_length=1,
        max_length=40,
        pattern=DNS_LABEL_PATTERN,
    )
    start: str | None = Field(default=None, description="First session (YYYY-MM-DD).",
                              pattern=DATE_PATTERN, max_length=10)  # fmt: skip
    end: str | None = Field(default=None, description="Last session (YYYY-MM-DD).",
                            pattern=DATE_PATTERN, max_length=10)  # fmt: skip
    allocations: list[Allocation] | None = Field(
        default=None,
        description="Allocations replacing the strategy's (same rules as a TradingStrategy).",
        min_length=1,
        max_length=10,
    )


class TradingBacktestSpec(WireModel):
    """The desired backtest."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    "has(self.strategy) != has(self.strategyRef)",
                    "exactly one of strategy (inline) and strategyRef must be given",
                ),
                cel(
                    "self.start <= self.end",
                    "start must not be after end",
                    field_path=".start",
                ),
            ]
        }
    )

    strategy: TradingStrategySpec | None = Field(
        default=None,
        description="The TradingStrategy spec to replay, inline (schedule, allocations, risk, "
        "execution; broker is not used). Exactly one of strategy and strategyRef.",
    )
    strategy_ref: StrategyReference | None = Field(
        default=None,
        description="A TradingStrategy in this namespace whose spec is replayed (read when "
        "the backtest starts). Exactly one of strategy and strategyRef.",
    )
    start: str = Field(
        description="First NYSE session replayed (YYYY-MM-DD). The data must reach back the "
        "strategies' lookback before it (klm: 455 sessions; the paper exchange's series "
        "begins on 2016-01-04).",
        pattern=DATE_PATTERN,
        max_length=10,
    )
    end: str = Field(
        description="Last session replayed (YYYY-MM-DD), not before start.",
        pattern=DATE_PATTERN,
        max_length=10,
    )
    data: BacktestData = Field(
        default_factory=BacktestData,
        description="Where the daily closes come from: the paper exchange's deterministic "
        "series (sim, no credentials) or Alpaca's adjusted daily bars (alpaca).",
    )
    cash: float = Field(default=100_000.0, description="Starting cash in USD.", gt=0, le=1e12)
    slippage_bps: float = Field(
        default=5.0,
        description="Basis points against each fill (buys pay more, sells get less).",
        ge=0,
        le=1000,
    )
    commission: float = Field(default=0.0, description="USD per filled order.", ge=0, le=1000)
    benchmark: str = Field(
        default="SPY",
        description="Buy-and-hold benchmark symbol.",
        pattern="^[A-Z][A-Z0-9]{0,5}([.][A-Z]{1,2})?$",
        max_length=10,
    )
    variants: list[Variant] = Field(
        default_factory=list,
        description="A sweep: each variant replaces the period and/or the allocations; one "
        "index of an Indexed Job per variant, results in status.results in this order. "
        "Empty: one run of the spec as given.",
        max_length=MAX_VARIANTS,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )

    @field_validator("start", "end")
    @classmethod
    def _a_date(cls, value: str) -> str:
        return _check_date(value)

    @model_validator(mode="after")
    def _rules(self) -> "TradingBacktestSpec":
        if (self.strategy is None) == (self.strategy_ref is None):
            raise ValueError("exactly one of strategy (inline) and strategyRef must be given")
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variants: names must be unique")
        for variant in self.variants:
            start, end = variant.start or self.start, variant.end or self.end
            _check_date(start)
            _check_date(end)
            if start > end:
                raise ValueError(f"variants[{variant.name}]: start {start} is after end {end}")
        return self

    def periods(self) -> list[tuple[str, str, str]]:
        """(variant name, start, end) per Job index, in order."""
        if not self.variants:
            return [("default", self.start, self.end)]
        return [(v.name, v.start or self.start, v.end or self.end) for v in self.variants]


def _check_date(value: str) -> str:
    if not re.fullmatch(DATE_PATTERN, value):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a date: {error}") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(
            f"{value} is outside the NYSE calendar's span ({FIRST_DATE} to {LAST_DATE})"
        )
    return value


class BacktestState(StrEnum):
    """Where a backtest is."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class VariantResult(WireModel):
    """The summary figures of one variant."""

    variant: str = Field(description="The variant's name (default without a sweep).")
    period: str = Field(description="start..end as replayed.")
    state: BacktestState = Field(description="This variant's state.")
    cagr: float | None = Field(default=None, description="Compound annual growth rate.")
    total_return: float | None = Field(default=None, description="Over the whole period.")
    max_drawdown: float | None = Field(default=None, description="Deepest fall (<= 0).")
    sharpe: float | None = Field(default=None, description="Annualised Sharpe ratio.")
    sortino: float | None = Field(default=None, description="Annualised Sortino ratio.")
    volatility: float | None = Field(default=None, description="Annualised volatility.")
    benchmark_cagr: float | None = Field(default=None, description="The benchmark's CAGR.")
    orders: int | None = Field(default=None, description="Orders filled.")
    rejections: int | None = Field(default=None, description="Orders the risk engine refused.")
    failed_runs: int | None = Field(default=None, description="Runs that failed closed.")
    report_config_map: str | None = Field(
        default=None, description="ConfigMap with report.html.gz and summary.json."
    )
    message: str = Field(default="", description="Why it failed, if it did.")


class TradingBacktestStatus(WireModel):
    """What the operator observed."""

    observed_generation: int | None = Field(default=None, description="Spec generation seen.")
    state: BacktestState = Field(default=BacktestState.PENDING, description="Overall state.")
    period: str | None = Field(default=None, description="The first variant's start..end.")
    cagr: float | None = Field(default=None, description="The first variant's CAGR.")
    max_drawdown: float | None = Field(
        default=None, description="The first variant's max drawdown."
    )
    sharpe: float | None = Field(default=None, description="The first variant's Sharpe ratio.")
    job_name: str | None = Field(default=None, description="The Job running the backtest.")
    results: list[VariantResult] = Field(
        default_factory=list,
        description="One entry per variant, in Job index order.",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="The Complete condition.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
    )
    message: str = Field(default="", description="What happened, for a person.")


class TradingBacktest(WireModel):
    """A backtest of a strategy spec over a period, optionally a sweep of variants."""

    api_version: Literal["alchemiser.io/v1alpha1"] = Field(
        default="alchemiser.io/v1alpha1", description="alchemiser.io/v1alpha1"
    )
    kind: Literal["TradingBacktest"] = Field(default=BACKTEST_KIND, description="TradingBacktest")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard metadata.")
    spec: TradingBacktestSpec = Field(description="What to replay, over which period, how.")
    status: TradingBacktestStatus | None = Field(
        default=None, description="What the operator observed; written by the operator."
    )
