"""The built-in symphony texts: shipped, parsed, shaped as their specs count, and explained."""

from collections import Counter

import pytest
import walk_bars as wb

from alchemiser.api import StrategyName
from alchemiser.api.parameters import NuclearParameters, TeclParameters
from alchemiser.symphony.tree import Asset, Filter, Group, If, WeightSpecified
from alchemiser.worker.strategies import REGISTRY
from alchemiser.worker.strategies.builtin import BUILTIN_NAMES, KLM, NUCLEAR, TECL, builtin_text


def node_counts(name: StrategyName) -> Counter[str]:
    """How many if, filter, group, asset and weight-specified nodes the compiled text has."""
    kinds = {If: "if", Filter: "filter", Group: "group", Asset: "asset", WeightSpecified: "ws"}
    symphony = {"nuclear": NUCLEAR, "tecl": TECL, "klm": KLM}[name.value].symphony
    return Counter(kinds[type(n)] for n in symphony.nodes if type(n) in kinds)


def test_the_three_texts_ship_and_parse() -> None:
    """nuclear.clj, tecl.clj and klm.clj ship as package data and compile to REGISTRY entries."""
    assert BUILTIN_NAMES == (StrategyName.NUCLEAR, StrategyName.TECL, StrategyName.KLM)
    for name in BUILTIN_NAMES:
        assert builtin_text(name).lstrip().startswith(";;")
        assert REGISTRY[name] in (NUCLEAR, TECL, KLM)


def test_klm_has_the_node_counts_the_spec_gives() -> None:
    """SPEC-klm.md counts 168 if, 33 filter, 106 group, 308 asset and 2 weight-specified nodes."""
    counts = node_counts(StrategyName.KLM)
    assert counts == Counter({"asset": 308, "if": 168, "group": 106, "filter": 33, "ws": 2})


def test_nuclear_has_the_specs_49_asset_nodes() -> None:
    """SPEC-nuclear.md: 49 asset nodes in the file."""
    assert node_counts(StrategyName.NUCLEAR)["asset"] == 49


def test_static_is_not_a_symphony() -> None:
    """Only nuclear, tecl and klm have texts."""
    with pytest.raises(KeyError, match="static"):
        builtin_text(StrategyName.STATIC)


def test_branch_names_the_groups_taken() -> None:
    """A decision's branch lists the groups it went through (tecl bull, KMLM switch)."""
    strategy = REGISTRY[StrategyName.TECL]
    symbols = strategy.symbols(TeclParameters())
    prices = wb.history(symbols, {"SPY": wb.Walk(rsi=55.0)})
    decision = strategy.decide(prices, TeclParameters())
    assert decision.branch == "KMLM Switcher | SimplyGreen | No short"


def test_nuclear_lookback_is_its_deepest_chain() -> None:
    """nuclear needs 14 sessions of group simulation on top of RSI(20)'s 250-close span."""
    assert NUCLEAR.lookback_days(NuclearParameters()) == 264
