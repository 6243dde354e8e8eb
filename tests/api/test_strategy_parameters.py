"""parse_parameters: the operator's check of allocation parameters, naming the parameter."""

from typing import Any

import pytest

from alchemiser.api import StrategyName
from alchemiser.api.parameters import (
    PARAMETER_MODELS,
    KlmParameters,
    NuclearParameters,
    StaticParameters,
    SymphonyParameters,
    TeclParameters,
    parse_parameters,
)
from alchemiser.errors import ConfigError


def test_every_strategy_has_a_parameter_model() -> None:
    """Each built-in strategy maps to its own parameter model."""
    assert {
        StrategyName.NUCLEAR: NuclearParameters,
        StrategyName.TECL: TeclParameters,
        StrategyName.KLM: KlmParameters,
        StrategyName.STATIC: StaticParameters,
        StrategyName.SYMPHONY: SymphonyParameters,
    } == PARAMETER_MODELS


@pytest.mark.parametrize("strategy", ["nuclear", "tecl", "klm"])
def test_signal_strategies_take_empty_parameters(strategy: str) -> None:
    """nuclear, tecl and klm accept {} and return their model."""
    parsed = parse_parameters(StrategyName(strategy), {})
    assert isinstance(parsed, PARAMETER_MODELS[StrategyName(strategy)])


def test_static_weights_parse() -> None:
    """Static weights come back as a symbol-to-fraction dict."""
    parsed = parse_parameters(StrategyName.STATIC, {"weights": {"SPY": 0.6, "BRK.B": 0.4}})
    assert isinstance(parsed, StaticParameters)
    assert parsed.weights == {"SPY": 0.6, "BRK.B": 0.4}


@pytest.mark.parametrize(
    ("strategy", "parameters", "named"),
    [
        ("nuclear", {"topN": 3}, "parameters.topN"),
        ("tecl", {"leverage": 3}, "parameters.leverage"),
        ("klm", {"variant": "a"}, "parameters.variant"),
        ("static", {}, "parameters.weights"),
        ("static", {"weights": {"SPY": 0.5}}, "parameters.weights"),
        ("static", {"weights": {"spy": 1.0}}, "parameters.weights"),
        ("static", {"weights": {"SPY": "all"}}, "parameters.weights"),
        ("static", {"weights": {"SPY": 1.0}, "rebalance": "daily"}, "parameters.rebalance"),
        ("static", {"weights": []}, "parameters.weights"),
    ],
)
def test_bad_parameters_raise_config_error_naming_the_parameter(
    strategy: str, parameters: dict[str, Any], named: str
) -> None:
    """The ConfigError message names the strategy and the offending parameter."""
    with pytest.raises(ConfigError) as raised:
        parse_parameters(StrategyName(strategy), parameters)
    message = str(raised.value)
    assert named in message
    assert message.startswith(f"{strategy}: ")


def test_plain_string_strategy_names_are_accepted() -> None:
    """Callers holding the wire string (not the enum) get the same result."""
    assert parse_parameters("klm", {}) == KlmParameters()  # type: ignore[arg-type]
