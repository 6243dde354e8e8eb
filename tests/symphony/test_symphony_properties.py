"""Properties over random trees: weights are >= 0, sum to 1, and name only the tree's symbols."""

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alchemiser.errors import StrategyError
from alchemiser.symphony import parse, requirements
from alchemiser.symphony.evaluator import evaluate

TICKERS = ("AAA", "BBB", "CCC", "DDD", "EEE")
METRICS = (
    "rsi",
    "cumulative-return",
    "moving-average-return",
    "stdev-return",
    "max-drawdown",
    "moving-average-price",
    "exponential-moving-average-price",
    "stdev-price",
)

ticker = st.sampled_from(TICKERS)
window = st.integers(min_value=2, max_value=12)
metric = st.builds(lambda m, w: f"({m} {{:window {w}}})", st.sampled_from(METRICS), window)
asset = ticker.map(lambda t: f'(asset "{t}")')
condition = st.builds(
    lambda op, m, t, k: f'({op} ({m} "{t}" {{:window 5}}) {k})',
    st.sampled_from([">", "<", ">=", "<="]),
    st.sampled_from(METRICS),
    ticker,
    st.integers(min_value=-5, max_value=60),
)


def blocks(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """One level of the tree over child blocks."""
    several = st.lists(children, min_size=1, max_size=4).map(" ".join)
    return st.one_of(
        several.map(lambda c: f"(weight-equal [{c}])"),
        st.builds(lambda a, b: f"(weight-specified 0.7 {a} 0.3 {b})", children, children),
        st.builds(lambda c, a, b: f"(if {c} [{a}] [{b}])", condition, children, children),
        st.builds(
            lambda m, top, k, c: f"(filter {m} ({top} {k}) [{c}])",
            metric,
            st.sampled_from(["select-top", "select-bottom"]),
            st.integers(min_value=1, max_value=3),
            several,
        ),
        st.builds(lambda w, c: f"(weight-inverse-volatility {w} [{c}])", window, several),
        st.builds(lambda n, c: f'(group "g{n}" [{c}])', st.integers(0, 3), children),
    )


trees = st.recursive(asset, blocks, max_leaves=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, seed=st.integers(min_value=0, max_value=2**32))
def test_weights_are_a_portfolio_of_the_trees_symbols(tree: str, seed: int) -> None:
    """Any tree on any positive closes gives non-negative weights summing to 1."""
    symphony = parse(f'(defsymphony "p" {{}} {tree})')
    rng = random.Random(seed)
    length = requirements(symphony).lookback + rng.randint(0, 30)
    closes = {}
    for symbol in TICKERS:
        price, series = 50.0, []
        for _ in range(length):
            price *= 1 + rng.choice((0.0, rng.uniform(-0.05, 0.05)))
            series.append(price)
        closes[symbol] = series
    try:
        result = evaluate(symphony, closes)
    except StrategyError as error:  # only the documented all-flat refusal may happen
        assert "zero volatility" in str(error)
        return
    assert result.weights
    assert all(w >= 0.0 and math.isfinite(w) for w in result.weights.values())
    assert abs(math.fsum(result.weights.values()) - 1.0) <= 1e-9
    assert set(result.weights) <= symphony.symbols
    assert evaluate(symphony, closes).weights == result.weights  # deterministic
