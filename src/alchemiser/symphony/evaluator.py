"""Evaluate a compiled symphony on daily closes: target weights and why.

Rule: pure; a function of the tree and the closes; no I/O, no clock. Session
offsets count back from the latest close (0). Work is memoised so groups
ranked as assets do not explode: an indicator value once per (metric, series,
session), a node's allocation once per (node, session), and a group's
simulated price series once per group node.

A group ranked by a filter or weighed by weight-inverse-volatility is a
portfolio of its own: on each session j it earns the return of the weights
its subtree chose at the previous close (offset j + 1), giving a daily return
series and a price series (starting at 1.0) that the metric reads like an
asset's closes.

Fail closed: a symbol without the closes the tree needs raises DataUnavailable
naming it before anything is evaluated; nothing falls back to cash.

A `Memo` passed in carries exact results from one decision to the next (a
backtest decides on every session; see memo.py); the result is the same with
or without it.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.symphony import indicators
from alchemiser.symphony.closes import Closes, first_invalid
from alchemiser.symphony.history import Requirements, ranking_metric, requirements
from alchemiser.symphony.memo import Memo
from alchemiser.symphony.reader import Text, collector_paused
from alchemiser.symphony.tree import (
    Asset,
    Filter,
    Group,
    If,
    Indicator,
    Metric,
    Node,
    Operand,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
    label,
)

Weights = Mapping[str, float]
SeriesKey = str | int  # a symbol, or the id of a node simulated as a portfolio


@dataclass(frozen=True)
class Condition:
    """An `if` evaluated at the decision's session: both sides and the branch taken."""

    text: str
    left: float
    right: float
    holds: bool


@dataclass(frozen=True)
class Score:
    """One candidate of a filter or one child of weight-inverse-volatility."""

    label: str
    value: float
    chosen: bool
    weight: float


@dataclass(frozen=True)
class Ranking:
    """A filter's or weight-inverse-volatility's scores at the decision's session."""

    metric: str
    scores: tuple[Score, ...]


Step = Condition | Ranking


@dataclass(frozen=True)
class Evaluation:
    """A decision: weights summing to 1 (sorted by symbol) and, per node id, what it saw."""

    symphony: Symphony
    weights: Weights
    steps: Mapping[int, Step]
    allocations: Mapping[int, Weights]


def evaluate(
    symphony: Symphony, closes: Mapping[str, Sequence[float]], memo: Memo | None = None
) -> Evaluation:
    """Decide on closes (per symbol, oldest first, all ending at the same session)."""
    if memo is not None and memo.symphony is not symphony:
        raise ValueError(f"the memo belongs to {memo.symphony.name!r}, not {symphony.name!r}")
    with collector_paused():
        evaluator = _Evaluator(symphony, closes, memo)
        weights = evaluator.allocation(symphony.root, 0)
    final = {symbol: weights[symbol] for symbol in sorted(weights) if weights[symbol] > 0.0}
    total = math.fsum(final.values())
    return Evaluation(
        symphony=symphony,
        weights=MappingProxyType({symbol: w / total for symbol, w in final.items()}),
        steps=MappingProxyType(evaluator.steps),
        allocations=MappingProxyType(evaluator.top_allocations),
    )


def check_closes(
    needs: Requirements, closes: Mapping[str, Sequence[float]]
) -> dict[str, tuple[float, ...]]:
    """The needed closes as tuples; DataUnavailable names every symbol short of them."""
    problems: list[str] = []
    series: dict[str, tuple[float, ...]] = {}
    for symbol in sorted(needs.per_symbol):
        needed = needs.per_symbol[symbol]
        found = closes.get(symbol)
        if found is None or not len(found):
            problems.append(f"{symbol}: no daily bars")
            continue
        # A Closes (what the worker's price history holds) is floats checked once already.
        values = found if type(found) is Closes else Closes(found)
        if len(values) < needed:
            problems.append(f"{symbol}: {len(values)} daily closes, {needed} needed")
            continue
        if not values.newest_valid(needed):
            problems.append(f"{symbol}: invalid close {first_invalid(values[-needed:])!r}")
            continue
        series[symbol] = values
    if problems:
        raise DataUnavailable("; ".join(problems))
    return series


class _Evaluator:
    def __init__(
        self, symphony: Symphony, closes: Mapping[str, Sequence[float]], memo: Memo | None
    ) -> None:
        self.symphony = symphony
        self.needs = requirements(symphony)
        checked = check_closes(self.needs, closes)
        self.series: dict[SeriesKey, tuple[float, ...]] = {}
        self.series.update(checked)
        self.lasting = memo
        if memo is not None:
            memo.align(checked)
        self.memo: dict[tuple[int, int], Weights] = {}
        self.values: dict[tuple[Metric, SeriesKey, int], float] = {}
        self.steps: dict[int, Step] = {}
        self.top_allocations: dict[int, Weights] = {}
        self._text: Text | None = None

    # -- allocations -------------------------------------------------------------------

    def allocation(self, node: Node, at: int) -> Weights:
        key = (node.id, at)
        found = self.memo.get(key)
        if found is None:
            lasting = self.lasting
            if lasting is not None and at > 0 and node.id in lasting.steady:
                session = (node.id, lasting.today - at)
                found = lasting.allocations.get(session)
                if found is None:
                    found = self._allocate(node, at)
                    lasting.allocations[session] = found
            else:
                found = self._allocate(node, at)
            self.memo[key] = found
            if at == 0:
                self.top_allocations[node.id] = found
        return found

    def _allocate(self, node: Node, at: int) -> Weights:
        if isinstance(node, Asset):
            return {node.symbol: 1.0}
        if isinstance(node, Group):
            return self.allocation(node.child, at)
        if isinstance(node, If):
            return self._if(node, at)
        if isinstance(node, WeightEqual):
            share = 1.0 / len(node.children)
            return _blend((self.allocation(c, at), share) for c in node.children)
        if isinstance(node, WeightSpecified):
            total = math.fsum(node.weights)
            return _blend(
                (self.allocation(c, at), w / total)
                for c, w in zip(node.children, node.weights, strict=True)
                if w > 0.0
            )
        if isinstance(node, Filter):
            return self._filter(node, at)
        if isinstance(node, WeightInverseVolatility):
            return self._inverse_volatility(node, at)
        raise StrategyError(f"unsupported node {type(node).__name__}")

    def _if(self, node: If, at: int) -> Weights:
        condition = node.condition
        left = self._operand(condition.left, at)
        right = self._operand(condition.right, at)
        holds = _compare(condition.op, left, right)
        if at == 0:
            self.steps[node.id] = Condition(str(condition), left, right, holds)
        return self.allocation(node.then if holds else node.otherwise, at)

    def _filter(self, node: Filter, at: int) -> Weights:
        candidates: list[tuple[Node, float]] = []
        seen: set[str] = set()
        for child in node.candidates:
            if isinstance(child, Asset):
                if child.symbol in seen:
                    continue  # a ticker listed twice is one candidate
                seen.add(child.symbol)
            candidates.append((child, self._score(node.metric, child, at)))
        ranked = sorted(
            range(len(candidates)),
            key=lambda i: (
                -candidates[i][1] if node.top else candidates[i][1],
                label(candidates[i][0]),
                i,
            ),
        )
        chosen = set(ranked[: node.count])
        share = 1.0 / len(chosen)
        if at == 0:
            self.steps[node.id] = Ranking(
                str(node.metric),
                tuple(
                    Score(label(c), v, i in chosen, share if i in chosen else 0.0)
                    for i, (c, v) in ((i, candidates[i]) for i in ranked)
                ),
            )
        return _blend((self.allocation(candidates[i][0], at), share) for i in sorted(chosen))

    def _inverse_volatility(self, node: WeightInverseVolatility, at: int) -> Weights:
        metric = ranking_metric(node)
        assert metric is not None
        scored = [(child, self._score(metric, child, at)) for child in node.children]
        usable = [(child, sigma) for child, sigma in scored if sigma > 0.0]
        if not usable:
            raise StrategyError(
                f"{self._where(node)}: weight-inverse-volatility: every child has zero "
                f"volatility over {node.window} sessions"
            )
        total = math.fsum(1.0 / sigma for _, sigma in usable)
        if at == 0:
            self.steps[node.id] = Ranking(
                str(metric),
                tuple(
                    Score(label(c), s, s > 0.0, (1.0 / s) / total if s > 0.0 else 0.0)
                    for c, s in scored
                ),
            )
        return _blend((self.allocation(c, at), (1.0 / s) / total) for c, s in usable)

    # -- values ------------------------------------------------------------------------

    def _operand(self, operand: Operand, at: int) -> float:
        if isinstance(operand, Indicator):
            return self._value(operand.metric, operand.symbol, at)
        return operand.value

    def _score(self, metric: Metric, node: Node, at: int) -> float:
        if isinstance(node, Asset):
            return self._value(metric, node.symbol, at)
        if node.id not in self.series:
            self.series[node.id] = self._simulate(node)
        return self._value(metric, node.id, at)

    def _value(self, metric: Metric, key: SeriesKey, at: int) -> float:
        memo_key = (metric, key, at)
        found = self.values.get(memo_key)
        if found is None:
            lasting = self.lasting
            if lasting is not None and isinstance(key, str):
                session = (metric, key, lasting.today - at)
                found = lasting.values.get(session)
                if found is None:
                    found = self._compute(metric, key, at)
                    lasting.values[session] = found
            else:
                found = self._compute(metric, key, at)
            self.values[memo_key] = found
        return found

    def _compute(self, metric: Metric, key: SeriesKey, at: int) -> float:
        closes = self.series[key]
        end = len(closes) - 1 - at
        if end + 1 < indicators.need(metric):
            # history.requirements sized every series for this; reaching here is a bug.
            raise StrategyError(f"{metric} of {key} at session -{at}: too little history")
        if type(closes) is Closes:
            # Precomputed over a longer series this is a window of (a backtest's), from the
            # same closes: they end at `end` and, checked just above, lie inside the window.
            found = closes.precomputed(metric, end)
            if found is not None:
                return found
        return indicators.value(metric, closes, end)

    def _simulate(self, node: Node) -> tuple[float, ...]:
        """The node's portfolio as a price series from its reach (price 1.0) to session 0."""
        start = self.needs.reach[node.id]
        steady = self.lasting is not None and node.id in self.lasting.steady
        lasting = self.lasting if steady else None
        prices = [1.0]
        for at in range(start - 1, -1, -1):
            change = None
            if lasting is not None:
                change = lasting.returns.get((node.id, lasting.today - at))
            if change is None:
                change = self._change(node, at)
                if lasting is not None:
                    lasting.returns[(node.id, lasting.today - at)] = change
            prices.append(prices[-1] * (1.0 + change))
        return tuple(prices)

    def _change(self, node: Node, at: int) -> float:
        """The return on session `at` of what the node held from the close before."""
        held = self.allocation(node, at + 1)
        return math.fsum(
            w * (self._close(s, at) / self._close(s, at + 1) - 1.0) for s, w in held.items()
        )

    def _close(self, symbol: str, at: int) -> float:
        closes = self.series[symbol]
        return closes[len(closes) - 1 - at]

    def _where(self, node: Node) -> str:
        if self._text is None:
            self._text = Text(self.symphony.text)
        line, column = self._text.position(node.token)
        return f"{line}:{column}"


def _compare(op: str, left: float, right: float) -> bool:
    if op == ">":
        return left > right
    if op == "<":
        return left < right
    if op == ">=":
        return left >= right
    return left <= right


def _blend(parts: Iterable[tuple[Weights, float]]) -> Weights:
    """Sum of weight dicts scaled by their shares."""
    out: dict[str, float] = {}
    for weights, share in parts:
        for symbol, weight in weights.items():
            out[symbol] = out.get(symbol, 0.0) + weight * share
    return out
