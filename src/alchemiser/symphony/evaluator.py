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
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

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
        self.values: dict[tuple[int, SeriesKey, int], float] = {}
        self.steps: dict[int, Step] = {}
        self.top_allocations: dict[int, Weights] = {}
        # Simulated-series reads so far, and the memo keys whose evaluation made any.
        self.anchor_reads = 0
        self.anchored: set[tuple[int, int]] = set()
        self.metrics = metric_numbers(symphony)
        self._numbers = self.metrics.by_id
        self._text: Text | None = None

    # -- allocations -------------------------------------------------------------------

    def allocation(self, node: Node, at: int) -> Weights:
        lasting = self.lasting
        if at > 0 and lasting is not None:
            # The memo's allocation of a past session, if it kept one: kept only where it is
            # the same on any day (see memo.py), so whoever asks may have it.
            session = (node.id, lasting.today - at)
            found = lasting.allocations.get(session)
            if found is not None:
                return found
            if node.id in lasting.steady:
                found = self._allocate(node, at)
                lasting.allocations[session] = found
                return found
        key = (node.id, at)
        found = self.memo.get(key)
        if found is not None:
            if key in self.anchored:
                # As if evaluated again. In a tree only a ranked group is asked twice at one
                # session, by what reads its series anyway; kept so the rule holds regardless.
                self.anchor_reads += 1
            return found
        before = self.anchor_reads
        found = self._allocate(node, at)
        self.memo[key] = found
        if self.anchor_reads != before:
            self.anchored.add(key)
        elif lasting is not None:
            # Steady, or this session's evaluation read no simulated series: the same on
            # every later day, so kept for the decisions after this one.
            lasting.allocations[(node.id, lasting.today - at)] = found
        if at == 0:
            self.top_allocations[node.id] = found
        return found

    def _allocate(self, node: Node, at: int) -> Weights:
        allocate = _ALLOCATE.get(type(node))
        if allocate is None:
            raise StrategyError(f"unsupported node {type(node).__name__}")
        return allocate(self, node, at)

    def _asset(self, node: Asset, at: int) -> Weights:
        return {node.symbol: 1.0}

    def _group(self, node: Group, at: int) -> Weights:
        return self.allocation(node.child, at)

    def _weight_equal(self, node: WeightEqual, at: int) -> Weights:
        share = 1.0 / len(node.children)
        return _blend((self.allocation(c, at), share) for c in node.children)

    def _weight_specified(self, node: WeightSpecified, at: int) -> Weights:
        total = math.fsum(node.weights)
        return _blend(
            (self.allocation(c, at), w / total)
            for c, w in zip(node.children, node.weights, strict=True)
            if w > 0.0
        )

    def _if(self, node: If, at: int) -> Weights:
        while True:
            condition = node.condition
            left = self._operand(condition.left, at)
            right = self._operand(condition.right, at)
            holds = _COMPARE[condition.op](left, right)
            if at == 0:
                self.steps[node.id] = Condition(str(condition), left, right, holds)
            chosen = node.then if holds else node.otherwise
            if at == 0 or not isinstance(chosen, If):
                return self.allocation(chosen, at)
            # An `if` in a branch, at a past session: only this one asks for it, and what this
            # one returns is kept by whoever asked, so it is decided here, unkept (a chain of
            # ifs is most of a tree; today's session still records every node).
            node = chosen

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
        # A simulated series starts at 1.0 at its reach, which moves with the decision's
        # session: what reads it may differ (in the last bits) from day to day.
        self.anchor_reads += 1
        if node.id not in self.series:
            self.series[node.id] = self._simulate(node)
        return self._value(metric, node.id, at)

    def _value(self, metric: Metric, key: SeriesKey, at: int) -> float:
        # Keyed by the metric's number (equal metrics share one): cheaper to hash than a Metric.
        number = self._numbers.get(id(metric))
        if number is None:
            number = self.metrics.number(metric)
        lasting = self.lasting
        if lasting is not None and type(key) is str:
            # A symbol's value at a session is the memo's, whoever asks (today's included).
            session = (number, key, lasting.today - at)
            found = lasting.values.get(session)
            if found is None:
                found = self._compute(metric, key, at)
                lasting.values[session] = found
            return found
        memo_key = (number, key, at)
        found = self.values.get(memo_key)
        if found is None:
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


_COMPARE: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}
)
_ALLOCATE: Mapping[type[Node], Callable[[_Evaluator, Any, int], Weights]] = MappingProxyType(
    {
        Asset: _Evaluator._asset,
        Group: _Evaluator._group,
        If: _Evaluator._if,
        WeightEqual: _Evaluator._weight_equal,
        WeightSpecified: _Evaluator._weight_specified,
        Filter: _Evaluator._filter,
        WeightInverseVolatility: _Evaluator._inverse_volatility,
    }
)


class MetricNumbers:
    """A number per distinct metric of one symphony, found by the metric object's identity.

    The tree's metric objects live as long as the symphony, so their ids stay theirs;
    a metric made on the fly (weight-inverse-volatility's) is numbered by its value.
    """

    def __init__(self, symphony: Symphony) -> None:
        self._by_value: dict[Metric, int] = {}
        numbers: dict[int, int] = {}
        for node in symphony.nodes:
            for metric in _metrics_of(node):
                numbers[id(metric)] = self.number(metric)
        self.by_id: Mapping[int, int] = numbers  # id of a tree's metric -> its number

    def number(self, metric: Metric) -> int:
        """The number of an equal metric (a new one for a metric not seen yet)."""
        return self._by_value.setdefault(metric, len(self._by_value))


@lru_cache(maxsize=64)
def metric_numbers(symphony: Symphony) -> MetricNumbers:
    """The symphony's metric numbers, built once per symphony (identity-hashed)."""
    return MetricNumbers(symphony)


def _metrics_of(node: Node) -> list[Metric]:
    if isinstance(node, If):
        operands = (node.condition.left, node.condition.right)
        return [operand.metric for operand in operands if isinstance(operand, Indicator)]
    if isinstance(node, Filter):
        return [node.metric]
    return []


def _blend(parts: Iterable[tuple[Weights, float]]) -> Weights:
    """Sum of weight dicts scaled by their shares."""
    out: dict[str, float] = {}
    for weights, share in parts:
        for symbol, weight in weights.items():
            out[symbol] = out.get(symbol, 0.0) + weight * share
    return out
