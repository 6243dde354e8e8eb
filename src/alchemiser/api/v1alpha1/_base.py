"""Shared building blocks of the v1alpha1 models: the wire convention, patterns, CEL rules.

Rule: pure data. Every regular expression here is written without backslashes so the
same text works as a Python pattern, an OpenAPI `pattern` and a CEL `matches()` argument.
"""

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Base of every API model: camelCase on the wire, unknown fields refused, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


def wire_default(model: type[BaseModel]) -> dict[str, Any]:
    """A model's all-defaults value as the CRD `default` of a field of that type.

    Written out in full, because the apiserver checks a default against the CEL rules
    before nested defaults would fill it in.
    """
    return model().model_dump(by_alias=True, mode="json", exclude_none=True)


def cel(
    rule: str,
    message: str,
    *,
    field_path: str | None = None,
    reason: str = "FieldValueInvalid",
) -> dict[str, Any]:
    """One `x-kubernetes-validations` entry: a CEL rule with a message a person understands."""
    entry: dict[str, Any] = {"rule": rule, "message": message}
    if field_path is not None:
        entry["fieldPath"] = field_path
    entry["reason"] = reason
    return entry


def unique(values: list[str], field: str) -> list[str]:
    """Refuse repeated items in a list the CRD declares a set (x-kubernetes-list-type: set)."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field}: duplicate value {value!r}")
        seen.add(value)
    return values


# Weights (allocations, static symbol weights) must sum to 1 within this tolerance.
WEIGHT_TOLERANCE: Final = 0.001


def sums_to_one(total: str) -> str:
    """A CEL condition: the CEL expression `total` is 1 within WEIGHT_TOLERANCE."""
    return f"{total} >= {1 - WEIGHT_TOLERANCE:g} && {total} <= {1 + WEIGHT_TOLERANCE:g}"


def _cron_field(value: str) -> str:
    item = f"([*]|{value}(-{value})?)(/[1-9][0-9]?)?"
    return f"{item}(,{item})*"


_MINUTE = "[0-5]?[0-9]"
_HOUR = "(2[0-3]|[01]?[0-9])"
_DAY = "(3[01]|[12][0-9]|0?[1-9])"
_MONTH = "(1[0-2]|0?[1-9]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_WEEKDAY = "([0-6]|sun|mon|tue|wed|thu|fri|sat)"  # Kubernetes' cron has no 7 for Sunday

CRON_PATTERN: Final = (
    "(?i)^"
    + " +".join(
        (
            _cron_field(_MINUTE),
            _cron_field(_HOUR),
            f"([?]|{_cron_field(_DAY)})",
            _cron_field(_MONTH),
            f"([?]|{_cron_field(_WEEKDAY)})",
        )
    )
    + "$"
)
CRON_MACRO_PATTERN: Final = "^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$"

# US equity tickers as Alpaca spells them: SPY, TQQQ, BRK.B.
SYMBOL_PATTERN: Final = "^[A-Z][A-Z0-9]{0,5}([.][A-Z]{1,2})?$"
SYMBOL_MAX_LENGTH: Final = 10
# RFC 1123 DNS label: Secret and namespace names.
DNS_LABEL_PATTERN: Final = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_LABEL_MAX_LENGTH: Final = 63
# An http(s) base URL: scheme, host name or IPv4 address, optional port and path.
ENDPOINT_PATTERN: Final = (
    "^(https?://[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[^ ]*)?)?$"
)
TIME_ZONE_PATTERN: Final = "^[A-Za-z][-A-Za-z0-9_+]*(/[-A-Za-z0-9_+]+){0,2}$"
# Kubernetes label keys ([prefix/]name) and values.
LABEL_KEY_PATTERN: Final = (
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_KEY_MAX_LENGTH: Final = 317
LABEL_VALUE_PATTERN: Final = "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
LABEL_VALUE_MAX_LENGTH: Final = 63
# RFC 3339 date-time with a mandatory offset (Kubernetes' date-time format alone is laxer).
RFC3339_PATTERN: Final = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?"
    "([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)

Symbol = Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN, max_length=SYMBOL_MAX_LENGTH)]
DnsLabel = Annotated[
    str,
    StringConstraints(pattern=DNS_LABEL_PATTERN, min_length=1, max_length=DNS_LABEL_MAX_LENGTH),
]
LabelValue = Annotated[
    str, StringConstraints(pattern=LABEL_VALUE_PATTERN, max_length=LABEL_VALUE_MAX_LENGTH)
]
