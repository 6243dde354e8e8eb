"""The worker's halt checks: the shared rule over specs, its clock, unreadable state."""

from datetime import UTC, datetime, timedelta

import pytest

from alchemiser.api import TradingHaltSpec
from alchemiser.api.halt_matching import StrategyScope
from alchemiser.errors import HaltStateUnknown
from alchemiser.worker.halts import Halt, HaltGuard, cluster_configured, parse_halt, verdict

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
PROD = StrategyScope(namespace="team-a", labels={"tier": "prod", "desk": "rates"})


def halt_spec(**fields: object) -> TradingHaltSpec:
    """A halt spec from wire-format fields."""
    return TradingHaltSpec.model_validate({"reason": "test", **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, True),
        ({"namespaces": ["team-a"]}, True),
        ({"namespaces": ["team-b"]}, False),
        ({"strategySelector": {"matchLabels": {"tier": "prod"}}}, True),
        ({"strategySelector": {"matchLabels": {"tier": "dev"}}}, False),
        (
            {
                "strategySelector": {
                    "matchExpressions": [
                        {"key": "desk", "operator": "In", "values": ["rates", "fx"]}
                    ]
                }
            },
            True,
        ),
        (
            {
                "strategySelector": {
                    "matchExpressions": [{"key": "desk", "operator": "NotIn", "values": ["rates"]}]
                }
            },
            False,
        ),
        ({"strategySelector": {"matchExpressions": [{"key": "desk", "operator": "Exists"}]}}, True),
        (
            {"strategySelector": {"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}},
            True,
        ),
        ({"strategySelector": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}}, False),
        ({"expiresAt": "2026-11-27T14:59:59Z"}, False),
        ({"expiresAt": "2026-11-27T15:00:01Z"}, True),
    ],
)
def test_a_halt_applies_by_namespace_selector_and_expiry(
    fields: dict[str, object], expected: bool
) -> None:
    """Kubernetes selector semantics decide; an expired halt never applies."""
    assert verdict([Halt("h", halt_spec(**fields))], PROD, NOW).halted is expected


def test_unknown_labels_match_every_selector() -> None:
    """When the strategy's labels are unknown, a label-selected halt is assumed to apply."""
    unknown = StrategyScope(namespace="team-a", labels=None)
    picky = Halt("h", halt_spec(strategySelector={"matchLabels": {"tier": "dev"}}))
    assert verdict([picky], unknown, NOW).halted
    assert not verdict([Halt("h", halt_spec(namespaces=["team-b"]))], unknown, NOW).halted


def test_verdict_separates_halt_and_reduce_only() -> None:
    """Halt-mode and ReduceOnly halts are reported apart, by name."""
    halts = [
        Halt("stop", halt_spec(mode="Halt")),
        Halt("calm", halt_spec(mode="ReduceOnly")),
        Halt("old", halt_spec(expiresAt=(NOW - timedelta(hours=1)).isoformat())),
    ]
    result = verdict(halts, PROD, NOW)
    assert result.halting == ("stop",) and result.reduce_only == ("calm",)
    assert result.halted_by == ["calm", "stop"]  # status.haltedBy's meaning: both modes


def test_the_guard_judges_expiry_by_its_clock() -> None:
    """A halt expiring at NOW applies just before and not at NOW, as the injected clock says."""

    class One:
        def list(self) -> list[Halt]:
            return [Halt("stop", halt_spec(expiresAt=NOW.isoformat()))]

    before = HaltGuard(One(), PROD, clock=lambda: NOW - timedelta(seconds=1))
    assert before.check().halted
    assert not HaltGuard(One(), PROD, clock=lambda: NOW).check().halted


def test_an_unreadable_source_raises_halt_state_unknown() -> None:
    """The guard passes the source's failure on; it never answers 'no halts'."""

    class Broken:
        def list(self) -> list[Halt]:
            raise HaltStateUnknown("apiserver down")

    with pytest.raises(HaltStateUnknown):
        HaltGuard(Broken(), PROD, clock=lambda: NOW).check()


def test_a_cluster_is_configured_by_kubeconfig() -> None:
    """KUBECONFIG set means a cluster is configured; an empty environment means none."""
    assert cluster_configured({"KUBECONFIG": "/tmp/kubeconfig"})
    assert not cluster_configured({})


def test_a_listed_halt_being_deleted_still_halts_the_worker() -> None:
    """A TradingHalt with a deletionTimestamp is still listed, so the worker stays halted."""
    item = {
        "metadata": {"name": "going", "deletionTimestamp": "2026-11-27T14:59:00Z"},
        "spec": {"reason": "test", "mode": "Halt"},
    }
    assert verdict([parse_halt(item)], PROD, NOW).halting == ("going",)


def test_an_unreadable_halt_spec_is_unknown_state() -> None:
    """A listed halt whose spec does not validate is HaltStateUnknown (treated as halted)."""
    with pytest.raises(HaltStateUnknown, match="TradingHalt odd cannot be read"):
        parse_halt({"metadata": {"name": "odd"}, "spec": {"reason": "r", "mode": "Sometimes"}})
