"""Recording wrappers: the pipeline's own strategies and combine, with what they decided kept.

Rule: no I/O; each wrapper calls the real collaborator and appends what it returned
(and how long it took) to a list the replay reads after each run.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from alchemiser.api import Allocation, StrategyName
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.pipeline import Combine
from alchemiser.worker.strategies import Decision, Strategy


@dataclass(frozen=True)
class Decided:
    """One strategy's decision in one run."""

    strategy: str
    branch: str
    weights: Mapping[str, float]


@dataclass
class Tape:
    """What the recorded collaborators returned during the current run."""

    decisions: list[Decided] = field(default_factory=list)
    targets: Mapping[str, float] | None = None
    seconds: float = 0.0  # spent in decide() and combine()

    def reset(self) -> None:
        """Forget the previous run's records (the seconds keep adding up)."""
        self.decisions = []
        self.targets = None


class RecordingStrategy:
    """A strategy that records each decision it makes."""

    def __init__(self, inner: Strategy, tape: Tape) -> None:
        self._inner = inner
        self._tape = tape

    @property
    def name(self) -> StrategyName:
        """The wrapped strategy's name."""
        return self._inner.name

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """The wrapped strategy's symbols."""
        return self._inner.symbols(params)

    def lookback_days(self, params: BaseModel) -> int:
        """The wrapped strategy's lookback."""
        return self._inner.lookback_days(params)

    def decide(self, history: PriceHistory, params: BaseModel) -> Mapping[str, float]:
        """Decide with the wrapped strategy and record the result."""
        began = time.perf_counter()
        try:
            decision = self._inner.decide(history, params)
        finally:
            self._tape.seconds += time.perf_counter() - began
        branch = decision.branch if isinstance(decision, Decision) else ""
        self._tape.decisions.append(Decided(self.name.value, branch, dict(decision)))
        return decision


def recording(
    strategies: Mapping[StrategyName, Strategy], combine: Combine, tape: Tape
) -> tuple[dict[StrategyName, Strategy], Combine]:
    """Wrap every strategy and the combine step so that `tape` records them."""
    wrapped: dict[StrategyName, Strategy] = {
        name: RecordingStrategy(strategy, tape) for name, strategy in strategies.items()
    }

    def combined(
        allocations: Sequence[Allocation], decisions: Sequence[Mapping[str, float]]
    ) -> Mapping[str, float]:
        began = time.perf_counter()
        try:
            targets = combine(allocations, decisions)
        finally:
            tape.seconds += time.perf_counter() - began
        tape.targets = dict(targets)
        return targets

    return wrapped, combined
