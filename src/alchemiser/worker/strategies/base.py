"""The contract every built-in strategy meets.

Rule: strategies are pure: a decision is a function of completed daily closes and
the strategy's validated parameters. No I/O, no clock, no environment, no broker.
"""

from collections.abc import Mapping
from typing import Protocol, TypeVar

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.errors import StrategyError
from alchemiser.worker.market import PriceHistory

P = TypeVar("P", bound=BaseModel)


class Strategy(Protocol):
    """A built-in strategy, looked up in REGISTRY by its StrategyName."""

    @property
    def name(self) -> StrategyName:
        """The allocation's `strategy` value that selects this strategy."""
        ...

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every symbol any branch can read or pick (the bars to fetch, the allow-list)."""
        ...

    def lookback_days(self, params: BaseModel) -> int:
        """Completed daily bars (trading sessions, not calendar days) decide() needs."""
        ...

    def decide(self, history: PriceHistory, params: BaseModel) -> Mapping[str, float]:
        """Target weights (>= 0, summing to 1); raises DataUnavailable or StrategyError."""
        ...


def expect_params(params: BaseModel, model: type[P], strategy: StrategyName) -> P:
    """Narrow parsed parameters to the strategy's model, or raise StrategyError."""
    if not isinstance(params, model):
        raise StrategyError(
            f"{strategy.value} expects {model.__name__}, got {type(params).__name__}"
        )
    return params
