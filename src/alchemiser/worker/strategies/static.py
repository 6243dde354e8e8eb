"""The `static` strategy: hold the weights given in its parameters.

Decision tree: none. Every symbol in `StaticParameters.weights` gets its weight
divided by the weights' sum: admission accepts sums within 0.001 of 1 (so that
0.333/0.333/0.333 is valid), and a decision sums to 1 exactly. Each symbol must
have at least one completed daily bar, so a mistyped or delisted symbol fails
the run instead of becoming a buy order without a price.
"""

import math

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.api.parameters import StaticParameters
from alchemiser.errors import StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies.base import expect_params
from alchemiser.worker.strategies.decision import Decision


class Static:
    """Fixed target weights."""

    name = StrategyName.STATIC

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every symbol named in the weights, zero weights included (they may be held)."""
        return frozenset(_narrow(params).weights)

    def lookback_days(self, params: BaseModel) -> int:
        """One completed bar per symbol: enough to know the symbol trades."""
        _narrow(params)
        return 1

    def decide(self, history: PriceHistory, params: BaseModel) -> Decision:
        """Return the configured weights, scaled to sum to 1, after checking each symbol's data."""
        weights = _narrow(params).weights
        for symbol in sorted(weights):
            history.closes_for(symbol)
        total = math.fsum(weights.values())
        if not (math.isfinite(total) and total > 0.0):
            raise StrategyError(f"static weights sum to {total!r}")
        return Decision({symbol: w / total for symbol, w in weights.items()}, "static")


def _narrow(params: BaseModel) -> StaticParameters:
    return expect_params(params, StaticParameters, StrategyName.STATIC)
