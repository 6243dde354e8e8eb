"""Combine the allocations' decisions into one portfolio of target weights.

Rule: pure arithmetic on weights; no I/O. A decision that is not a valid set of
weights is a strategy bug and fails the run (StrategyError); nothing is
renormalised, dropped or replaced by cash.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from alchemiser.errors import ConfigError, StrategyError
from alchemiser.worker.strategies.decision import check_weights

# The API accepts allocation weights summing to 1 within this (ARCHITECTURE.md).
ALLOCATION_SUM_TOLERANCE = 1e-3


class Weighted(Protocol):
    """What combine() needs from an allocation (alchemiser.api.Allocation has it)."""

    @property
    def weight(self) -> float:
        """The allocation's share of the account."""
        ...


def combine(
    allocations: Sequence[Weighted], decisions: Sequence[Mapping[str, float]]
) -> dict[str, float]:
    """Target weight per symbol: the sum over allocations of allocation weight x decided weight.

    `decisions[i]` is the decision for `allocations[i]`. Raises StrategyError when the
    counts differ or a decision is not finite, non-negative weights summing to 1, and
    ConfigError when the allocation weights are negative or do not sum to 1 (±0.001).
    The result is sorted by symbol, omits zero weights, and sums to the allocation
    weights' sum (1 within 0.001; exactly 1 up to float rounding for valid specs).
    """
    if len(allocations) != len(decisions):
        raise StrategyError(f"{len(decisions)} decisions for {len(allocations)} allocations")
    if not allocations:
        raise ConfigError("allocations: at least one is required")
    weights = [float(allocation.weight) for allocation in allocations]
    for index, weight in enumerate(weights):
        if not math.isfinite(weight) or weight < 0.0:
            raise ConfigError(f"allocations[{index}].weight: invalid weight {weight!r}")
    total = math.fsum(weights)
    if abs(total - 1.0) > ALLOCATION_SUM_TOLERANCE:
        raise ConfigError(f"allocations: weights sum to {total!r}, not 1")
    parts: dict[str, list[float]] = {}
    for index, (weight, decision) in enumerate(zip(weights, decisions, strict=True)):
        check_weights(decision, what=f"allocations[{index}] decision")
        for symbol, fraction in decision.items():
            parts.setdefault(symbol, []).append(weight * fraction)
    combined = {symbol: math.fsum(parts[symbol]) for symbol in sorted(parts)}
    return {symbol: value for symbol, value in combined.items() if value > 0.0}
