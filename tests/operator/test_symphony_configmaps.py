"""Symphonies in ConfigMaps: the operator validates them, and re-validates when they change."""

import base64
import gzip
from typing import Any

from operator_support import BOTH_KEYS, World, spec_wire, strategy_body

from alchemiser.api import TradingStrategySpec
from alchemiser.operator import status, strategies, symphonies
from alchemiser.operator.settings import OperatorSettings

KEY = ("team-a", "momentum")
TEXT = '(defsymphony "hedge" {}\n  (weight-equal [(asset "SPY") (asset "BIL")]))'
BAD = TEXT.replace("weight-equal", "weight-equl")


def symphony_spec(name: str, key: str) -> dict[str, Any]:
    """A spec whose symphony allocation (after a static one) reads ConfigMap `name`, `key`."""
    static = {"strategy": "static", "weight": 0.5, "parameters": {"weights": {"SPY": 1.0}}}
    ref = {"configMapRef": {"name": name, "key": key}}
    symphony = {"strategy": "symphony", "weight": 0.5, "parameters": ref}
    return spec_wire(allocations=[static, symphony])


def configmap(name: str, **data: str) -> dict[str, Any]:
    """A ConfigMap as the API returns it."""
    return {"metadata": {"namespace": "team-a", "name": name}, "data": data}


def check(spec: dict[str, Any], **bodies: dict[str, Any] | None) -> symphonies.SymphonyCheck:
    return symphonies.check("team-a", TradingStrategySpec.model_validate(spec), bodies)


def test_a_valid_text_in_data_or_gzip_in_binary_data_has_no_problem() -> None:
    """Plain text under data, or gzip under binaryData (base64 on the wire): both compile."""
    zipped = base64.b64encode(gzip.compress(TEXT.encode())).decode()
    plain = check(
        symphony_spec("plain", "main.clj"), plain=configmap("plain", **{"main.clj": TEXT})
    )
    assert plain == symphonies.SymphonyCheck()
    body = {"metadata": {"name": "zipped"}, "binaryData": {"big.clj.gz": zipped}}
    assert check(symphony_spec("zipped", "big.clj.gz"), zipped=body) == symphonies.SymphonyCheck()


def test_a_missing_configmap_or_key_is_missing_naming_field_and_namespace() -> None:
    """A missing ConfigMap and a missing key are reported with the spec field."""
    gone = check(symphony_spec("gone", "main.clj"), gone=None)
    assert gone.invalid is None
    assert gone.missing == (
        "allocations[1].parameters.configMapRef: ConfigMap gone not found in namespace team-a"
    )
    other = check(symphony_spec("here", "other.clj"), here=configmap("here", **{"main.clj": TEXT}))
    assert other.missing == (
        "allocations[1].parameters.configMapRef: ConfigMap here has no key other.clj "
        "in data or binaryData"
    )


def test_text_that_does_not_compile_is_invalid_with_line_and_column() -> None:
    """A typo in the ConfigMap's text names the field, the ConfigMap, its key and line:col."""
    found = check(symphony_spec("s", "main.clj"), s=configmap("s", **{"main.clj": BAD}))
    assert found.missing is None
    assert found.invalid == (
        "allocations[1].parameters.configMapRef: "
        'configmap s key main.clj:2:3: unknown operator "weight-equl"'
    )


def test_binary_data_that_is_not_gzip_text_is_invalid() -> None:
    """Bytes that are neither UTF-8 text nor gzip fail closed as invalid, not as a crash."""
    raw = base64.b64encode(b"\x1f\x8b not really gzip").decode()
    body = {"metadata": {"name": "s"}, "binaryData": {"main.clj": raw}}
    found = check(symphony_spec("s", "main.clj"), s=body)
    assert found.invalid is not None and "not valid gzip" in found.invalid


def test_referenced_config_maps_reads_the_wire_spec_and_ignores_the_rest() -> None:
    """Only symphony allocations' configMapRef names count, distinct and sorted."""
    spec = symphony_spec("b", "x")
    spec["allocations"][0] = {"strategy": "symphony", "parameters": {"configMapRef": {"name": "a"}}}
    spec["allocations"].append(
        {"strategy": "static", "parameters": {"configMapRef": {"name": "c"}}}
    )
    assert symphonies.referenced_config_maps(spec) == ["a", "b"]
    assert symphonies.referenced_config_maps({"allocations": "nonsense"}) == []
    assert symphonies.referenced_config_maps({}) == []


def _ready(world: World) -> dict[str, Any]:
    body = world.kube.strategies[KEY]
    (ready,) = [c for c in body["status"]["conditions"] if c["type"] == status.READY]
    return ready


async def test_a_missing_symphony_suspends_until_its_configmap_appears(
    settings: OperatorSettings,
) -> None:
    """No ConfigMap: suspended, SymphonyMissing (Event too); created: the watch's re-check
    makes it Ready and unsuspends the CronJob."""
    world = World()
    world.kube.secrets[("team-a", "alpaca-paper")] = BOTH_KEYS
    world.kube.add_strategy(strategy_body(spec=symphony_spec("hedge", "main.clj")))
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert _ready(world)["reason"] == status.SYMPHONY_MISSING
    assert world.kube.cronjobs[KEY]["spec"]["suspend"] is True
    assert status.SYMPHONY_MISSING in world.reasons()

    world.kube.configmaps[("team-a", "hedge")] = configmap("hedge", **{"main.clj": TEXT})
    await strategies.recheck_symphony_users(ctx, "team-a", "hedge")
    assert _ready(world)["status"] == "True"
    assert world.kube.cronjobs[KEY]["spec"]["suspend"] is False


async def test_a_broken_edit_is_invalid_parameters_and_a_fix_is_ready_again(
    settings: OperatorSettings,
) -> None:
    """An edit with a typo: InvalidParameters naming line:col; the fix: Ready again."""
    world = World()
    world.kube.secrets[("team-a", "alpaca-paper")] = BOTH_KEYS
    world.kube.configmaps[("team-a", "hedge")] = configmap("hedge", **{"main.clj": TEXT})
    world.kube.add_strategy(strategy_body(spec=symphony_spec("hedge", "main.clj")))
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert _ready(world)["status"] == "True"

    world.kube.configmaps[("team-a", "hedge")] = configmap("hedge", **{"main.clj": BAD})
    await strategies.recheck_symphony_users(ctx, "team-a", "hedge")
    ready = _ready(world)
    assert (
        ready["reason"] == status.INVALID_PARAMETERS
        and ":2:3: unknown operator" in (ready["message"])
    )
    assert world.kube.cronjobs[KEY]["spec"]["suspend"] is True

    world.kube.configmaps[("team-a", "hedge")] = configmap("hedge", **{"main.clj": TEXT})
    await strategies.recheck_symphony_users(ctx, "team-a", "hedge")
    assert _ready(world)["status"] == "True"


async def test_a_configmap_nobody_references_touches_no_strategy(
    settings: OperatorSettings,
) -> None:
    """The watch sees every ConfigMap; one no symphony names leads to no write."""
    world = World()
    world.kube.secrets[("team-a", "alpaca-paper")] = BOTH_KEYS
    world.kube.add_strategy(strategy_body(spec=symphony_spec("hedge", "main.clj")))
    ctx = world.context(settings)
    await strategies.recheck_symphony_users(ctx, "team-a", "kube-root-ca.crt")
    await strategies.recheck_symphony_users(ctx, "team-b", "hedge")
    assert world.kube.writes == []


def test_the_sweep_rechecks_a_missing_or_invalid_symphony() -> None:
    """SymphonyMissing and InvalidParameters are re-read by the resync sweep (recovery)."""
    for reason in (status.SYMPHONY_MISSING, status.INVALID_PARAMETERS):
        current = {"conditions": [{"type": "Ready", "status": "False", "reason": reason}]}
        assert strategies.credentials_recheck_needed(current)
    ready = {"conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled"}]}
    assert not strategies.credentials_recheck_needed(ready)
