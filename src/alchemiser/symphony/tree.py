"""The typed symphony tree the compiler builds and the evaluator walks.

Rule: values only; no I/O. Every node has a unique `id` (its index in
Symphony.nodes) used as the key of the evaluator's per-(node, session) memo,
and the index of its first `token` in the text, for line:column in messages.
"""

from dataclasses import dataclass, field
from enum import StrEnum


class Fn(StrEnum):
    """The indicators a condition or a filter can read."""

    RSI = "rsi"
    CURRENT_PRICE = "current-price"
    MOVING_AVERAGE_PRICE = "moving-average-price"
    MOVING_AVERAGE_RETURN = "moving-average-return"
    CUMULATIVE_RETURN = "cumulative-return"
    EXPONENTIAL_MOVING_AVERAGE_PRICE = "exponential-moving-average-price"
    STDEV_RETURN = "stdev-return"
    STDEV_PRICE = "stdev-price"
    MAX_DRAWDOWN = "max-drawdown"


@dataclass(frozen=True, slots=True)
class Metric:
    """An indicator and its window (0 for current-price) without a subject."""

    fn: Fn
    window: int

    def __str__(self) -> str:
        return self.fn.value if self.fn is Fn.CURRENT_PRICE else f"{self.fn.value}({self.window})"


@dataclass(frozen=True, slots=True)
class Indicator:
    """A metric of one symbol, as a comparison's operand."""

    metric: Metric
    symbol: str
    token: int

    def __str__(self) -> str:
        if self.metric.fn is Fn.CURRENT_PRICE:
            return f"current-price({self.symbol})"
        return f"{self.metric.fn.value}({self.symbol}, {self.metric.window})"


@dataclass(frozen=True, slots=True)
class Number:
    """A constant operand."""

    value: float
    token: int

    def __str__(self) -> str:
        return f"{self.value:g}"


Operand = Indicator | Number


@dataclass(frozen=True, slots=True)
class Compare:
    """`(> left right)` and its siblings."""

    op: str  # one of > < >= <=
    left: Operand
    right: Operand
    token: int

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """Base of the allocation nodes."""

    id: int
    token: int


@dataclass(frozen=True, slots=True, eq=False)
class Asset(Node):
    """`(asset "SPY" ...)`: the whole slice in one symbol."""

    symbol: str


@dataclass(frozen=True, slots=True, eq=False)
class WeightEqual(Node):
    """`(weight-equal [...])`, and any vector of several children."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class WeightSpecified(Node):
    """`(weight-specified w1 child1 w2 child2 ...)`; weights normalised to sum 1."""

    weights: tuple[float, ...]
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class WeightInverseVolatility(Node):
    """`(weight-inverse-volatility N [...])`: 1/stdev-return(N) of each child, normalised."""

    window: int
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Group(Node):
    """`(group "name" [child])`: a label; ranked by its own simulated portfolio."""

    name: str
    child: Node


@dataclass(frozen=True, slots=True, eq=False)
class Filter(Node):
    """`(filter (metric {:window n}) (select-top k) [...])`."""

    metric: Metric
    top: bool
    count: int
    candidates: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class If(Node):
    """`(if condition then else)`; only the chosen branch is evaluated."""

    condition: Compare
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Options:
    """The `defsymphony` options Alchemiser reads (others are kept, unused)."""

    rebalance_threshold: float | None = None
    rebalance_frequency: str | None = None
    asset_class: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Symphony:
    """A compiled symphony: its name, options, tree and what a decision needs."""

    name: str
    options: Options
    root: Node
    nodes: tuple[Node, ...] = field(repr=False)
    symbols: frozenset[str]
    text: str = field(repr=False, default="")


def children(node: Node) -> tuple[Node, ...]:
    """A node's allocation children, in order."""
    if isinstance(node, WeightEqual | WeightSpecified | WeightInverseVolatility):
        return node.children
    if isinstance(node, Group):
        return (node.child,)
    if isinstance(node, Filter):
        return node.candidates
    if isinstance(node, If):
        return (node.then, node.otherwise)
    return ()


def label(node: Node) -> str:
    """A short name: the ticker of an asset, the name of a group, else the operator."""
    if isinstance(node, Asset):
        return node.symbol
    if isinstance(node, Group):
        return node.name
    return {
        WeightEqual: "weight-equal",
        WeightSpecified: "weight-specified",
        WeightInverseVolatility: "weight-inverse-volatility",
        Filter: "filter",
        If: "if",
    }[type(node)]
