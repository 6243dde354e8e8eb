"""The `symphony` allocation's parameters: exactly one source, compiled text, line:column errors."""

import gzip
from typing import Any

import pytest
from pydantic import ValidationError

from alchemiser.api import Allocation, StrategyName
from alchemiser.api.parameters import SymphonyParameters, parse_parameters
from alchemiser.api.v1alpha1.symphonyref import (
    EXACTLY_ONE,
    MAX_INLINE_SOURCE,
    symphony_properties,
)
from alchemiser.errors import ConfigError
from alchemiser.symphony import digest, read_source

TEXT = '(defsymphony "s" {:rebalance-threshold 0.03}\n (asset "SPY"))'


def test_inline_source_is_compiled_with_its_digest() -> None:
    """parameters.source is compiled at parse time; digest is sha256 of the text."""
    params = parse_parameters(StrategyName.SYMPHONY, {"source": TEXT})
    assert isinstance(params, SymphonyParameters)
    assert params.symphony.name == "s" and params.symphony.symbols == {"SPY"}
    assert params.digest == digest(TEXT) and params.digest.startswith("sha256:")


def test_bad_inline_source_names_line_and_column() -> None:
    """A typo is an InvalidParameters message naming parameters.source:LINE:COL."""
    bad = TEXT.replace("asset", "assett")
    with pytest.raises(ConfigError) as caught:
        parse_parameters(StrategyName.SYMPHONY, {"source": bad})
    assert str(caught.value) == 'symphony: parameters.source:2:2: unknown operator "assett"'


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({}, EXACTLY_ONE),
        ({"source": TEXT, "configMapRef": {"name": "a", "key": "b"}}, EXACTLY_ONE),
        ({"configMapRef": {"name": "Bad_Name", "key": "k"}}, "parameters.configMapRef.name"),
        ({"configMapRef": {"name": "ok"}}, "parameters.configMapRef.key: Field required"),
        ({"source": TEXT, "weights": {"SPY": 1}}, "parameters.weights: unknown parameter"),
    ],
)
def test_shape_errors_name_the_parameter(parameters: dict[str, Any], message: str) -> None:
    """Missing, doubled or malformed references are refused naming the parameter."""
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_parameters(StrategyName.SYMPHONY, parameters)


def test_a_reference_compiles_once_its_text_is_added() -> None:
    """configMapRef needs its ConfigMap's text; with_text compiles it and names the ConfigMap."""
    params = parse_parameters(
        StrategyName.SYMPHONY, {"configMapRef": {"name": "my-syms", "key": "s.clj"}}
    )
    assert isinstance(params, SymphonyParameters)
    with pytest.raises(ConfigError, match="was not loaded"):
        _ = params.symphony
    assert params.with_text(TEXT).symphony.name == "s"
    with pytest.raises(ConfigError, match=r"^configmap my-syms key s\.clj:1:1: expected"):
        params.with_text("(weight-equal [])")


def test_admission_rules_in_python_match_the_crd() -> None:
    """The Allocation model refuses symphony keys on other strategies and a symphony without one."""
    with pytest.raises(ValidationError, match="only for strategy symphony"):
        Allocation.model_validate(
            {
                "strategy": "static",
                "weight": 1,
                "parameters": {"weights": {"SPY": 1}, "source": TEXT},
            }
        )
    with pytest.raises(ValidationError, match="exactly one of"):
        Allocation.model_validate({"strategy": "symphony", "weight": 1, "parameters": {}})
    schema = symphony_properties()
    assert schema["source"]["maxLength"] == MAX_INLINE_SOURCE
    assert schema["configMapRef"]["required"] == ["name", "key"]


def test_gzip_text_is_recognised() -> None:
    """binaryData arrives gzip-compressed; read_source gunzips it, plain text passes through."""
    assert read_source(gzip.compress(TEXT.encode())) == TEXT
    assert read_source(TEXT.encode()) == TEXT
    with pytest.raises(ConfigError, match="not valid gzip"):
        read_source(b"\x1f\x8b\x08garbage")
    with pytest.raises(ConfigError, match="not UTF-8 text at byte 0"):
        read_source(b"\xff\xfe")
