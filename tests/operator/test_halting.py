"""Halt matching: namespaces, label selectors, modes and expiry, all without a cluster."""

from datetime import UTC, datetime, timedelta

from alchemiser.operator import halting
from alchemiser.operator.halting import HaltView, Requirement, Selector

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def _halt(name="h", **spec):
    body = {
        "metadata": {"name": name, "creationTimestamp": "2026-11-27T14:59:59Z"},
        "spec": {"reason": "r", **spec},
    }
    return halting.halt_from_body(body)


def test_empty_halt_matches_every_strategy():
    """No namespaces and an empty selector halt everything."""
    decision = halting.decide([_halt()], "any", {}, NOW)
    assert decision.halted and decision.halted_by == ["h"]


def test_namespace_limits_the_halt():
    """A halt listing namespaces leaves strategies elsewhere alone."""
    halt = _halt(namespaces=["prod"])
    assert halting.decide([halt], "prod", {}, NOW).halted
    assert not halting.decide([halt], "dev", {}, NOW).halted


def test_match_labels_select_strategies():
    """matchLabels must all hold."""
    halt = _halt(strategySelector={"matchLabels": {"team": "quant", "tier": "1"}})
    assert halting.decide([halt], "ns", {"team": "quant", "tier": "1", "x": "y"}, NOW).halted
    assert not halting.decide([halt], "ns", {"team": "quant"}, NOW).halted


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
    assert not Requirement("team", "Bogus", frozenset()).matches(labels)


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
    assert halting.decide([halt], "ns", {"team": "quant", "env": "stage"}, NOW).halted
    assert not halting.decide([halt], "ns", {"team": "quant", "env": "dev"}, NOW).halted


def test_expired_halts_no_longer_apply():
    """A halt whose expiresAt has passed stops applying; before it, it applies."""
    halt = _halt(expiresAt="2026-11-27T15:00:00Z")
    assert halting.decide([halt], "ns", {}, NOW - timedelta(seconds=1)).halted
    assert not halting.decide([halt], "ns", {}, NOW).halted
    assert halt.expires_at == NOW


def test_reduce_only_halts_are_listed_but_do_not_stop_scheduling():
    """ReduceOnly shows in haltedBy but does not make the strategy halted."""
    decision = halting.decide([_halt("ro", mode="ReduceOnly")], "ns", {}, NOW)
    assert not decision.halted
    assert decision.halted_by == ["ro"]
    both = halting.decide([_halt("ro", mode="ReduceOnly"), _halt("stop")], "ns", {}, NOW)
    assert both.halted and both.halted_by == ["ro", "stop"] and both.halting == ("stop",)


def test_only_matching_halts_are_named():
    """haltedBy lists exactly the halts that match, sorted."""
    halts = [_halt("b"), _halt("a"), _halt("c", namespaces=["other"])]
    assert halting.decide(halts, "ns", {}, NOW).halted_by == ["a", "b"]


def test_next_expiry_is_the_earliest_future_one():
    """The next expiry ignores halts without expiry and ones already expired."""
    halts = [
        HaltView("a", expires_at=NOW + timedelta(minutes=5)),
        HaltView("b", expires_at=NOW + timedelta(minutes=1)),
        HaltView("c", expires_at=NOW - timedelta(minutes=1)),
        HaltView("d"),
    ]
    assert halting.next_expiry(halts, NOW) == NOW + timedelta(minutes=1)
    assert halting.next_expiry([HaltView("d")], NOW) is None


def test_parse_time_reads_kubernetes_timestamps():
    """RFC 3339 with Z, offsets and fractional seconds parse to aware datetimes."""
    assert halting.parse_time("2026-11-27T15:00:00Z") == NOW
    assert halting.parse_time("2026-11-27T10:00:00.5-05:00") == NOW + timedelta(milliseconds=500)
    assert halting.parse_time(None) is None


def test_a_halt_being_deleted_no_longer_applies():
    """A halt with a deletionTimestamp (waiting for finalizers) is already released."""
    body = {
        "metadata": {"name": "h", "deletionTimestamp": "2026-11-27T15:00:00Z"},
        "spec": {"reason": "r"},
    }
    assert not halting.decide([halting.halt_from_body(body)], "ns", {}, NOW).halted
