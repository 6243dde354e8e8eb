"""examples/: every manifest parses into the models and dumps back to the same object."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from alchemiser.api import HaltMode, Mode, StrategyName, TradingHalt, TradingStrategy, runtime
from alchemiser.api.parameters import StaticParameters, parse_parameters

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RESOURCES = {"TradingStrategy": TradingStrategy, "TradingHalt": TradingHalt}


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return loaded


def _resource_examples() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.yaml") if _load(p.name)["kind"] in RESOURCES)


def test_the_examples_the_issue_asks_for_exist() -> None:
    """Paper portfolio, static, dry-run, halt-all, reduce-only halt and the Secret are there."""
    assert {
        "strategy-paper.yaml",
        "strategy-static.yaml",
        "strategy-dry-run.yaml",
        "halt-everything.yaml",
        "halt-reduce-only.yaml",
        "secret-alpaca-paper.yaml",
    } <= {p.name for p in EXAMPLES.glob("*.yaml")}


@pytest.mark.parametrize("name", _resource_examples())
def test_example_round_trips(name: str) -> None:
    """Parse, dump (only what was written) and compare; the full dump re-parses equal."""
    document = _load(name)
    model = RESOURCES[document["kind"]].model_validate(document)
    assert model.model_dump(by_alias=True, mode="json", exclude_unset=True) == document
    full = model.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert type(model).model_validate(full) == model


@pytest.mark.parametrize("name", _resource_examples())
def test_example_parameters_pass_the_operator_check(name: str) -> None:
    """Every allocation's parameters in the examples pass parse_parameters."""
    document = _load(name)
    if document["kind"] != "TradingStrategy":
        return
    for allocation in TradingStrategy.model_validate(document).spec.allocations:
        parse_parameters(allocation.strategy, allocation.parameters)


def test_paper_example_is_the_original_bots_portfolio() -> None:
    """nuclear/tecl/klm at 0.3/0.5/0.2 on a paper account."""
    spec = TradingStrategy.model_validate(_load("strategy-paper.yaml")).spec
    assert spec.mode is Mode.PAPER
    assert [(a.strategy, a.weight) for a in spec.allocations] == [
        (StrategyName.NUCLEAR, 0.3),
        (StrategyName.TECL, 0.5),
        (StrategyName.KLM, 0.2),
    ]


def test_static_and_dry_run_examples() -> None:
    """The static example carries weights; the dry-run example submits nothing."""
    static = TradingStrategy.model_validate(_load("strategy-static.yaml")).spec
    (allocation,) = static.allocations
    parameters = parse_parameters(allocation.strategy, allocation.parameters)
    assert isinstance(parameters, StaticParameters)
    assert set(parameters.weights) == set(static.risk.allowed_symbols)
    dry = TradingStrategy.model_validate(_load("strategy-dry-run.yaml")).spec
    assert dry.mode is Mode.DRY_RUN


def test_halt_examples() -> None:
    """One halt stops everything; the other is reduce-only, one namespace, with expiry."""
    everything = TradingHalt.model_validate(_load("halt-everything.yaml")).spec
    assert everything.mode is HaltMode.HALT
    assert everything.namespaces == []
    assert everything.strategy_selector.match_labels == {}
    assert everything.strategy_selector.match_expressions == []
    assert everything.expires_at is None
    reduce = TradingHalt.model_validate(_load("halt-reduce-only.yaml")).spec
    assert reduce.mode is HaltMode.REDUCE_ONLY
    assert len(reduce.namespaces) == 1
    assert reduce.expires_at is not None


def test_secret_example_has_placeholder_credentials_only() -> None:
    """The Secret has exactly the two key files the worker reads, with placeholders."""
    secret = _load("secret-alpaca-paper.yaml")
    assert secret["kind"] == "Secret"
    paper = TradingStrategy.model_validate(_load("strategy-paper.yaml"))
    assert secret["metadata"]["name"] == paper.spec.broker.credentials_secret
    assert set(secret["stringData"]) == set(runtime.CREDENTIAL_FILES)
    assert all(value.startswith("REPLACE-WITH-") for value in secret["stringData"].values())
