"""The `symphony` strategy: a Composer symphony the user supplies, evaluated as written.

Rule: pure. The text was compiled when the parameters were parsed (inline
`source`) or when the worker's configuration read the mounted ConfigMap
(`configMapRef`); here it is only evaluated (alchemiser.symphony) on completed
daily closes. Missing data raises DataUnavailable naming the symbols; nothing
falls back to cash.
"""

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.api.parameters import SymphonyParameters
from alchemiser.symphony import evaluate, requirements
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies.base import expect_params
from alchemiser.worker.strategies.decision import Decision


class SymphonyStrategy:
    """Runs the compiled symphony in its parameters."""

    name = StrategyName.SYMPHONY

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every ticker the tree names (in any branch, condition or filter)."""
        return expect_params(params, SymphonyParameters, self.name).symphony.symbols

    def lookback_days(self, params: BaseModel) -> int:
        """The sessions the tree's deepest indicator reads (docs/symphonies.md)."""
        symphony = expect_params(params, SymphonyParameters, self.name).symphony
        return requirements(symphony).lookback

    def decide(self, history: PriceHistory, params: BaseModel) -> Decision:
        """Evaluate the tree on the closes; the branch names the symphony and its digest."""
        parsed = expect_params(params, SymphonyParameters, self.name)
        result = evaluate(parsed.symphony, history.closes)
        return Decision(result.weights, f"symphony {parsed.symphony.name!r} {parsed.digest[:19]}")
