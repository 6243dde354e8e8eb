"""On arbitrary random-walk data every strategy returns valid weights over its own symbols."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.api import StrategyName
from alchemiser.api.parameters import parse_parameters
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY

NAMES = [StrategyName.NUCLEAR, StrategyName.TECL, StrategyName.KLM]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    volatility=st.floats(min_value=0.001, max_value=0.08),
    drift=st.floats(min_value=-0.004, max_value=0.004),
)
def test_decision_is_valid_and_deterministic(
    name: StrategyName, seed: int, volatility: float, drift: float
) -> None:
    """Any random walk gives weights >= 0 summing to 1, only on listed symbols, the same twice."""
    strategy = REGISTRY[name]
    params = parse_parameters(name, {})
    symbols = sorted(strategy.symbols(params))
    rng = np.random.default_rng(seed)
    length = strategy.lookback_days(params)
    closes = {
        s: tuple(float(c) for c in 50.0 * np.exp(np.cumsum(rng.normal(drift, volatility, length))))
        for s in symbols
    }
    history = PriceHistory(closes)
    decision = strategy.decide(history, params)
    assert set(decision) <= set(symbols)
    assert all(w > 0.0 for w in decision.values())
    assert abs(math.fsum(decision.values()) - 1.0) < 1e-12
    assert strategy.decide(PriceHistory(closes), params) == decision
