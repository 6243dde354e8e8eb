"""Symphonies a strategy keeps in ConfigMaps: which it references, and whether they compile.

Rule: pure. `observe` (strategies.py) reads each referenced ConfigMap through
kube.Kube and hands the bodies to `check`, which finds the first problem the way
the worker would meet it: the ConfigMap or its key missing (SymphonyMissing), or
text that does not compile (InvalidParameters, naming line:column). The
ConfigMap watch (handlers.py) finds the strategies to re-check in an index built
with `referenced_config_maps`.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alchemiser.api import StrategyName, TradingStrategySpec
from alchemiser.api.parameters import SymphonyParameters, parse_parameters
from alchemiser.errors import ConfigError
from alchemiser.symphony.source import read_source


@dataclass(frozen=True)
class Reference:
    """One symphony allocation's ConfigMap: where it sits in the spec, and name/key."""

    field: str  # "allocations[1].parameters.configMapRef"
    parameters: SymphonyParameters
    name: str
    key: str


@dataclass(frozen=True)
class SymphonyCheck:
    """The referenced symphonies as read now: no problem, a missing one, or invalid text."""

    missing: str | None = None
    invalid: str | None = None


def references(spec: TradingStrategySpec) -> list[Reference]:
    """The spec's symphony allocations that name a ConfigMap, in allocation order.

    Allocations whose parameters do not parse are left out: they already make the
    strategy InvalidParameters.
    """
    found = []
    for index, allocation in enumerate(spec.allocations):
        if allocation.strategy is not StrategyName.SYMPHONY:
            continue
        try:
            parameters = parse_parameters(allocation.strategy, allocation.parameters)
        except ConfigError:
            continue
        if not isinstance(parameters, SymphonyParameters) or parameters.config_map_ref is None:
            continue
        ref = parameters.config_map_ref
        field = f"allocations[{index}].parameters.configMapRef"
        found.append(Reference(field, parameters, ref.name, ref.key))
    return found


def _raw(body: Mapping[str, Any], key: str) -> bytes | str | None:
    data = body.get("data") or {}
    if key in data:
        return str(data[key])
    binary = body.get("binaryData") or {}
    if key in binary:
        try:
            return base64.b64decode(str(binary[key]), validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def check(
    namespace: str,
    spec: TradingStrategySpec,
    config_maps: Mapping[str, Mapping[str, Any] | None],
) -> SymphonyCheck:
    """The first problem of the referenced symphonies, given each ConfigMap as read (None:
    not found). Every reference is checked; messages name the spec field and the ConfigMap."""
    missing: list[str] = []
    invalid: list[str] = []
    for ref in references(spec):
        body = config_maps.get(ref.name)
        where = f"{ref.field}: ConfigMap {ref.name}"
        if body is None:
            missing.append(f"{where} not found in namespace {namespace}")
            continue
        raw = _raw(body, ref.key)
        if raw is None:
            missing.append(f"{where} has no key {ref.key} in data or binaryData")
            continue
        try:
            ref.parameters.with_text(read_source(raw, f"{ref.name}/{ref.key}"))
        except ConfigError as error:
            invalid.append(f"{ref.field}: {error}")
    return SymphonyCheck(
        missing="; ".join(missing)[:1000] or None, invalid="; ".join(invalid)[:1000] or None
    )


def referenced_config_maps(spec: Mapping[str, Any]) -> list[str]:
    """The ConfigMaps a strategy's spec (wire form, as kopf sees it) names for its symphony
    allocations, sorted and distinct; a malformed spec names none (it is not Ready anyway)."""
    names = set()
    for allocation in spec.get("allocations") or ():
        if not isinstance(allocation, Mapping):
            continue
        parameters = allocation.get("parameters")
        ref = parameters.get("configMapRef") if isinstance(parameters, Mapping) else None
        symphony = allocation.get("strategy") == StrategyName.SYMPHONY.value
        if symphony and isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
            names.add(ref["name"])
    return sorted(names)
