"""What one symphony's decisions on successive sessions can share (a backtest's replay).

Rule: pure bookkeeping, no I/O. A decision counts sessions back from its latest
close (0); the memo gives each session an absolute number so a value computed
yesterday for a session is found today for the same session. It is exact, not
an approximation: every close a remembered result was computed from is checked
to be today's close for that session (each series is compared with the closes
remembered for its sessions), and on any difference everything is forgotten.
Two windows cut from one series with a precomputed source (closes.py; a
backtest's) and lined up on the same sessions are equal where they overlap
without being compared: the series they were cut from is immutable.

Remembered across decisions:
- indicator values of a symbol's closes at a session (an indicator reads a fixed
  number of closes ending there, so the value is the same on every later day);
- allocations of *steady* nodes (read at sessions before today's; today's, made
  afresh, are kept for the decisions after it): nodes whose subtree
  ranks or weighs only assets, so their allocation is a function of symbol
  indicators alone; a group ranked as an asset is simulated from a price of 1.0
  at its reach, which moves every day, so what reads such a series is not steady;
- allocations of other nodes at a session whose evaluation read no simulated
  series (the evaluator counts such reads): the branches it took were decided by
  symbol indicators alone, so the same branches and the same result follow on
  any later day;
- the daily return of a steady simulated group at a session.
Today's session (0) is always evaluated afresh: it is what a decision explains.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from alchemiser.symphony.closes import Closes
from alchemiser.symphony.history import ranking_metric
from alchemiser.symphony.tree import Asset, Node, Symphony, children

Weights = Mapping[str, float]

# How many sessions apart two decisions may be and still share (weekly schedules, holidays).
_MAX_STEP = 31


@dataclass
class Memo:
    """Carried from one decision of `symphony` to the next; pass it to every `evaluate`."""

    symphony: Symphony
    steady: frozenset[int] = field(init=False)
    today: int = 0  # the absolute number of the latest close of the last decision
    values: dict[tuple[int, str, int], float] = field(default_factory=dict)  # metric number
    allocations: dict[tuple[int, int], Weights] = field(default_factory=dict)
    returns: dict[tuple[int, int], float] = field(default_factory=dict)
    # The latest decision's closes per symbol, each ending at session `today`. Only that
    # window is kept: each window was compared with the one before on all the sessions they
    # share, and a decision reads values only of sessions whose closes lie inside its own
    # window, so those closes are the ones every earlier window that computed such a value
    # held (windows only move forward).
    _closes: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.steady = steady_nodes(self.symphony.root)

    def align(self, closes: Mapping[str, tuple[float, ...]]) -> None:
        """Number today's sessions; forget everything unless the closes extend the last ones."""
        if self._closes:
            for step in self._steps(closes):
                if self._matches(closes, self.today + step):
                    self._extend(closes, self.today + step)
                    return
        self._forget()
        self._extend(closes, 0)

    def _steps(self, closes: Mapping[str, tuple[float, ...]]) -> list[int]:
        """Candidate session steps: where yesterday's latest close of one symbol is today."""
        symbol = min(closes, default=None)
        known = self._closes.get(symbol) if symbol is not None else None
        if not known or symbol is None:
            return []
        latest = known[-1]
        series = closes[symbol]
        last = len(series) - 1
        return [step for step in range(min(_MAX_STEP, last) + 1) if series[last - step] == latest]

    def _matches(self, closes: Mapping[str, tuple[float, ...]], today: int) -> bool:
        if closes.keys() != self._closes.keys():
            return False
        for symbol, series in closes.items():
            known = self._closes[symbol]
            # Sessions from the remembered window's first close to today's first close.
            offset = (today - len(series)) - (self.today - len(known))
            if offset < 0:
                return False  # older closes than remembered: cannot be checked
            if offset >= len(known):
                return False
            if not _same_cut(known, series, offset):
                overlap = known[offset:]
                if overlap != series[: len(overlap)]:
                    return False
        return True

    def _extend(self, closes: Mapping[str, tuple[float, ...]], today: int) -> None:
        self._closes = dict(closes)
        self.today = today

    def _forget(self) -> None:
        self.values.clear()
        self.allocations.clear()
        self.returns.clear()
        self._closes.clear()
        self.today = 0


def _same_cut(known: tuple[float, ...], series: tuple[float, ...], offset: int) -> bool:
    """True when both are windows of one series with the same precomputed source (a backtest's),
    lined up: then they hold the same closes wherever they overlap, without comparing them."""
    if type(series) is not Closes or type(known) is not Closes or series.source is None:
        return False
    return series.source is known.source and series.offset == known.offset + offset


def steady_nodes(root: Node) -> frozenset[int]:
    """Ids of the nodes whose allocation depends on symbol indicators only."""
    steady: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, seen = stack.pop()
        kids = children(node)
        if not seen:
            stack.append((node, True))
            stack.extend((child, False) for child in kids)
            continue
        ranks_groups = ranking_metric(node) is not None and not all(
            isinstance(child, Asset) for child in kids
        )
        if not ranks_groups and all(child.id in steady for child in kids):
            steady.add(node.id)
    return frozenset(steady)
