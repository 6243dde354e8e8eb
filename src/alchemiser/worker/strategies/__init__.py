"""The built-in strategies and the registry the pipeline looks them up in.

Rule: pure decision code. Strategies read completed daily closes from a
PriceHistory and validated parameters; they do no I/O, read no clock or
environment and never talk to a broker (enforced in .importlinter).
`nuclear`, `tecl` and `klm` are symphony texts of ours (builtin.py,
symphonies/*.clj) decided by the symphony evaluator; `static` holds fixed weights.

Pipeline use, per allocation::

    params = parse_parameters(allocation.strategy, allocation.parameters)
    strategy = REGISTRY[allocation.strategy]
    strategy.symbols(params), strategy.lookback_days(params)   # what bars to fetch
    decision = strategy.decide(history, params)                # weights summing to 1

decide() returns a Decision: a Mapping[str, float] that also names the branch taken.
"""

from collections.abc import Mapping
from types import MappingProxyType

from alchemiser.api import StrategyName
from alchemiser.worker.strategies.base import Strategy
from alchemiser.worker.strategies.builtin import KLM, NUCLEAR, TECL
from alchemiser.worker.strategies.decision import Decision
from alchemiser.worker.strategies.static import Static
from alchemiser.worker.strategies.symphony import SymphonyStrategy

REGISTRY: Mapping[StrategyName, Strategy] = MappingProxyType(
    {
        StrategyName.NUCLEAR: NUCLEAR,
        StrategyName.TECL: TECL,
        StrategyName.KLM: KLM,
        StrategyName.STATIC: Static(),
        StrategyName.SYMPHONY: SymphonyStrategy(),
    }
)

__all__ = ["REGISTRY", "Decision", "Strategy"]
