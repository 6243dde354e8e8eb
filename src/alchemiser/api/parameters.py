"""Per-strategy parameter models and `parse_parameters`, the operator's deeper check.

Admission checks only what a schema can (static `weights`); everything else about an
allocation's `parameters` is checked here. The operator calls `parse_parameters` and,
on ConfigError, sets Ready=False with reason InvalidParameters and the error's message.
Pure: no I/O.
"""

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from alchemiser.api.v1alpha1 import StrategyName
from alchemiser.api.v1alpha1._base import Symbol
from alchemiser.api.v1alpha1.weights import WEIGHTS_DESCRIPTION, check_weights
from alchemiser.errors import ConfigError


class StrategyParameters(BaseModel):
    """Base of the parameter models: camelCase keys, unknown keys refused, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class NuclearParameters(StrategyParameters):
    """Parameters of the nuclear strategy (it has no tunables yet; any key is refused)."""


class TeclParameters(StrategyParameters):
    """Parameters of the tecl strategy (it has no tunables yet; any key is refused)."""


class KlmParameters(StrategyParameters):
    """Parameters of the klm strategy (it has no tunables yet; any key is refused)."""


class StaticParameters(StrategyParameters):
    """Parameters of the static strategy: fixed target weights."""

    weights: dict[Symbol, float] = Field(description=WEIGHTS_DESCRIPTION)

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value)


PARAMETER_MODELS: Final[Mapping[StrategyName, type[StrategyParameters]]] = {
    StrategyName.NUCLEAR: NuclearParameters,
    StrategyName.TECL: TeclParameters,
    StrategyName.KLM: KlmParameters,
    StrategyName.STATIC: StaticParameters,
}


def parse_parameters(strategy: StrategyName, parameters: Mapping[str, Any]) -> StrategyParameters:
    """Parse one allocation's parameters; raise ConfigError whose message names the parameter."""
    model = PARAMETER_MODELS[StrategyName(strategy)]
    try:
        return model.model_validate(dict(parameters))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or "parameters"
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = f"unknown parameter for strategy {strategy}"
            problems.append(f"parameters.{name}: {message}")
        raise ConfigError(f"{strategy}: " + "; ".join(problems)) from error
