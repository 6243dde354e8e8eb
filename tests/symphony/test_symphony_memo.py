"""A Memo carried across decisions changes nothing: every decision equals a fresh one."""

import random

import pytest

from alchemiser.api import StrategyName
from alchemiser.backtest.vectorised import SeriesIndicators
from alchemiser.symphony import (
    Condition,
    Evaluation,
    Memo,
    Ranking,
    evaluate,
    explain_text,
    indicators,
    parse,
    requirements,
)
from alchemiser.symphony.closes import Closes
from alchemiser.symphony.tree import Filter, Fn, If, Metric, Node, children, label
from alchemiser.worker.strategies.builtin import BUILTIN_NAMES, BuiltinSymphony

DAYS = 60


def _walks(symbols: frozenset[str], length: int, seed: int) -> dict[str, list[float]]:
    """Seeded random walks with bursts, so conditions and rankings change over the days."""
    rng = random.Random(seed)
    walks: dict[str, list[float]] = {}
    for symbol in sorted(symbols):
        price, scale, series = 50.0 + rng.random() * 100.0, 0.01 + rng.random() * 0.04, []
        for day in range(length):
            if day % 40 == 0:
                scale = 0.005 + rng.random() * 0.05
            price *= 1.0 + rng.gauss(0.0003, scale)
            series.append(round(max(price, 0.5), 2))
        walks[symbol] = series
    return walks


def _same(left: Evaluation, right: Evaluation) -> None:
    assert dict(left.weights) == dict(right.weights)
    assert dict(left.steps) == dict(right.steps)
    assert dict(left.allocations) == dict(right.allocations)


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_each_day_with_the_memo_equals_a_fresh_decision(name: StrategyName) -> None:
    """Sixty daily decisions of each built-in: weights, conditions, rankings identical."""
    symphony = BuiltinSymphony(name).symphony
    lookback = requirements(symphony).lookback
    walks = _walks(symphony.symbols, lookback + DAYS + 20, seed=len(name.value))
    memo = Memo(symphony)
    branches = set()
    for day in range(DAYS):
        # As the pipeline fetches: a window a little longer than the lookback, moving on.
        first, last = day + day // 4, lookback + 20 + day
        closes = {symbol: tuple(series[first:last]) for symbol, series in walks.items()}
        fresh = evaluate(symphony, closes)
        _same(evaluate(symphony, closes, memo), fresh)
        branches.add(tuple(sorted(fresh.weights)))
    assert len(branches) > 1, "the walks never changed the decision: the test shows nothing"
    assert memo.today == DAYS - 1, "the memo was never shared from one day to the next"
    assert memo.values
    if name is StrategyName.KLM:  # the one whose groups ranked as assets the walks reach daily
        assert memo.allocations and memo.returns


def test_a_revised_past_close_is_noticed_and_everything_recomputed() -> None:
    """Yesterday's closes rewritten (a new split adjustment): the memo forgets, results match."""
    symphony = BuiltinSymphony(StrategyName.KLM).symphony
    lookback = requirements(symphony).lookback
    walks = _walks(symphony.symbols, lookback + 40, seed=7)
    memo = Memo(symphony)
    window = {s: tuple(series[: lookback + 30]) for s, series in walks.items()}
    evaluate(symphony, window, memo)
    revised = {s: tuple(c * 0.5 for c in series[1 : lookback + 31]) for s, series in walks.items()}
    _same(evaluate(symphony, revised, memo), evaluate(symphony, revised))
    assert memo.today == 0  # forgotten and numbered afresh


@pytest.mark.parametrize("step", [0, 1, 5])
def test_the_same_day_twice_and_weekly_decisions_share_too(step: int) -> None:
    """Decisions 0, 1 or 5 sessions apart find the remembered sessions and agree."""
    symphony = BuiltinSymphony(StrategyName.NUCLEAR).symphony
    lookback = requirements(symphony).lookback
    walks = _walks(symphony.symbols, lookback + 40, seed=3)
    memo = Memo(symphony)
    for end in (lookback + 10, lookback + 10 + step):
        closes = {s: tuple(series[end - lookback - 5 : end]) for s, series in walks.items()}
        _same(evaluate(symphony, closes, memo), evaluate(symphony, closes))
    assert memo.today == step


def test_a_memo_of_another_symphony_is_refused() -> None:
    """Passing klm's memo to nuclear's evaluation is a programming error, said so."""
    nuclear = BuiltinSymphony(StrategyName.NUCLEAR).symphony
    klm = BuiltinSymphony(StrategyName.KLM).symphony
    with pytest.raises(ValueError, match="memo belongs to"):
        evaluate(nuclear, {}, Memo(klm))


def test_windows_of_one_precomputed_series_share_only_where_they_line_up() -> None:
    """Windows cut from one series with a precomputed source (as the backtest broker answers):
    sixty days with the memo equal fresh decisions. A day whose newest closes repeat (so a
    step of 0 looks possible) but whose window moved on by one is still lined up by session,
    not taken as yesterday's: the source alone does not make two windows the same."""
    symphony = BuiltinSymphony(StrategyName.NUCLEAR).symphony
    lookback = requirements(symphony).lookback
    walks = _walks(symphony.symbols, lookback + DAYS + 40, seed=11)
    flat = lookback + DAYS + 10  # the day the flat close is repeated
    for series in walks.values():
        series[flat] = series[flat - 1]
    bases = {s: Closes(v, source=SeriesIndicators(v)) for s, v in walks.items()}
    memo = Memo(symphony)
    for end in [*range(lookback + 10, lookback + 10 + DAYS), flat, flat + 1]:
        closes = {s: base.window(end - lookback - 5, end) for s, base in bases.items()}
        _same(evaluate(symphony, closes, memo), evaluate(symphony, closes))
    assert memo.today == DAYS + 1, "the memo did not number the sessions through"


RANKS_GROUPS_INSIDE = """(defsymphony "anchored" {}
  (filter (stdev-return {:window 3}) (select-top 1)
    [(group "A"
      [(if (> (rsi "AAA" {:window 2}) 50)
        [(asset "AAA" nil)]
        [(filter (cumulative-return {:window 2}) (select-top 1)
          [(group "G1" [(asset "AAA" nil)]) (group "G2" [(asset "BBB" nil)])])])])
     (group "B" [(asset "BBB" nil)])]))"""


def test_a_past_allocation_is_kept_only_where_it_read_no_simulated_series() -> None:
    """Group A ranks groups inside its else branch, so it is not steady. Its allocations at past
    sessions are kept exactly where its condition held (the path read symbol values only) and
    never where it ranked G1/G2 by their simulated series, which start at a price that moves
    with the decision's day; every decision equals a fresh one."""
    symphony = parse(RANKS_GROUPS_INSIDE)
    group_a = next(n for n in symphony.nodes if getattr(n, "name", "") == "A")
    assert group_a.id not in Memo(symphony).steady
    lookback = requirements(symphony).lookback
    walks = _walks(symphony.symbols, lookback + DAYS + 10, seed=5)
    memo = Memo(symphony)
    for day in range(DAYS):
        closes = {s: tuple(series[day : lookback + 5 + day]) for s, series in walks.items()}
        _same(evaluate(symphony, closes, memo), evaluate(symphony, closes))
    # Session numbers back to the walk: the last decision's newest close is memo.today.
    newest = lookback + 4 + DAYS - 1
    rsi = Metric(Fn.RSI, 2)
    held = {
        memo.today - back: indicators.value(rsi, walks["AAA"], newest - back) > 50
        for back in range(DAYS + 3)
    }
    kept = {session for node, session in memo.allocations if node == group_a.id}
    assert kept and kept <= {session for session, holds in held.items() if holds}
    assert any(not holds for holds in held.values()), "the else branch never ran: shows nothing"


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_node_on_todays_path_has_its_allocation_for_the_explanation(
    name: StrategyName,
) -> None:
    """At the decision's own session every node the decision went through (each if of a chain
    included) has its allocation and, for an if, its condition: what explain_text prints; with
    the memo the same as without."""
    symphony = BuiltinSymphony(name).symphony
    lookback = requirements(symphony).lookback
    walks = _walks(symphony.symbols, lookback + 30, seed=2)
    memo = Memo(symphony)
    for day in range(5):
        closes = {s: tuple(series[day : lookback + 20 + day]) for s, series in walks.items()}
        result = evaluate(symphony, closes, memo)
        path: list[Node] = []
        stack: list[Node] = [symphony.root]
        while stack:
            node = stack.pop()
            path.append(node)
            step = result.steps.get(node.id)
            if isinstance(node, If):
                assert isinstance(step, Condition)
                stack.append(node.then if step.holds else node.otherwise)
            elif isinstance(node, Filter):
                assert isinstance(step, Ranking)
                chosen = {score.label for score in step.scores if score.chosen}
                stack.extend(c for c in node.candidates if label(c) in chosen)
            else:
                stack.extend(children(node))
        assert all(node.id in result.allocations for node in path)
        assert sum(isinstance(node, If) for node in path) > 1
        assert "(not taken)" in explain_text(result)
