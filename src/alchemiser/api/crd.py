"""CRD generation: the CustomResourceDefinitions, derived from the pydantic models.

The models are the single source of truth. Pydantic's JSON Schema (2020-12 flavour,
with $refs and anyOf for optionals) is rewritten into a Kubernetes structural schema
(OpenAPI v3.0 subset, everything inlined, no nulls). CEL rules and list types ride on
the models as `json_schema_extra`. Pure: returns data; writing files is the CLI's job.
"""

from collections.abc import Mapping
from typing import Any, Final

import yaml
from pydantic import BaseModel

from alchemiser.api import runtime
from alchemiser.api.v1alpha1 import TradingBacktest, TradingHalt, TradingStrategy

CATEGORY: Final = "alchemiser"
HEADER: Final = (
    "# Generated from the pydantic models in alchemiser.api by `alchemiser crds`\n"
    "# (`make crds`). Do not edit by hand: tests/api fail when this file drifts.\n"
)

# Keywords a structural schema may carry, as produced by the rewrite below.
_PASSED_THROUGH: Final = frozenset(
    {
        "type",
        "format",
        "description",
        "enum",
        "default",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "required",
        "x-kubernetes-validations",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-preserve-unknown-fields",
    }
)
_DROPPED: Final = frozenset({"title", "$defs"})


class SchemaError(ValueError):
    """Raised when a model produces a JSON Schema the generator cannot make structural."""


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """Inline $ref, allOf and nullable anyOf; field-level keywords win over the target's."""
    node = dict(node)
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**_resolve(target, defs), **node}
    if "allOf" in node:
        (only,) = node.pop("allOf")
        node = {**_resolve(only, defs), **node}
    if "anyOf" in node:
        options = [o for o in node.pop("anyOf") if o != {"type": "null"}]
        if len(options) != 1:
            raise SchemaError(f"cannot make a structural schema of a union: {options}")
        node = {**_resolve(options[0], defs), **node}
    return node


def _structural(
    node: Mapping[str, Any],
    defs: Mapping[str, Any],
    path: str,
    *,
    defaults: bool,
    field: bool = True,
) -> dict[str, Any]:
    """Rewrite one schema node; `field` nodes (object properties) must carry a description."""
    node = _resolve(node, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "properties":
            out[key] = {
                name: _structural(sub, defs, f"{path}.{name}", defaults=defaults)
                for name, sub in value.items()
            }
        elif key == "items":
            out[key] = _structural(value, defs, f"{path}[]", defaults=defaults, field=False)
        elif key == "additionalProperties":
            if isinstance(value, Mapping):
                out[key] = _structural(value, defs, f"{path}{{}}", defaults=defaults, field=False)
            elif value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
            # False: the default for a structural schema with properties.
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "default" and (value is None or not defaults):
            continue  # status is written by the operator; None means "absent"
        elif key in _PASSED_THROUGH or key in ("exclusiveMinimum", "exclusiveMaximum"):
            out[key] = value
        else:
            raise SchemaError(f"{path}: unsupported JSON Schema keyword {key!r}")
    if field and "description" not in out:
        raise SchemaError(f"{path}: every field needs a description (Field(description=...))")
    if field and isinstance(out.get("default"), str | int | float | bool):
        # kubectl explain shows descriptions but not defaults, so the default joins the text.
        out["description"] = f"{out['description']} Default: {_yaml_scalar(out['default'])}."
    return out


def _yaml_scalar(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def openapi_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The openAPIV3Schema of a resource model (apiVersion, kind, metadata, spec, status)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs = raw.get("$defs", {})
    properties = raw["properties"]
    schema: dict[str, Any] = {
        "type": "object",
        "description": raw["description"],
        "required": ["spec"],
        "properties": {
            "apiVersion": {
                "type": "string",
                "description": "The versioned schema of this object: alchemiser.io/v1alpha1.",
            },
            "kind": {
                "type": "string",
                "description": f"The kind of this object: {model.__name__}.",
            },
            # The apiserver allows nothing on metadata but its type (not even a description).
            "metadata": {"type": "object"},
            "spec": _structural(properties["spec"], defs, "spec", defaults=True),
            "status": _structural(properties["status"], defs, "status", defaults=False),
        },
    }
    return schema


def _column(name: str, json_path: str, type_: str, description: str) -> dict[str, Any]:
    return {"name": name, "type": type_, "jsonPath": json_path, "description": description}


_AGE: Final = _column("Age", ".metadata.creationTimestamp", "date", "Time since creation.")


def _crd(
    *,
    model: type[BaseModel],
    kind: str,
    plural: str,
    singular: str,
    short_name: str,
    scope: str,
    columns: list[dict[str, Any]],
    selectable: tuple[str, ...] = (".spec.mode",),
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{runtime.GROUP}",
            "labels": {"app.kubernetes.io/part-of": "alchemiser"},
        },
        "spec": {
            "group": runtime.GROUP,
            "scope": scope,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": singular,
                "shortNames": [short_name],
                "categories": [CATEGORY],
            },
            "versions": [
                {
                    "name": runtime.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [*columns, _AGE],
                    **(
                        {"selectableFields": [{"jsonPath": path} for path in selectable]}
                        if selectable
                        else {}
                    ),
                    "schema": {"openAPIV3Schema": openapi_schema(model)},
                }
            ],
        },
    }


def _condition(type_: str) -> str:
    return f'.status.conditions[?(@.type=="{type_}")].status'


def strategy_crd() -> dict[str, Any]:
    """The TradingStrategy CRD (namespaced, short name tstrat)."""
    return _crd(
        model=TradingStrategy,
        kind=runtime.STRATEGY_KIND,
        plural=runtime.STRATEGY_PLURAL,
        singular="tradingstrategy",
        short_name="tstrat",
        scope="Namespaced",
        columns=[
            _column("Mode", ".spec.mode", "string", "paper, live or dryRun."),
            _column("Schedule", ".spec.schedule", "string", "When runs are scheduled."),
            _column("Ready", _condition("Ready"), "string", "Whether the strategy is ready."),
            _column("Halted", _condition("Halted"), "string", "Whether a halt applies."),
            _column("Last Run", ".status.lastRun.outcome", "string", "The last run's outcome."),
        ],
    )


def halt_crd() -> dict[str, Any]:
    """The TradingHalt CRD (cluster-scoped, short name halt)."""
    return _crd(
        model=TradingHalt,
        kind=runtime.HALT_KIND,
        plural=runtime.HALT_PLURAL,
        singular="tradinghalt",
        short_name="halt",
        scope="Cluster",
        columns=[
            _column("Mode", ".spec.mode", "string", "Halt or ReduceOnly."),
            _column("Reason", ".spec.reason", "string", "Why trading is halted."),
            _column("Affected", ".status.affectedStrategies", "integer", "Strategies halted now."),
            _column("Expires", ".spec.expiresAt", "date", "When the halt stops applying."),
        ],
    )


def backtest_crd() -> dict[str, Any]:
    """The TradingBacktest CRD (namespaced, short name tbt)."""
    return _crd(
        model=TradingBacktest,
        kind=runtime.BACKTEST_KIND,
        plural=runtime.BACKTEST_PLURAL,
        singular="tradingbacktest",
        short_name="tbt",
        scope="Namespaced",
        selectable=(),
        columns=[
            _column("Period", ".status.period", "string", "The first variant's start..end."),
            _column("CAGR", ".status.cagr", "number", "The first variant's CAGR."),
            _column("Max DD", ".status.maxDrawdown", "number", "The first variant's max drawdown."),
            _column("Sharpe", ".status.sharpe", "number", "The first variant's Sharpe ratio."),
            _column("State", ".status.state", "string", "Pending, Running, Succeeded or Failed."),
        ],
    )


def crds() -> dict[str, dict[str, Any]]:
    """Every generated CRD by file name (as checked in under crds/)."""
    return {
        f"{runtime.GROUP}_{runtime.STRATEGY_PLURAL}.yaml": strategy_crd(),
        f"{runtime.GROUP}_{runtime.HALT_PLURAL}.yaml": halt_crd(),
        f"{runtime.GROUP}_{runtime.BACKTEST_PLURAL}.yaml": backtest_crd(),
    }


class _PlainDumper(yaml.SafeDumper):
    """Writes a schema shared by two fields (allocations) out twice, not as &id/*id aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(crd: Mapping[str, Any]) -> str:
    """One CRD as the YAML text checked in under crds/ (stable key order)."""
    body = yaml.dump(
        dict(crd), Dumper=_PlainDumper, sort_keys=True, default_flow_style=False, width=100
    )
    return HEADER + body
