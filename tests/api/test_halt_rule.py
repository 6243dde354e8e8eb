"""The shared halt rule: namespaces, label selectors, modes, expiry and deletion (no cluster)."""

from datetime import UTC, datetime, timedelta

from alchemiser.api import TradingHaltSpec, halt_matching
from alchemiser.api.halt_matching import HaltRule, Requirement, Selector, StrategyScope

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def _halt(name="h", **spec):
    body = {
        "metadata": {"name": name, "creationTimestamp": "2026-11-27T14:59:59Z"},
        "spec": {"reason": "r", **spec},
    }
    return halt_matching.rule_from_wire(body)


def test_empty_halt_matches_every_strategy():
    """No namespaces and an empty selector halt everything."""
    decision = halt_matching.match([_halt()], StrategyScope("any", {}), NOW)
    assert decision.halted and decision.halted_by == ["h"]


def test_namespace_limits_the_halt():
    """A halt listing namespaces leaves strategies elsewhere alone."""
    halt = _halt(namespaces=["prod"])
    assert halt_matching.match([halt], StrategyScope("prod", {}), NOW).halted
    assert not halt_matching.match([halt], StrategyScope("dev", {}), NOW).halted


def test_match_labels_select_strategies():
    """matchLabels must all hold."""
    halt = _halt(strategySelector={"matchLabels": {"team": "quant", "tier": "1"}})
    assert halt_matching.match(
        [halt], StrategyScope("ns", {"team": "quant", "tier": "1", "x": "y"}), NOW
    ).halted
    assert not halt_matching.match([halt], StrategyScope("ns", {"team": "quant"}), NOW).halted


def test_match_expressions_follow_kubernetes_semantics():
    """In, NotIn (absent key matches), Exists and DoesNotExist behave as in Kubernetes."""
    labels = {"team": "quant"}
    assert Requirement("team", "In", frozenset({"quant"})).matches(labels)
    assert not Requirement("team", "In", frozenset({"ops"})).matches(labels)
    assert Requirement("team", "NotIn", frozenset({"ops"})).matches(labels)
    assert Requirement("tier", "NotIn", frozenset({"1"})).matches(labels)
    assert not Requirement("team", "NotIn", frozenset({"quant"})).matches(labels)
    assert Requirement("team", "Exists", frozenset()).matches(labels)
    assert not Requirement("tier", "Exists", frozenset()).matches(labels)
    assert Requirement("tier", "DoesNotExist", frozenset()).matches(labels)
    assert Requirement("team", "Bogus", frozenset()).matches(labels)  # unknown: fail closed


def test_selector_from_wire_combines_labels_and_expressions():
    """Both parts of a wire selector must hold."""
    halt = _halt(
        strategySelector={
            "matchLabels": {"team": "quant"},
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "stage"]}],
        }
    )
    assert halt.selector == Selector(
        match_labels=(("team", "quant"),),
        match_expressions=(Requirement("env", "In", frozenset({"prod", "stage"})),),
    )
    assert halt_matching.match(
        [halt], StrategyScope("ns", {"team": "quant", "env": "stage"}), NOW
    ).halted
    assert not halt_matching.match(
        [halt], StrategyScope("ns", {"team": "quant", "env": "dev"}), NOW
    ).halted


def test_expired_halts_no_longer_apply():
    """A halt whose expiresAt has passed stops applying; before it, it applies."""
    halt = _halt(expiresAt="2026-11-27T15:00:00Z")
    assert halt_matching.match([halt], StrategyScope("ns", {}), NOW - timedelta(seconds=1)).halted
    assert not halt_matching.match([halt], StrategyScope("ns", {}), NOW).halted
    assert halt.expires_at == NOW


def test_reduce_only_halts_are_listed_but_do_not_stop_scheduling():
    """ReduceOnly shows in haltedBy but does not make the strategy halted."""
    decision = halt_matching.match([_halt("ro", mode="ReduceOnly")], StrategyScope("ns", {}), NOW)
    assert not decision.halted
    assert decision.halted_by == ["ro"]
    both = halt_matching.match(
        [_halt("ro", mode="ReduceOnly"), _halt("stop")], StrategyScope("ns", {}), NOW
    )
    assert both.halted and both.halted_by == ["ro", "stop"] and both.halting == ("stop",)


def test_only_matching_halts_are_named():
    """haltedBy lists exactly the halts that match, sorted."""
    halts = [_halt("b"), _halt("a"), _halt("c", namespaces=["other"])]
    assert halt_matching.match(halts, StrategyScope("ns", {}), NOW).halted_by == ["a", "b"]


def test_parse_time_reads_kubernetes_timestamps():
    """RFC 3339 with Z, offsets and fractional seconds parse to aware datetimes."""
    assert halt_matching.parse_time("2026-11-27T15:00:00Z") == NOW
    assert halt_matching.parse_time("2026-11-27T10:00:00.5-05:00") == NOW + timedelta(
        milliseconds=500
    )
    assert halt_matching.parse_time(None) is None


def test_a_halt_being_deleted_still_applies_until_it_is_gone():
    """deletionTimestamp set (a finalizer holds it): still in force; fail closed."""
    body = {
        "metadata": {"name": "h", "deletionTimestamp": "2026-11-27T15:00:00Z"},
        "spec": {"reason": "r"},
    }
    rule = halt_matching.rule_from_wire(body)
    assert halt_matching.match([rule], StrategyScope("ns", {}), NOW).halting == ("h",)
    assert not halt_matching.match([], StrategyScope("ns", {}), NOW).halted  # gone: released


def test_unknown_labels_are_selected_by_every_selector_but_namespaces_still_count():
    """Labels the worker could not read: every selector selects; a namespace list still limits."""
    unknown = StrategyScope("team-a", None)
    picky = _halt(strategySelector={"matchLabels": {"tier": "dev"}})
    assert halt_matching.match([picky], unknown, NOW).halted
    assert not halt_matching.match([_halt(namespaces=["team-b"])], unknown, NOW).halted


def test_halted_by_names_every_applying_halt_of_both_modes():
    """halted_by is status.haltedBy: Halt and ReduceOnly together; halting is Halt only."""
    found = halt_matching.match(
        [_halt("stop"), _halt("calm", mode="ReduceOnly")], StrategyScope("ns", {}), NOW
    )
    assert found.halted_by == ["calm", "stop"]
    assert (found.halting, found.reduce_only) == (("stop",), ("calm",))


def test_a_rule_from_a_validated_spec_equals_the_rule_from_its_wire_form():
    """The worker's path (pydantic spec) and the operator's (wire body) build the same rule."""
    wire = {
        "reason": "r",
        "mode": "ReduceOnly",
        "namespaces": ["a", "b"],
        "strategySelector": {
            "matchLabels": {"team": "quant"},
            "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}],
        },
        "expiresAt": "2026-11-27T16:00:00Z",
    }
    from_spec = halt_matching.rule_from_spec("h", TradingHaltSpec.model_validate(wire))
    assert from_spec == halt_matching.rule_from_wire({"metadata": {"name": "h"}, "spec": wire})
    assert from_spec == HaltRule(
        "h",
        mode="ReduceOnly",
        namespaces=frozenset({"a", "b"}),
        selector=Selector((("team", "quant"),), (Requirement("env", "NotIn", frozenset({"dev"})),)),
        expires_at=NOW + timedelta(hours=1),
    )
