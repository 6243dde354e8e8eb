"""CRD generation: checked-in crds/ match the models, and the schemas are complete and strict."""

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from alchemiser.api import RiskLimits, TradingHaltSpec, TradingStrategySpec, cli
from alchemiser.api.crd import crds, halt_crd, render, strategy_crd

CRDS = Path(__file__).resolve().parents[2] / "crds"
NAMES = (
    "alchemiser.io_tradingstrategies.yaml",
    "alchemiser.io_tradinghalts.yaml",
    "alchemiser.io_tradingbacktests.yaml",
)


def _version(crd: dict[str, Any]) -> dict[str, Any]:
    (version,) = crd["spec"]["versions"]
    return version  # type: ignore[no-any-return]


def _schema(crd: dict[str, Any]) -> dict[str, Any]:
    return _version(crd)["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def _walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{name}")
    if "items" in node:
        yield from _walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], f"{path}{{}}")


def _all_nodes() -> Iterator[tuple[str, dict[str, Any]]]:
    for crd in crds().values():
        yield from _walk(_schema(crd), crd["spec"]["names"]["kind"])


@pytest.mark.parametrize("name", NAMES)
def test_checked_in_crds_match_the_models(name: str) -> None:
    """crds/ is exactly what the models generate; run `make crds` after changing a model."""
    assert (CRDS / name).read_text() == render(crds()[name]), "crds/ drifted: run `make crds`"


def main(argv: list[str]) -> int:
    """`alchemiser ARGV` with only the API package's subcommands (no operator imports)."""
    parser = argparse.ArgumentParser(prog="alchemiser")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def test_cli_writes_the_same_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`alchemiser crds --output DIR` writes both files; without it, prints both documents."""
    assert main(["crds", "--output", str(tmp_path)]) == 0
    for name in NAMES:
        assert (tmp_path / name).read_text() == (CRDS / name).read_text()
    capsys.readouterr()
    assert main(["crds"]) == 0
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [d["metadata"]["name"] for d in documents] == [
        "tradingstrategies.alchemiser.io",
        "tradinghalts.alchemiser.io",
        "tradingbacktests.alchemiser.io",
    ]


def test_names_scope_and_subresources() -> None:
    """Strategies are namespaced (tstrat), halts cluster-scoped (halt); both have status."""
    strategy, halt = strategy_crd(), halt_crd()
    assert strategy["spec"]["scope"] == "Namespaced"
    assert strategy["spec"]["names"]["shortNames"] == ["tstrat"]
    assert "alchemiser" in strategy["spec"]["names"]["categories"]
    assert halt["spec"]["scope"] == "Cluster"
    assert halt["spec"]["names"]["shortNames"] == ["halt"]
    for crd in (strategy, halt):
        assert crd["spec"]["group"] == "alchemiser.io"
        assert _version(crd)["name"] == "v1alpha1"
        assert _version(crd)["subresources"] == {"status": {}}


def test_printer_columns() -> None:
    """kubectl get shows Mode, Schedule, Ready, Halted, Last Run, Age / Mode, Reason, ..."""
    columns = [c["name"] for c in _version(strategy_crd())["additionalPrinterColumns"]]
    assert columns == ["Mode", "Schedule", "Ready", "Halted", "Last Run", "Age"]
    columns = [c["name"] for c in _version(halt_crd())["additionalPrinterColumns"]]
    assert columns == ["Mode", "Reason", "Affected", "Expires", "Age"]


def test_every_field_has_a_description() -> None:
    """Every property (down to the leaves) is described, so `kubectl explain` teaches."""
    missing = [
        path
        for path, node in _all_nodes()
        if not path.endswith(("[]", "{}", ".metadata")) and not node.get("description")
    ]
    assert missing == []


def test_schemas_are_structural() -> None:
    """No $ref, unions, nulls or properties-with-additionalProperties; every node has a type."""
    for path, node in _all_nodes():
        assert not {"$ref", "anyOf", "allOf", "oneOf", "not", "nullable", "const"} & set(node)
        assert "type" in node, path
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("default", "unset") is not None, path


def test_unknown_fields_are_kept_only_in_strategy_parameters() -> None:
    """Only allocation parameters are open; everything else prunes nothing (strict)."""
    open_paths = [
        path for path, node in _all_nodes() if node.get("x-kubernetes-preserve-unknown-fields")
    ]
    assert open_paths == [
        "TradingStrategy.spec.allocations[].parameters",
        "TradingBacktest.spec.strategy.allocations[].parameters",
        "TradingBacktest.spec.variants[].allocations[].parameters",
    ]


def test_every_rule_has_a_message_and_reason() -> None:
    """CEL rules explain themselves in words and say which kind of error they are."""
    rules = [rule for _, node in _all_nodes() for rule in node.get("x-kubernetes-validations", [])]
    assert len(rules) >= 12
    for rule in rules:
        assert rule["message"] and rule["reason"].startswith("FieldValue")


def test_collections_and_strings_under_spec_are_bounded() -> None:
    """Lists, maps and free strings have maxItems/maxProperties/maxLength (CEL cost, sanity)."""
    for path, node in _all_nodes():
        if ".spec" not in path or path.endswith(".parameters"):
            continue
        if node["type"] == "array":
            assert "maxItems" in node, path
        if node["type"] == "object" and "additionalProperties" in node:
            assert "maxProperties" in node, path
        if node["type"] == "string" and "enum" not in node and node.get("format") != "date-time":
            assert "maxLength" in node, path


def _model_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The defaults a minimal object gets, per wire field path, from the pydantic model."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        if isinstance(value, BaseModel):
            value = value.model_dump(by_alias=True, mode="json", exclude_none=True)
        if value is None or value == [] or (value == {} and alias != "parameters"):
            continue  # absent on the wire
        out[alias] = value.value if hasattr(value, "value") else value
    return out


@pytest.mark.parametrize(
    ("crd", "path", "model"),
    [
        (strategy_crd, ("spec",), TradingStrategySpec),
        (strategy_crd, ("spec", "risk"), RiskLimits),
        (halt_crd, ("spec",), TradingHaltSpec),
    ],
)
def test_schema_defaults_equal_model_defaults(
    crd: Any, path: tuple[str, ...], model: type[BaseModel]
) -> None:
    """The apiserver fills in the same defaults the models do."""
    node = _schema(crd())
    for part in path:
        node = node["properties"][part]
    schema_defaults = {
        name: sub["default"] for name, sub in node["properties"].items() if "default" in sub
    }
    assert schema_defaults == _model_defaults(model)
