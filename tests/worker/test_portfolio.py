"""combine(): allocation-weighted sums of strategy decisions, failing closed on bad input."""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alchemiser.api import Allocation, StrategyName
from alchemiser.errors import ConfigError, StrategyError
from alchemiser.worker.portfolio import combine


def allocation(weight: float, strategy: StrategyName = StrategyName.NUCLEAR) -> Allocation:
    """An API allocation with the given weight."""
    return Allocation(strategy=strategy, weight=weight, parameters={})


def test_weights_multiply_and_overlapping_symbols_add() -> None:
    """Target = sum of allocation weight x strategy weight; a symbol in two decisions adds up."""
    result = combine(
        [allocation(0.6), allocation(0.4, StrategyName.TECL)],
        [{"UVXY": 0.75, "BTAL": 0.25}, {"UVXY": 0.25, "BIL": 0.75}],
    )
    assert result == pytest.approx({"BIL": 0.3, "BTAL": 0.15, "UVXY": 0.55})
    assert list(result) == ["BIL", "BTAL", "UVXY"]


def test_single_allocation_passes_through() -> None:
    """One allocation of weight 1 gives its decision unchanged."""
    assert combine([allocation(1.0)], [{"SPY": 1.0}]) == {"SPY": 1.0}


def test_decision_not_summing_to_one_fails() -> None:
    """A decision summing to 0.9 raises StrategyError: nothing is renormalised into cash."""
    with pytest.raises(StrategyError, match="sum"):
        combine([allocation(0.5), allocation(0.5)], [{"SPY": 1.0}, {"TLT": 0.9}])


@pytest.mark.parametrize("bad", [{"SPY": 1.5, "TLT": -0.5}, {"SPY": math.nan}, {}])
def test_invalid_decision_fails(bad: Mapping[str, float]) -> None:
    """Negative, NaN or empty decisions raise StrategyError."""
    with pytest.raises(StrategyError):
        combine([allocation(1.0)], [bad])


def test_count_mismatch_fails() -> None:
    """One decision per allocation is required."""
    with pytest.raises(StrategyError, match="decisions"):
        combine([allocation(0.5), allocation(0.5)], [{"SPY": 1.0}])


def test_allocation_weights_must_sum_to_one() -> None:
    """Allocation weights off by more than 0.001 raise ConfigError (defence behind admission)."""
    with pytest.raises(ConfigError, match="sum"):
        combine([allocation(0.5), allocation(0.4)], [{"SPY": 1.0}, {"TLT": 1.0}])


@dataclass(frozen=True)
class Unchecked:
    """An allocation that skipped the API model's validation."""

    weight: float


@pytest.mark.parametrize("bad", [-0.5, math.nan])
def test_invalid_allocation_weight_fails(bad: float) -> None:
    """A negative or NaN allocation weight raises ConfigError naming the allocation."""
    with pytest.raises(ConfigError, match=r"allocations\[0\]\.weight"):
        combine([Unchecked(bad), Unchecked(1.5)], [{"SPY": 1.0}, {"TLT": 1.0}])


def test_no_allocations_fails() -> None:
    """An empty portfolio is a configuration error, not an all-cash target."""
    with pytest.raises(ConfigError):
        combine([], [])


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[list[Allocation], list[dict[str, float]]]:
    """1..10 allocations with weights summing to 1, each with a random valid decision."""
    count = draw(st.integers(min_value=1, max_value=10))
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=count, max_size=count))
    weights = [w / math.fsum(raw) for w in raw]
    symbols = st.sampled_from(["SPY", "TLT", "UVXY", "BIL", "TECL", "QQQ"])
    decisions = []
    for _ in range(count):
        shares = draw(st.dictionaries(symbols, st.floats(0.01, 1.0), min_size=1))
        total = math.fsum(shares.values())
        decisions.append({s: v / total for s, v in shares.items()})
    return [allocation(w) for w in weights], decisions


@settings(max_examples=100, deadline=None)
@given(portfolios())
def test_combined_weights_follow_the_formula_and_sum_to_one(
    portfolio: tuple[list[Allocation], list[dict[str, float]]],
) -> None:
    """For any valid input, each target is the weighted sum and the targets sum to 1."""
    allocations, decisions = portfolio
    result = combine(allocations, decisions)
    assert math.fsum(result.values()) == pytest.approx(1.0, abs=1e-9)
    for symbol, weight in result.items():
        pairs = zip(allocations, decisions, strict=True)
        expected = math.fsum(a.weight * d.get(symbol, 0.0) for a, d in pairs)
        assert weight == pytest.approx(expected, abs=1e-12)
        assert weight > 0.0
