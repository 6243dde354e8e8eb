"""How much history a symphony's decision needs, found from the tree alone.

Rule: pure; no I/O. A node's *reach* is the oldest session (counted back from
the decision's latest close, which is 0) at which the evaluator may have to
evaluate it. The root's reach is 0. A filter or weight-inverse-volatility that
ranks a non-asset child reads that child's simulated portfolio over the
metric's closes, so the child (and all below it) reaches `need - 1` sessions
further back; every other child inherits its parent's reach. A symbol then
needs `reach + need(metric)` closes for each indicator read of it, and
`reach + 1` where it is held, so nesting adds up rather than multiplies.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from alchemiser.symphony.indicators import need
from alchemiser.symphony.tree import (
    Asset,
    Filter,
    Fn,
    If,
    Indicator,
    Metric,
    Node,
    Symphony,
    WeightInverseVolatility,
    children,
)


@dataclass(frozen=True)
class Requirements:
    """Closes a decision reads: per symbol, the most of them, and each node's reach."""

    per_symbol: Mapping[str, int]
    reach: Mapping[int, int]

    @property
    def lookback(self) -> int:
        """Completed sessions of history the decision needs (the longest per-symbol need)."""
        return max(self.per_symbol.values(), default=1)


# A symphony is immutable and hashed by identity, so each is walked once per process
# (a backtest evaluates the same few thousands of times).
@lru_cache(maxsize=64)
def requirements(symphony: Symphony) -> Requirements:
    """Walk the tree once and return what its decision needs."""
    per_symbol: dict[str, int] = {}
    reach: dict[int, int] = {}

    def read(symbol: str, closes: int) -> None:
        per_symbol[symbol] = max(per_symbol.get(symbol, 0), closes)

    stack: list[tuple[Node, int]] = [(symphony.root, 0)]
    while stack:
        node, at = stack.pop()
        reach[node.id] = max(reach.get(node.id, 0), at)
        if isinstance(node, Asset):
            read(node.symbol, at + 1)
            continue
        ranked = ranking_metric(node)
        if isinstance(node, If):
            for operand in (node.condition.left, node.condition.right):
                if isinstance(operand, Indicator):
                    read(operand.symbol, at + need(operand.metric))
        for child in children(node):
            if ranked is None:
                stack.append((child, at))
            elif isinstance(child, Asset):
                read(child.symbol, at + need(ranked))
                stack.append((child, at))
            else:
                stack.append((child, at + need(ranked) - 1))
    return Requirements(MappingProxyType(per_symbol), MappingProxyType(reach))


def ranking_metric(node: Node) -> Metric | None:
    """The metric a filter ranks by or weight-inverse-volatility weighs by, else None."""
    if isinstance(node, Filter):
        return node.metric
    if isinstance(node, WeightInverseVolatility):
        return Metric(Fn.STDEV_RETURN, node.window)
    return None
