"""The models refuse every manifest in the invalid table, naming the field, as admission does."""

import re

import pytest
from invalid_cases import CASES, Case
from pydantic import ValidationError

from alchemiser.api import TradingHalt, TradingStrategy

MODELS = {"TradingStrategy": TradingStrategy, "TradingHalt": TradingHalt}


def _leaf(path: str) -> str:
    """The last field name of an apiserver path: spec.allocations[2].weight -> weight."""
    return re.sub(r"\[[0-9]+\]$", "", path).rsplit(".", 1)[-1]


def test_the_table_is_large_and_distinct() -> None:
    """At least 40 distinct invalid manifests, each with its own name."""
    manifests = {repr((case.manifest()["kind"], case.manifest().get("spec"))) for case in CASES}
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)
    assert len(manifests) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_model_refuses_invalid_manifest(case: Case) -> None:
    """pydantic rejects the manifest and its error names the broken field."""
    manifest = case.manifest()
    with pytest.raises(ValidationError) as raised:
        MODELS[manifest["kind"]].model_validate(manifest)
    assert _leaf(case.field) in str(raised.value)
