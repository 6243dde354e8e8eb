"""The built-in strategies `nuclear`, `tecl` and `klm`: our own symphony texts, evaluated.

Rule: pure. Each is a Composer symphony written from the original bot's spec
(symphonies/NAME.clj, package data read once at import through
importlib.resources: the package's own files, never the environment) and
decided by the pure symphony evaluator, so groups ranked or weighed as assets
(nuclear's bear basket, klm's eight variants) are scored on their own
simulated returns there, not here. Fail closed: every symbol the text names
must have `lookback_days` valid closes, whatever branch today takes.

An instance made with `remember=True` keeps a symphony Memo between its
decisions (a backtest's replay, one decision per session): the same decisions,
without recomputing yesterday's sessions. The worker's shared instances do not.
"""

from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters, NuclearParameters, TeclParameters
from alchemiser.symphony import (
    Condition,
    Evaluation,
    Memo,
    Ranking,
    Symphony,
    evaluate,
    parse,
    requirements,
)
from alchemiser.symphony.tree import Filter, Group, If, Node, children, label
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies.base import expect_params
from alchemiser.worker.strategies.decision import Decision

_PACKAGE = "alchemiser.worker.strategies.symphonies"
_PARAMETERS: Mapping[StrategyName, type[BaseModel]] = MappingProxyType(
    {
        StrategyName.NUCLEAR: NuclearParameters,
        StrategyName.TECL: TeclParameters,
        StrategyName.KLM: KlmParameters,
    }
)
BUILTIN_NAMES = tuple(_PARAMETERS)


def builtin_text(name: StrategyName) -> str:
    """The symphony text the built-in strategy `name` evaluates."""
    if name not in _PARAMETERS:
        raise KeyError(f"{name.value} is not a built-in symphony")
    return resources.files(_PACKAGE).joinpath(f"{name.value}.clj").read_text(encoding="utf-8")


class BuiltinSymphony:
    """A built-in strategy that is a symphony text of ours (nuclear, tecl, klm)."""

    def __init__(self, name: StrategyName, *, remember: bool = False) -> None:
        self.name = name
        self._parameters = _PARAMETERS[name]
        self.symphony: Symphony = parse(builtin_text(name), source=f"{name.value}.clj")
        self._lookback = requirements(self.symphony).lookback
        self._sorted = tuple(sorted(self.symphony.symbols))
        self._memo = Memo(self.symphony) if remember else None

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every symbol the text reads or holds."""
        expect_params(params, self._parameters, self.name)
        return self.symphony.symbols

    def lookback_days(self, params: BaseModel) -> int:
        """Sessions the deepest chain needs (indicator warm-up plus group simulation)."""
        expect_params(params, self._parameters, self.name)
        return self._lookback

    def decide(self, history: PriceHistory, params: BaseModel) -> Decision:
        """Evaluate the text on the history's closes; the branch names the groups chosen."""
        expect_params(params, self._parameters, self.name)
        for symbol in self._sorted:
            history.closes_for(symbol, min_length=self._lookback)
        evaluation = evaluate(self.symphony, history.closes, self._memo)
        return Decision(evaluation.weights, branch_of(evaluation))


def branch_of(evaluation: Evaluation) -> str:
    """The names of the groups the decision went through, outermost first (' > ' joined)."""
    names: list[str] = []
    _walk(evaluation.symphony.root, evaluation, names)
    return " > ".join(names) or evaluation.symphony.name


def _walk(node: Node, evaluation: Evaluation, names: list[str]) -> None:
    if isinstance(node, Group):
        names.append(node.name.strip())
    step = evaluation.steps.get(node.id)
    if isinstance(node, If) and isinstance(step, Condition):
        _walk(node.then if step.holds else node.otherwise, evaluation, names)
        return
    if isinstance(node, Filter) and isinstance(step, Ranking):
        chosen = {score.label for score in step.scores if score.chosen}
        for child in node.candidates:
            if label(child) in chosen:
                _walk(child, evaluation, names)
        return
    for child in children(node):
        _walk(child, evaluation, names)


NUCLEAR = BuiltinSymphony(StrategyName.NUCLEAR)
TECL = BuiltinSymphony(StrategyName.TECL)
KLM = BuiltinSymphony(StrategyName.KLM)
