"""The built-in symphony texts: shipped, parsed, shaped as their specs count, shown, explained."""

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import walk_bars as wb

from alchemiser.api import StrategyName
from alchemiser.api.parameters import NuclearParameters, TeclParameters
from alchemiser.cli import main
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


def write_bars(directory: Path, closes: dict[str, tuple[float, ...]], last: date) -> None:
    """DIR/SYMBOL.csv, one row per weekday ending at `last`, every price the close."""
    days: list[date] = []
    day = last
    while len(days) < max(len(series) for series in closes.values()):
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    days.reverse()
    for symbol, series in closes.items():
        rows = ["date,open,high,low,close"]
        rows += [
            f"{when},{c},{c},{c},{c}" for when, c in zip(days[-len(series) :], series, strict=True)
        ]
        (directory / f"{symbol}.csv").write_text("\n".join(rows) + "\n")


def test_symphony_show_prints_the_shipped_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`alchemiser symphony show klm` prints exactly the text the built-in evaluates."""
    assert main(["symphony", "show", "klm"]) == 0
    assert capsys.readouterr().out == builtin_text(StrategyName.KLM)


def test_symphony_check_accepts_the_built_in_names(capsys: pytest.CaptureFixture[str]) -> None:
    """`symphony check nuclear tecl klm` compiles the three texts (no such files exist here)."""
    assert main(["symphony", "check", "nuclear", "tecl", "klm"]) == 0
    out = capsys.readouterr().out
    assert "klm: ok: 'KMLM sorter V4" in out and "needs 455 sessions" in out


def test_symphony_explain_a_built_in_decides_as_the_strategy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`symphony explain tecl --bars DIR --at DATE` gives the weights the tecl strategy decides."""
    symbols = TECL.symbols(TeclParameters())
    prices = wb.history(symbols, {"SPY": wb.Walk(rsi=45.0), "UVXY": wb.Walk(rsi=88.0)}, length=400)
    write_bars(tmp_path, dict(prices.closes), date(2026, 11, 24))
    args = ["symphony", "explain", "tecl", "--bars", str(tmp_path), "--at", "2026-11-25"]
    assert main([*args, "--output", "json"]) == 0
    weights = json.loads(capsys.readouterr().out)["weights"]
    assert weights == pytest.approx(dict(TECL.decide(prices, TeclParameters())))
    assert weights == pytest.approx({"UVXY": 0.15, "BIL": 0.85})


def test_a_file_named_like_a_built_in_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file called `tecl` in the working directory is read instead of the built-in."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tecl").write_text('(defsymphony "mine" {} (asset "SPY"))\n')
    assert main(["symphony", "check", "tecl"]) == 0
    assert "tecl: ok: 'mine'" in capsys.readouterr().out
