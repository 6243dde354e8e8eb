"""Properties of the built-in strategies on arbitrary random-walk data.

Every decision is valid (weights >= 0 summing to 1, only the strategy's own
symbols), deterministic, independent of how much older history was fetched, and
one of the leaves its spec (../shared/originals/SPEC-*.md) lists.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.api import StrategyName
from alchemiser.api.parameters import parse_parameters
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY

NAMES = [StrategyName.NUCLEAR, StrategyName.TECL, StrategyName.KLM]
NUCLEAR_NAMES = frozenset({"SMR", "BWXT", "LEU", "EXC", "NLR", "OKLO"})
NUCLEAR_BEAR = frozenset({"SQQQ", "TQQQ", "PSQ", "QQQ"})
TECL_LEAVES = [
    {"UVXY": 0.25, "BIL": 0.75},
    {"UVXY": 0.15, "BIL": 0.85},
    {"BIL": 1.0},
    {"TECL": 1.0},
    {"SPXL": 1.0},
    {"SQQQ": 1.0},
    {"BSV": 1.0},
]
KLM_HELD = frozenset(
    [
        "AAPL",
        "AGG",
        "AMZN",
        "BIL",
        "BTAL",
        "ERX",
        "FNGO",
        "FNGU",
        "FTLS",
        "GLD",
        "GOOGL",
        "KMLM",
        "LABD",
        "LABU",
        "MSFT",
        "NVDA",
        "PDBC",
        "PSQ",
        "QID",
        "SLV",
        "SOXL",
        "SPLV",
        "SPXL",
        "SPXU",
        "SQQQ",
        "SVIX",
        "SVXY",
        "TECL",
        "TLT",
        "TMF",
        "TMV",
        "TQQQ",
        "TSLA",
        "TZA",
        "UPRO",
        "UUP",
        "UVXY",
        "VIXM",
        "VIXY",
        "VXX",
        "XLE",
        "XLK",
    ]
)


def random_walks(symbols: list[str], length: int, seed: int, vol: float, drift: float) -> dict:
    """Geometric random walks, one per symbol."""
    rng = np.random.default_rng(seed)
    return {
        s: tuple(float(c) for c in 50.0 * np.exp(np.cumsum(rng.normal(drift, vol, length))))
        for s in symbols
    }


def is_spec_leaf(name: StrategyName, weights: dict[str, float]) -> bool:
    """Whether the weights are one of the leaves the strategy's spec lists."""
    held = frozenset(weights)
    if name is StrategyName.NUCLEAR:
        return (
            weights in ({"UVXY": 1.0}, {"UVXY": 0.75, "BTAL": 0.25}, {"TQQQ": 1.0}, {"UPRO": 1.0})
            or (
                held <= NUCLEAR_NAMES
                and len(held) == 3
                and all(math.isclose(w, 1 / 3) for w in weights.values())
            )
            or (held <= NUCLEAR_BEAR and len(held) <= 2)
        )
    if name is StrategyName.TECL:
        return any(
            held == frozenset(leaf) and all(math.isclose(weights[s], w) for s, w in leaf.items())
            for leaf in TECL_LEAVES
        )
    return held <= KLM_HELD


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    volatility=st.floats(min_value=0.001, max_value=0.08),
    drift=st.floats(min_value=-0.004, max_value=0.004),
)
def test_decision_is_a_valid_deterministic_spec_leaf(
    name: StrategyName, seed: int, volatility: float, drift: float
) -> None:
    """Any random walk gives weights >= 0 summing to 1, a spec leaf, the same twice."""
    strategy = REGISTRY[name]
    params = parse_parameters(name, {})
    symbols = sorted(strategy.symbols(params))
    closes = random_walks(symbols, strategy.lookback_days(params), seed, volatility, drift)
    decision = strategy.decide(PriceHistory(closes), params)
    assert set(decision) <= set(symbols)
    assert all(w > 0.0 for w in decision.values())
    assert abs(math.fsum(decision.values()) - 1.0) < 1e-12
    assert is_spec_leaf(name, dict(decision)), dict(decision)
    assert strategy.decide(PriceHistory(closes), params) == decision


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    extra=st.integers(min_value=1, max_value=300),
)
def test_older_history_does_not_change_the_decision(
    name: StrategyName, seed: int, extra: int
) -> None:
    """Prepending `extra` older sessions leaves the decision exactly as it was (fixed windows)."""
    strategy = REGISTRY[name]
    params = parse_parameters(name, {})
    symbols = sorted(strategy.symbols(params))
    lookback = strategy.lookback_days(params)
    longer = random_walks(symbols, lookback + extra, seed, 0.02, 0.0)
    exact = {s: c[-lookback:] for s, c in longer.items()}
    assert strategy.decide(PriceHistory(longer), params) == strategy.decide(
        PriceHistory(exact), params
    )
