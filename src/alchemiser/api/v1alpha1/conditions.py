"""Status conditions in the shape of Kubernetes' metav1.Condition. Pure data."""

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from alchemiser.api.v1alpha1._base import WireModel


class ConditionStatus(StrEnum):
    """Whether a condition holds: True, False or Unknown."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(WireModel):
    """One aspect of the object's state (metav1.Condition shape), e.g. Ready or Halted."""

    type: str = Field(
        description="Condition type in CamelCase, e.g. Ready, Halted, LastRunSucceeded, Active.",
        min_length=1,
        max_length=316,
        pattern="^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    )
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(
        description="Machine-readable CamelCase reason for the last transition, "
        "e.g. InvalidParameters.",
        min_length=1,
        max_length=1024,
        pattern="^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    )
    message: str = Field(
        default="",
        description="Human-readable details about the last transition.",
        max_length=32768,
    )
    last_transition_time: datetime = Field(
        description="When the status last changed (RFC 3339).",
    )
    observed_generation: int | None = Field(
        default=None,
        description="The metadata.generation the condition was computed from.",
        ge=0,
    )
