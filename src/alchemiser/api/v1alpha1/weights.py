"""The one strategy parameter the CRD schema checks at admission: static `weights`.

The `static` strategy holds fixed weights, a map of symbol to fraction summing to 1.
This module gives the map's CRD schema (with CEL rules) and the same checks in Python.
Pure data and functions.
"""

import math
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import Field, TypeAdapter, ValidationError

from alchemiser.api.v1alpha1._base import (
    SYMBOL_MAX_LENGTH,
    SYMBOL_PATTERN,
    WEIGHT_TOLERANCE,
    Symbol,
    cel,
    sums_to_one,
)
from alchemiser.api.v1alpha1.symphonyref import symphony_properties

WEIGHTS_KEY: Final = "weights"
MAX_STATIC_SYMBOLS: Final = 50

Fraction = Annotated[float, Field(gt=0.0, le=1.0, strict=True)]
Weights = Annotated[dict[Symbol, Fraction], Field(min_length=1, max_length=MAX_STATIC_SYMBOLS)]
_WEIGHTS: Final[TypeAdapter[dict[str, float]]] = TypeAdapter(Weights)

WEIGHTS_DESCRIPTION: Final = (
    "Static strategy only: target weight per symbol (e.g. SPY: 0.6, BRK.B: 0.4), each in "
    "(0, 1], summing to 1 (within 0.001), at most 50 symbols."
)


def weights_schema() -> dict[str, Any]:
    """The structural schema of static `weights`, in CRD form, with its CEL rules."""
    return {
        "type": "object",
        "description": WEIGHTS_DESCRIPTION,
        "minProperties": 1,
        "maxProperties": MAX_STATIC_SYMBOLS,
        "additionalProperties": {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 1,
        },
        "x-kubernetes-validations": [
            cel(
                f"self.all(s, s.size() <= {SYMBOL_MAX_LENGTH} && s.matches('{SYMBOL_PATTERN}'))",
                "weights keys must be ticker symbols such as SPY or BRK.B",
            ),
            cel(
                sums_to_one("self.map(s, self[s]).sum()"),
                "weights must sum to 1 (within 0.001)",
            ),
        ],
    }


def parameters_schema(schema: dict[str, Any]) -> None:
    """Turn the schema pydantic made for `parameters` into the CRD's: open, except the
    known keys (static weights, symphony source / configMapRef)."""
    description = schema.get("description")
    schema.clear()
    schema.update(
        {
            "type": "object",
            "description": description,
            "default": {},
            "properties": {WEIGHTS_KEY: weights_schema(), **symphony_properties()},
            "x-kubernetes-preserve-unknown-fields": True,
        }
    )


def check_weights(weights: Any) -> dict[str, float]:
    """Validate static weights as admission does; raise ValueError naming the weights."""
    try:
        parsed = _WEIGHTS.validate_python(weights)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        suffix = f"[{where}]" if where else ""
        raise ValueError(f"parameters.weights{suffix}: {first['msg']}") from error
    total = math.fsum(parsed.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"parameters.weights must sum to 1 (within 0.001), got {total:g}")
    return parsed


def check_static_parameters(is_static: bool, parameters: Mapping[str, Any]) -> None:
    """Apply the admission rules about `weights` to an allocation's parameters."""
    if WEIGHTS_KEY in parameters:
        if not is_static:
            raise ValueError("parameters.weights is only for strategy static")
        check_weights(parameters[WEIGHTS_KEY])
    elif is_static:
        raise ValueError(
            "a static allocation needs parameters.weights: a map of symbol to fraction"
        )
