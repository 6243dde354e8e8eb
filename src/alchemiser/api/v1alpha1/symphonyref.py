"""The `symphony` strategy's parameters at admission: exactly one of `source` or `configMapRef`.

A symphony allocation names its Composer text inline (`source`, small ones) or
in a ConfigMap of the strategy's namespace (`configMapRef: {name, key}`, the key
under `data` as text or under `binaryData` gzip-compressed). This module gives
their CRD schema and CEL rules and the same shape checks in Python; the text
itself is compiled by alchemiser.symphony (api.parameters). Pure data.
"""

from collections.abc import Mapping
from typing import Any, Final

from alchemiser.api.v1alpha1._base import cel

SOURCE_KEY: Final = "source"
CONFIG_MAP_REF_KEY: Final = "configMapRef"
# Inline text travels in the worker's environment (one variable holds the spec), which
# Linux caps at 128 KiB per string; larger symphonies go in a ConfigMap.
MAX_INLINE_SOURCE: Final = 64 * 1024
CONFIG_MAP_NAME_PATTERN: Final = (
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
CONFIG_MAP_KEY_PATTERN: Final = r"^[-._a-zA-Z0-9]+$"

EXACTLY_ONE: Final = (
    "a symphony allocation needs exactly one of parameters.source or parameters.configMapRef"
)
SOURCE_DESCRIPTION: Final = (
    'Symphony only: the Composer symphony text inline, (defsymphony "name" {...} tree), '
    f"at most {MAX_INLINE_SOURCE} characters (use configMapRef for larger ones). "
    "Exactly one of source or configMapRef. Errors name line:column."
)
REF_DESCRIPTION: Final = (
    "Symphony only: a ConfigMap in the strategy's namespace holding the symphony text under "
    "key, in data (text) or binaryData (gzip-compressed, for files over 1 MiB). Mounted into "
    "each run; the operator watches it and re-validates on change."
)


def symphony_properties() -> dict[str, Any]:
    """The CRD schema of `source` and `configMapRef` inside an allocation's parameters."""
    return {
        SOURCE_KEY: {
            "type": "string",
            "description": SOURCE_DESCRIPTION,
            "minLength": 1,
            "maxLength": MAX_INLINE_SOURCE,
        },
        CONFIG_MAP_REF_KEY: {
            "type": "object",
            "description": REF_DESCRIPTION,
            "required": ["name", "key"],
            "properties": {
                "name": {
                    "type": "string",
                    "description": "Name of the ConfigMap (same namespace as the strategy).",
                    "maxLength": 253,
                    "pattern": CONFIG_MAP_NAME_PATTERN,
                },
                "key": {
                    "type": "string",
                    "description": "Key in the ConfigMap's data or binaryData.",
                    "maxLength": 253,
                    "pattern": CONFIG_MAP_KEY_PATTERN,
                },
            },
        },
    }


def symphony_rules() -> list[dict[str, Any]]:
    """The allocation-level CEL rules about symphony parameters."""
    return [
        cel(
            f"self.strategy != 'symphony' || (has(self.parameters) && "
            f"(has(self.parameters.{SOURCE_KEY}) != has(self.parameters.{CONFIG_MAP_REF_KEY})))",
            EXACTLY_ONE,
            field_path=".parameters",
            reason="FieldValueRequired",
        ),
        cel(
            f"self.strategy == 'symphony' || !has(self.parameters) || "
            f"(!has(self.parameters.{SOURCE_KEY}) && !has(self.parameters.{CONFIG_MAP_REF_KEY}))",
            "parameters.source and parameters.configMapRef are only for strategy symphony",
            field_path=".parameters",
            reason="FieldValueForbidden",
        ),
    ]


def check_symphony_parameters(is_symphony: bool, parameters: Mapping[str, Any]) -> None:
    """Apply the admission rules above in Python; raise ValueError naming the parameter."""
    has_source = SOURCE_KEY in parameters
    has_ref = CONFIG_MAP_REF_KEY in parameters
    if not is_symphony:
        if has_source or has_ref:
            raise ValueError(
                "parameters.source and parameters.configMapRef are only for strategy symphony"
            )
        return
    if has_source == has_ref:
        raise ValueError(EXACTLY_ONE)
