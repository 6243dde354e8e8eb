"""Per-strategy parameter models and `parse_parameters`, the operator's deeper check.

Admission checks only what a schema can (static `weights`); everything else about an
allocation's `parameters` is checked here. The operator calls `parse_parameters` and,
on ConfigError, sets Ready=False with reason InvalidParameters and the error's message.
Pure: no I/O.
"""

from collections.abc import Mapping
from typing import Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from alchemiser.api import problems
from alchemiser.api.v1alpha1 import StrategyName
from alchemiser.api.v1alpha1._base import Symbol
from alchemiser.api.v1alpha1.symphonyref import (
    CONFIG_MAP_KEY_PATTERN,
    CONFIG_MAP_NAME_PATTERN,
    EXACTLY_ONE,
    REF_DESCRIPTION,
    SOURCE_DESCRIPTION,
)
from alchemiser.api.v1alpha1.weights import WEIGHTS_DESCRIPTION, check_weights
from alchemiser.errors import ConfigError
from alchemiser.symphony import Symphony, SymphonyError, digest, parse


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


class ConfigMapRef(StrategyParameters):
    """Where a symphony's text is: a key of a ConfigMap in the strategy's namespace."""

    name: str = Field(max_length=253, pattern=CONFIG_MAP_NAME_PATTERN)
    key: str = Field(max_length=253, pattern=CONFIG_MAP_KEY_PATTERN)

    def __str__(self) -> str:
        return f"configmap {self.name} key {self.key}"


class SymphonyParameters(StrategyParameters):
    """Parameters of the symphony strategy: its text inline or a ConfigMap reference.

    Inline text is compiled here, so a bad symphony is an InvalidParameters error
    naming `parameters.source:LINE:COL`. Referenced text is compiled by whoever
    reads the ConfigMap (the operator to validate it, the worker from its mounted
    volume) through `with_text`; `symphony` is only available once compiled.
    """

    source: str | None = Field(default=None, min_length=1, description=SOURCE_DESCRIPTION)
    config_map_ref: ConfigMapRef | None = Field(default=None, description=REF_DESCRIPTION)
    _compiled: Symphony | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _exactly_one(self) -> "SymphonyParameters":
        if (self.source is None) == (self.config_map_ref is None):
            raise ValueError(EXACTLY_ONE)
        if self.source is not None:
            self._compiled = _compile(self.source, "parameters.source")
        return self

    def with_text(self, text: str) -> "SymphonyParameters":
        """These parameters with the referenced ConfigMap's text compiled (ConfigError if bad)."""
        if self.config_map_ref is None:
            raise ConfigError("parameters.source is inline; there is no ConfigMap text to add")
        copy = self.model_copy()
        copy._compiled = _compile(text, f"{self.config_map_ref}")
        return copy

    @property
    def symphony(self) -> Symphony:
        """The compiled symphony; ConfigError while a ConfigMap's text has not been added."""
        if self._compiled is None:
            raise ConfigError(f"symphony text from {self.config_map_ref} was not loaded")
        return self._compiled

    @property
    def digest(self) -> str:
        """sha256 of the compiled text (what status reports for the text a run used)."""
        return digest(self.symphony.text)


def _compile(text: str, where: str) -> Symphony:
    try:
        return parse(text, where)
    except SymphonyError as error:
        # Not a ValueError, so pydantic lets it through unwrapped; parse_parameters prefixes it.
        raise ConfigError(str(error)) from None


PARAMETER_MODELS: Final[Mapping[StrategyName, type[StrategyParameters]]] = {
    StrategyName.NUCLEAR: NuclearParameters,
    StrategyName.TECL: TeclParameters,
    StrategyName.KLM: KlmParameters,
    StrategyName.STATIC: StaticParameters,
    StrategyName.SYMPHONY: SymphonyParameters,
}


def parse_parameters(strategy: StrategyName, parameters: Mapping[str, Any]) -> StrategyParameters:
    """Parse one allocation's parameters; raise ConfigError whose message names the parameter."""
    model = PARAMETER_MODELS[StrategyName(strategy)]
    try:
        return model.model_validate(dict(parameters))
    except ConfigError as error:
        raise ConfigError(f"{strategy}: {error}") from None
    except ValidationError as error:
        found = [
            f"{problem.path}: unknown parameter for strategy {strategy}"
            if problem.kind == "extra_forbidden"
            else str(problem)
            for problem in problems.problems(error, "parameters")
        ]
        raise ConfigError(f"{strategy}: " + "; ".join(found)) from error
