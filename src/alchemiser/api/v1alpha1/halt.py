"""The TradingHalt resource: the cluster-wide kill switch. Pure data."""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from alchemiser.api.runtime import HALT_KIND
from alchemiser.api.v1alpha1._base import (
    LABEL_KEY_MAX_LENGTH,
    LABEL_KEY_PATTERN,
    RFC3339_PATTERN,
    DnsLabel,
    LabelValue,
    WireModel,
    cel,
    unique,
    wire_default,
)
from alchemiser.api.v1alpha1.conditions import Condition

MAX_NAMESPACES: Final = 100
MAX_MATCH_LABELS: Final = 32
MAX_MATCH_EXPRESSIONS: Final = 16
MAX_SELECTOR_VALUES: Final = 64
_SET_OPERATORS: Final = ("In", "NotIn")
# Plausible expiry times; outside them a typo in the year is far likelier than intent.
EXPIRY_MIN: Final = datetime(2000, 1, 1, tzinfo=UTC)
EXPIRY_MAX: Final = datetime(2200, 1, 1, tzinfo=UTC)
_EXPIRY_MESSAGE: Final = (
    "expiresAt must be an RFC 3339 time between the years 2000 and 2200, "
    "such as 2026-11-27T21:00:00Z"
)


class HaltMode(StrEnum):
    """What a halt forbids."""

    HALT = "Halt"
    REDUCE_ONLY = "ReduceOnly"


class SelectorOperator(StrEnum):
    """A label-selector requirement's operator."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class LabelSelectorRequirement(WireModel):
    """One label requirement: a key, an operator and (for In/NotIn) values."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    "!(self.operator in ['In', 'NotIn']) || "
                    "(has(self.values) && size(self.values) > 0)",
                    "values must not be empty when operator is In or NotIn",
                    field_path=".values",
                    reason="FieldValueRequired",
                ),
                cel(
                    "self.operator in ['In', 'NotIn'] || !has(self.values) || "
                    "size(self.values) == 0",
                    "values must be empty when operator is Exists or DoesNotExist",
                    field_path=".values",
                    reason="FieldValueForbidden",
                ),
            ]
        }
    )

    key: str = Field(
        description="Label key the requirement applies to, e.g. alchemiser.io/tier.",
        min_length=1,
        max_length=LABEL_KEY_MAX_LENGTH,
        pattern=LABEL_KEY_PATTERN,
    )
    operator: SelectorOperator = Field(description="In, NotIn, Exists or DoesNotExist.")
    values: list[LabelValue] = Field(
        default_factory=list,
        description="Label values; required for In and NotIn, empty for Exists and DoesNotExist.",
        max_length=MAX_SELECTOR_VALUES,
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )

    @field_validator("values")
    @classmethod
    def _unique_values(cls, value: list[str]) -> list[str]:
        return unique(value, "values")

    @model_validator(mode="after")
    def _values_match_operator(self) -> "LabelSelectorRequirement":
        if self.operator in _SET_OPERATORS and not self.values:
            raise ValueError("values must not be empty when operator is In or NotIn")
        if self.operator not in _SET_OPERATORS and self.values:
            raise ValueError("values must be empty when operator is Exists or DoesNotExist")
        return self


class LabelSelector(WireModel):
    """Which strategies a halt applies to, by label; empty selects all."""

    match_labels: dict[str, LabelValue] = Field(
        default_factory=dict,
        description="Labels a strategy must carry, key to value.",
        max_length=MAX_MATCH_LABELS,
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    f"self.all(k, k.size() <= {LABEL_KEY_MAX_LENGTH} && "
                    f"k.matches('{LABEL_KEY_PATTERN}'))",
                    "matchLabels keys must be label keys such as app or alchemiser.io/tier",
                )
            ]
        },
    )
    match_expressions: list[LabelSelectorRequirement] = Field(
        default_factory=list,
        description="Label requirements, all of which must hold.",
        max_length=MAX_MATCH_EXPRESSIONS,
    )

    @field_validator("match_labels")
    @classmethod
    def _label_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if len(key) > LABEL_KEY_MAX_LENGTH or not re.fullmatch(LABEL_KEY_PATTERN, key):
                raise ValueError(f"matchLabels key {key!r} is not a label key")
        return value


class TradingHaltSpec(WireModel):
    """What to halt, how, why and until when."""

    reason: str = Field(
        description="Why trading is halted; shown to everyone affected.",
        max_length=1024,
        json_schema_extra={
            "x-kubernetes-validations": [
                cel(
                    "self.trim().size() > 0",
                    "reason must say why trading is halted (it is empty)",
                    reason="FieldValueRequired",
                )
            ]
        },
    )
    mode: HaltMode = Field(
        default=HaltMode.HALT,
        description="Halt: no new orders, open orders cancelled, runs stopped. "
        "ReduceOnly: only orders that shrink positions.",
    )
    namespaces: list[DnsLabel] = Field(
        default_factory=list,
        description="Namespaces whose strategies are halted; empty means all.",
        max_length=MAX_NAMESPACES,
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    strategy_selector: LabelSelector = Field(
        default_factory=LabelSelector,
        description="Label selector over strategies; empty selects all.",
        json_schema_extra={"default": wire_default(LabelSelector)},
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the halt stops applying (RFC 3339, e.g. 2026-11-27T21:00:00Z); "
        "unset means until the halt is deleted.",
        json_schema_extra={
            "pattern": RFC3339_PATTERN,
            "x-kubernetes-validations": [
                cel(
                    f"self >= timestamp('{EXPIRY_MIN:%Y-%m-%dT%H:%M:%SZ}') && "
                    f"self < timestamp('{EXPIRY_MAX:%Y-%m-%dT%H:%M:%SZ}')",
                    _EXPIRY_MESSAGE,
                )
            ],
        },
    )

    @field_validator("namespaces")
    @classmethod
    def _unique_namespaces(cls, value: list[str]) -> list[str]:
        return unique(value, "namespaces")

    @field_validator("reason")
    @classmethod
    def _reason_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must say why trading is halted (it is empty)")
        return value

    @field_validator("expires_at", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(RFC3339_PATTERN, value):
            raise ValueError(f"expiresAt {value!r} is not an RFC 3339 time with an offset")
        if not isinstance(value, str | datetime | None):
            raise ValueError("expiresAt must be an RFC 3339 time string")
        return value

    @field_validator("expires_at")
    @classmethod
    def _plausible_expiry(cls, value: datetime | None) -> datetime | None:
        if value is not None and not EXPIRY_MIN <= value < EXPIRY_MAX:
            raise ValueError(_EXPIRY_MESSAGE)
        return value


class TradingHaltStatus(WireModel):
    """The observed state of a TradingHalt, written by the operator."""

    conditions: list[Condition] = Field(
        default_factory=list,
        description="The Active condition.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
    )
    affected_strategies: int = Field(
        default=0, description="How many strategies the halt currently applies to.", ge=0
    )
    propagation_seconds: float | None = Field(
        default=None,
        description="Seconds from the halt's creation until every matching CronJob was suspended.",
        ge=0.0,
    )


class TradingHalt(WireModel):
    """A cluster-wide halt of every matching strategy until deleted or expired."""

    api_version: Literal["alchemiser.io/v1alpha1"] = Field(
        default="alchemiser.io/v1alpha1", description="alchemiser.io/v1alpha1"
    )
    kind: Literal["TradingHalt"] = Field(default=HALT_KIND, description="TradingHalt")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard metadata.")
    spec: TradingHaltSpec = Field(
        description="What to halt (namespaces, label selector), how, why and until when."
    )
    status: TradingHaltStatus | None = Field(
        default=None, description="What the operator observed; written by the operator."
    )
