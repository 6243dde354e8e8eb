"""What a strategy returns: target weights plus the branch of its tree that chose them.

Rule: values only; no I/O.
"""

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from alchemiser.errors import StrategyError

# How far a decision's weights may sum from 1 (float rounding of splits like 1/3).
WEIGHT_SUM_TOLERANCE = 1e-9


# eq=False keeps Mapping's equality: a Decision equals any mapping with the same weights.
@dataclass(frozen=True, eq=False)
class Decision(Mapping[str, float]):
    """Target weights (symbol -> fraction of the strategy's slice) and the branch taken.

    A Decision is a read-only Mapping, so callers that only want weights use it as one;
    `branch` names the leaf of the decision tree, for logs and tests. Construction
    checks the weights: finite, non-negative, summing to 1.
    """

    weights: Mapping[str, float]
    branch: str = field(default="")

    def __post_init__(self) -> None:
        weights = {symbol: float(w) for symbol, w in sorted(self.weights.items()) if w != 0.0}
        check_weights(weights, what=f"decision {self.branch!r}")
        object.__setattr__(self, "weights", MappingProxyType(weights))

    def __getitem__(self, symbol: str) -> float:
        return self.weights[symbol]

    def __iter__(self) -> Iterator[str]:
        return iter(self.weights)

    def __len__(self) -> int:
        return len(self.weights)


def hold(symbol: str, branch: str) -> Decision:
    """The whole slice in one symbol."""
    return Decision({symbol: 1.0}, branch)


def check_weights(weights: Mapping[str, float], *, what: str) -> None:
    """Raise StrategyError unless the weights are finite, >= 0 and sum to 1."""
    if not weights:
        raise StrategyError(f"{what} has no weights")
    for symbol, weight in weights.items():
        if not math.isfinite(weight) or weight < 0.0:
            raise StrategyError(f"{what} gives {symbol} the invalid weight {weight!r}")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise StrategyError(f"{what} weights sum to {total!r}, not 1")
