"""Shared builders of test inputs for the operator's pure modules."""

import pytest
from operator_support import spec_wire

from alchemiser.api import TradingStrategySpec
from alchemiser.operator.builders import StrategyIdentity
from alchemiser.operator.settings import OperatorSettings


@pytest.fixture
def spec() -> TradingStrategySpec:
    """A valid spec model."""
    return TradingStrategySpec.model_validate(spec_wire())


@pytest.fixture
def identity() -> StrategyIdentity:
    """A strategy identity with a team label."""
    return StrategyIdentity("trading", "nuclear-trader", "uid-1", {"team": "quant"})


@pytest.fixture
def settings() -> OperatorSettings:
    """Settings that route workers to the local runner node."""
    return OperatorSettings(
        image="example/alchemiser:test",
        node_selector={"alchemiser.io/local-runner": "true"},
        tolerations=(
            {
                "key": "alchemiser.io/local-runner",
                "operator": "Equal",
                "value": "true",
                "effect": "NoSchedule",
            },
        ),
    )
