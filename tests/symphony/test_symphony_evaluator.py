"""Each operator decides as docs/symphonies.md says, on closes small enough to check by hand."""

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
import talib

from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.symphony import Ranking, parse, requirements
from alchemiser.symphony.evaluator import Evaluation, _Evaluator, evaluate


def run(tree: str, closes: Mapping[str, Sequence[float]]) -> Evaluation:
    """Evaluate a tree (the body of a defsymphony) on closes."""
    return evaluate(parse(f'(defsymphony "t" {{}} {tree})'), closes)


def weights(tree: str, closes: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """The decided weights, rounded for comparison."""
    return {s: round(w, 9) for s, w in run(tree, closes).weights.items()}


FLAT = {s: [10.0] * 3 for s in ("AAA", "BBB", "CCC")}


def test_weight_equal_nests_and_counts_duplicates() -> None:
    """Each child gets 1/k, a group's members share its slice, a repeated ticker counts twice."""
    tree = (
        '(weight-equal [(group "G" [(weight-equal [(asset "AAA") (asset "BBB")])]) (asset "CCC")])'
    )
    assert weights(tree, FLAT) == {"AAA": 0.25, "BBB": 0.25, "CCC": 0.5}
    tree = '(weight-equal [(asset "AAA") (asset "AAA") (asset "BBB")])'
    assert weights(tree, FLAT) == {"AAA": round(2 / 3, 9), "BBB": round(1 / 3, 9)}


def test_weight_specified_normalises_to_the_weights_sum() -> None:
    """Weights are w_i / sum(w): 0.3/0.3 is half and half, 60/40 percent is 0.6/0.4."""
    assert weights('(weight-specified 0.3 (asset "AAA") 0.3 (asset "BBB"))', FLAT) == {
        "AAA": 0.5,
        "BBB": 0.5,
    }
    tree = '(weight-specified 60 (asset "AAA") 40 (weight-equal [(asset "BBB") (asset "CCC")]))'
    assert weights(tree, FLAT) == {"AAA": 0.6, "BBB": 0.2, "CCC": 0.2}


@pytest.mark.parametrize(
    ("op", "price", "branch"),
    [
        (">", 10.0, "BBB"),
        (">=", 10.0, "AAA"),
        ("<", 10.0, "BBB"),
        ("<=", 10.0, "AAA"),
        (">", 10.5, "AAA"),
        ("<", 9.5, "AAA"),
    ],
)
def test_if_compares_strictly_as_written(op: str, price: float, branch: str) -> None:
    """Only the chosen branch is taken; > and < are strict, >= and <= include equality."""
    closes = {"AAA": [9.0, price], "BBB": [1.0, 1.0]}
    tree = f'(if ({op} (current-price "AAA") 10) [(asset "AAA")] [(asset "BBB")])'
    assert weights(tree, closes) == {branch: 1.0}


def test_if_compares_two_indicators() -> None:
    """An indicator may stand on both sides: price above its 2-day average picks the then-branch."""
    closes = {"AAA": [10.0, 11.0, 13.0], "BBB": [1.0, 1.0, 1.0]}
    tree = (
        '(if (> (current-price "AAA") (moving-average-price "AAA" {:window 2}))'
        ' [(asset "AAA")] [(asset "BBB")])'
    )
    result = run(tree, closes)
    assert dict(result.weights) == {"AAA": 1.0}
    (step,) = result.steps.values()
    assert (step.left, step.right, step.holds) == (13.0, 12.0, True)  # type: ignore[union-attr]


RISING = {
    "AAA": [10.0, 11.0, 12.0],  # +20% over 2 sessions
    "BBB": [10.0, 10.0, 10.5],  # +5%
    "CCC": [10.0, 9.0, 9.0],  # -10%
}


def test_filter_select_top_and_bottom() -> None:
    """select-top takes the highest scores, select-bottom the lowest; the chosen share equally."""
    candidates = '[(asset "AAA") (asset "BBB") (asset "CCC")]'
    top = f"(filter (cumulative-return {{:window 2}}) (select-top 2) {candidates})"
    assert weights(top, RISING) == {"AAA": 0.5, "BBB": 0.5}
    bottom = f"(filter (cumulative-return {{:window 2}}) (select-bottom 1) {candidates})"
    assert weights(bottom, RISING) == {"CCC": 1.0}


def test_filter_ties_duplicates_and_too_few_candidates() -> None:
    """Ties go to the ticker first A->Z either way; a ticker listed twice is one candidate;
    asking for more than there are takes them all."""
    same = {"TIEB": [10.0, 11.0], "TIEA": [20.0, 22.0], "LOW": [10.0, 10.0]}
    for select in ("select-top", "select-bottom"):
        tree = (
            f"(filter (cumulative-return {{:window 1}}) ({select} 1)"
            ' [(asset "TIEB") (asset "TIEA")])'
        )
        assert weights(tree, same) == {"TIEA": 1.0}
    tree = (
        "(filter (cumulative-return {:window 1}) (select-top 2)"
        ' [(asset "TIEB") (asset "TIEB") (asset "LOW")])'
    )
    assert weights(tree, same) == {"LOW": 0.5, "TIEB": 0.5}
    tree = '(filter (cumulative-return {:window 1}) (select-top 5) [(asset "TIEB") (asset "LOW")])'
    assert weights(tree, same) == {"LOW": 0.5, "TIEB": 0.5}


def test_inverse_volatility_of_assets_by_hand() -> None:
    """Weights are (1/sd)/sum(1/sd) with sd the stdev of daily % returns over the window."""
    closes = {"CALM": [100.0, 101.0, 100.0], "WILD": [100.0, 104.0, 100.0]}

    def sd(series: list[float]) -> float:
        r = [(b / a - 1) * 100 for a, b in itertools.pairwise(series)]
        m = sum(r) / len(r)
        return math.sqrt(sum((x - m) ** 2 for x in r) / len(r))

    inverse = {s: 1 / sd(c) for s, c in closes.items()}
    total = sum(inverse.values())
    got = run('(weight-inverse-volatility 2 [(asset "CALM") (asset "WILD")])', closes).weights
    assert got["CALM"] == pytest.approx(inverse["CALM"] / total)
    assert got["WILD"] == pytest.approx(inverse["WILD"] / total)


def test_inverse_volatility_drops_a_flat_child_and_refuses_all_flat() -> None:
    """A child with zero volatility gets nothing; if every child is flat the decision fails."""
    closes = {"FLAT": [10.0, 10.0, 10.0], "MOVE": [10.0, 11.0, 10.0], "STILL": [5.0, 5.0, 5.0]}
    tree = '(weight-inverse-volatility 2 [(asset "FLAT") (asset "MOVE")])'
    assert weights(tree, closes) == {"MOVE": 1.0}
    with pytest.raises(StrategyError, match="every child has zero volatility over 2 sessions"):
        run('(weight-inverse-volatility 2 [(asset "FLAT") (asset "STILL")])', closes)


# X switches from A to B at the middle session; ranked on its own simulated returns it earned
# +10% (A's rise, then B flat), beating Y's +6% although it holds B (-10%) today.
SWITCH = {
    "A": [10.0, 11.0, 12.1],
    "B": [20.0, 18.0, 18.0],
    "C": [10.0, 10.3, 10.6],
}
X = '(group "X" [(if (> (current-price "A") 10.5) [(asset "B")] [(asset "A")])])'
Y = '(group "Y" [(asset "C")])'


def test_filter_ranks_groups_by_their_simulated_portfolio() -> None:
    """A group's score is its metric on the returns of what it held at each previous close."""
    result = run(f"(filter (cumulative-return {{:window 2}}) (select-top 1) [{X} {Y}])", SWITCH)
    assert dict(result.weights) == {"B": 1.0}
    ranking = next(s for s in result.steps.values() if isinstance(s, Ranking))
    scores = {s.label: s.value for s in ranking.scores}
    assert scores["X"] == pytest.approx((1.10 * 1.0 - 1) * 100)
    assert scores["Y"] == pytest.approx((10.6 / 10.0 - 1) * 100)


def test_rsi_of_a_group_reads_its_simulated_price_series() -> None:
    """RSI of a daily-rebalanced equal-weight group equals TA-Lib's RSI on its price path."""
    rng = np.random.default_rng(3)
    n = 300
    a = list(100 * np.cumprod(1 + rng.normal(0, 0.02, n)))
    b = list(50 * np.cumprod(1 + rng.normal(0, 0.01, n)))
    c = list(80 * np.cumprod(1 + rng.normal(0, 0.015, n)))
    closes = {"A": a, "B": b, "C": c}
    tree = (
        "(filter (rsi {:window 10}) (select-top 1) "
        '[(group "AB" [(weight-equal [(asset "A") (asset "B")])]) (asset "C")])'
    )
    symphony = parse(f'(defsymphony "t" {{}} {tree})')
    reach = requirements(symphony).reach
    group = next(node for node in symphony.nodes if getattr(node, "name", "") == "AB")
    start = reach[group.id]
    assert start == 249  # the RSI span (250 closes) back from today
    path = [1.0]
    for j in range(start - 1, -1, -1):  # offset j: the return from close j + 1 to close j
        i = n - 1 - j
        path.append(path[-1] * (1 + ((a[i] / a[i - 1] - 1) + (b[i] / b[i - 1] - 1)) / 2))
    expected = float(talib.RSI(np.array(path), 10)[-1])
    result = evaluate(symphony, closes)
    ranking = next(s for s in result.steps.values() if isinstance(s, Ranking))
    got = {s.label: s.value for s in ranking.scores}
    assert got["AB"] == pytest.approx(expected, abs=1e-9)
    assert got["C"] == pytest.approx(float(talib.RSI(np.array(c[-250:]), 10)[-1]), abs=1e-9)


def test_inverse_volatility_of_groups_uses_the_groups_return_series() -> None:
    """A group's volatility is the stdev of its own daily returns (an equal mix is calmer)."""
    closes = {
        "U": [10.0, 11.0, 10.0, 11.0],
        "D": [10.0, 9.0, 10.0, 9.0],
        "S": [10.0, 10.2, 10.0, 10.2],
    }
    hedge = '(group "H" [(weight-equal [(asset "U") (asset "D")])])'
    result = run(f'(weight-inverse-volatility 3 [{hedge} (asset "S")])', closes)
    ranking = next(s for s in result.steps.values() if isinstance(s, Ranking))
    scores = {s.label: s.value for s in ranking.scores}
    # H's daily returns: (+10% - 10%)/2 = 0, then (-9.09% + 11.11%)/2, then (+10% - 10%)/2
    r = [0.0, ((10 / 11 - 1) + (10 / 9 - 1)) / 2 * 100, 0.0]
    m = sum(r) / 3
    assert scores["H"] == pytest.approx(math.sqrt(sum((x - m) ** 2 for x in r) / 3))
    inverse_h, inverse_s = 1 / scores["H"], 1 / scores["S"]
    share_h = inverse_h / (inverse_h + inverse_s)
    assert result.weights["U"] == pytest.approx(share_h / 2)
    assert result.weights["S"] == pytest.approx(1 - share_h)


def test_each_node_is_evaluated_once_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested groups ranked inside groups never evaluate a (node, session) pair twice."""
    rng = np.random.default_rng(5)
    closes = {s: list(10 * np.cumprod(1 + rng.normal(0, 0.02, 300))) for s in "ABCDE"}
    inner = (
        "(filter (stdev-return {:window 5}) (select-bottom 1) "
        '[(group "I1" [(if (> (rsi "A" {:window 10}) 50) [(asset "B")] [(asset "C")])]) '
        '(group "I2" [(asset "D")])])'
    )
    tree = (
        f"(filter (cumulative-return {{:window 5}}) (select-top 1) "
        f'[(group "O1" [{inner}]) (group "O2" [(weight-equal [(asset "E") {inner}])])])'
    )
    seen: list[tuple[int, int]] = []
    original = _Evaluator._allocate

    def counting(self: _Evaluator, node: object, at: int) -> object:
        seen.append((node.id, at))  # type: ignore[attr-defined]
        return original(self, node, at)  # type: ignore[arg-type]

    monkeypatch.setattr(_Evaluator, "_allocate", counting)
    run(tree, closes)
    assert len(seen) == len(set(seen))


def test_missing_or_short_data_fails_closed_naming_the_symbol() -> None:
    """No decision without every needed close: the error names each symbol and what is short."""
    tree = '(if (> (rsi "SPY" {:window 10}) 70) [(asset "UVXY")] [(asset "QQQ")])'
    closes = {"SPY": [100.0] * 100, "QQQ": [1.0] * 300}
    with pytest.raises(
        DataUnavailable, match=r"^QQQ: .*SPY: 100 daily closes, 250 needed; UVXY: no daily bars$"
    ):
        run(tree, {**closes, "QQQ": [1.0, float("nan")]})
    with pytest.raises(DataUnavailable, match="QQQ: invalid close nan"):
        run(tree, {"SPY": [100.0] * 300, "UVXY": [1.0], "QQQ": [1.0, float("nan")]})


def test_history_needed_adds_up_along_nesting() -> None:
    """The sessions a tree needs are the sum of its nested ranking depths (docs/symphonies.md)."""
    rsi_if = '(if (> (rsi "{s}" {{:window 10}}) 50) [(asset "A")] [(asset "B")])'
    assert requirements(parse(f'(defsymphony "t" {{}} {rsi_if.format(s="S")})')).lookback == 250
    groups = " ".join(f'(group "g{i}" [{rsi_if.format(s=s)}])' for i, s in enumerate("PQ"))
    one = f"(filter (stdev-return {{:window 5}}) (select-top 1) [{groups}])"
    assert requirements(parse(f'(defsymphony "t" {{}} {one})')).lookback == 255
    inner = f"(filter (rsi {{:window 10}}) (select-top 1) [{groups}])"
    two = (
        f'(filter (stdev-return {{:window 5}}) (select-top 1) [(group "o" [{inner}]) (asset "Z")])'
    )
    needs = requirements(parse(f'(defsymphony "t" {{}} {two})'))
    assert needs.lookback == 504
    assert needs.per_symbol["Z"] == 6 and needs.per_symbol["A"] == 255
