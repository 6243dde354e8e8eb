"""The static strategy, the registry, and the Decision value every strategy returns."""

import math

import pytest

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters, StaticParameters, parse_parameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY, Decision
from alchemiser.worker.strategies.static import Static

STATIC = Static()


def params(weights: dict[str, float]) -> StaticParameters:
    """Parameters as the pipeline gets them: through parse_parameters."""
    parsed = parse_parameters(StrategyName.STATIC, {"weights": weights})
    assert isinstance(parsed, StaticParameters)
    return parsed


def prices(*symbols: str) -> PriceHistory:
    """One close per symbol."""
    return PriceHistory({s: (100.0,) for s in symbols})


def test_registry_has_every_strategy_under_its_name() -> None:
    """REGISTRY has an entry for every StrategyName, and each entry carries that name."""
    assert set(REGISTRY) == set(StrategyName)
    for name, strategy in REGISTRY.items():
        assert strategy.name == name


def test_holds_the_given_weights() -> None:
    """The only branch: the decision is the configured weights."""
    decision = STATIC.decide(prices("SPY", "TLT"), params({"SPY": 0.6, "TLT": 0.4}))
    assert dict(decision) == pytest.approx({"SPY": 0.6, "TLT": 0.4})
    assert decision.branch == "static"


def test_weights_admitted_within_tolerance_are_scaled_to_one() -> None:
    """Weights that admission accepts (sum 0.999) are scaled so the decision sums to 1."""
    decision = STATIC.decide(prices("A", "B", "C"), params({"A": 0.333, "B": 0.333, "C": 0.333}))
    assert math.fsum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    assert dict(decision) == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})


def test_symbols_and_lookback() -> None:
    """symbols() is the weights' keys; one bar per symbol is enough."""
    p = params({"SPY": 0.5, "BRK.B": 0.5})
    assert STATIC.symbols(p) == frozenset({"SPY", "BRK.B"})
    assert STATIC.lookback_days(p) == 1


def test_symbol_without_bars_fails() -> None:
    """A weighted symbol with no bars raises DataUnavailable naming it (no cash fallback)."""
    with pytest.raises(DataUnavailable, match="TLT"):
        STATIC.decide(prices("SPY"), params({"SPY": 0.6, "TLT": 0.4}))


def test_weights_summing_to_zero_fail() -> None:
    """Weights that bypassed validation and sum to 0 raise StrategyError, never an empty target."""
    unchecked = StaticParameters.model_construct(weights={"SPY": 0.0})
    with pytest.raises(StrategyError, match="sum"):
        STATIC.decide(prices("SPY"), unchecked)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError."""
    with pytest.raises(StrategyError, match="StaticParameters"):
        STATIC.decide(prices("SPY"), KlmParameters())


@pytest.mark.parametrize(
    "weights",
    [{}, {"A": 0.5}, {"A": 0.5, "B": 0.6}, {"A": -0.5, "B": 1.5}, {"A": math.nan}],
)
def test_decision_refuses_invalid_weights(weights: dict[str, float]) -> None:
    """A Decision must hold finite, non-negative weights summing to 1."""
    with pytest.raises(StrategyError):
        Decision(weights, "bad")


def test_decision_is_a_read_only_sorted_mapping() -> None:
    """A Decision reads like a dict, sorted by symbol, with zero weights dropped."""
    decision = Decision({"B": 0.25, "A": 0.75, "C": 0.0}, "split")
    assert list(decision) == ["A", "B"]
    assert decision["A"] == 0.75
    assert len(decision) == 2
    assert decision == {"A": 0.75, "B": 0.25}
    assert decision != {"A": 0.5, "B": 0.5}
    with pytest.raises(TypeError):
        decision.weights["A"] = 1.0  # type: ignore[index]
