"""The Events the operator posts: shape, scope and size (no cluster)."""

from datetime import UTC, datetime

from alchemiser.operator.events import MESSAGE_LIMIT, event_body

NOW = datetime(2026, 11, 27, 15, 0, 1, tzinfo=UTC)
STRATEGY = {
    "apiVersion": "alchemiser.io/v1alpha1",
    "kind": "TradingStrategy",
    "metadata": {"namespace": "team-a", "name": "momentum", "uid": "u-1"},
}
HALT = {
    "apiVersion": "alchemiser.io/v1alpha1",
    "kind": "TradingHalt",
    "metadata": {"name": "market-wide", "uid": "u-2"},
}


def test_an_event_about_a_strategy_lives_in_its_namespace_and_names_it() -> None:
    body = event_body(STRATEGY, "Warning", "Halted", "halted by x", now=NOW, instance="op-0")
    assert body["metadata"] == {"generateName": "momentum.", "namespace": "team-a"}
    assert body["involvedObject"] == {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingStrategy",
        "name": "momentum",
        "namespace": "team-a",
        "uid": "u-1",
    }
    assert (body["type"], body["reason"], body["message"]) == ("Warning", "Halted", "halted by x")
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2026-11-27T15:00:01Z"
    assert body["source"] == {"component": "alchemiser-operator"}
    assert body["reportingInstance"] == "op-0"


def test_an_event_about_a_cluster_scoped_halt_goes_to_default() -> None:
    body = event_body(HALT, "Normal", "Propagated", "ok", now=NOW, instance="op-0")
    assert body["metadata"]["namespace"] == "default"
    assert "namespace" not in body["involvedObject"]


def test_a_long_message_is_cut_to_the_api_limit() -> None:
    body = event_body(STRATEGY, "Normal", "RunFinished", "x" * 5000, now=NOW, instance="op-0")
    assert len(body["message"]) == MESSAGE_LIMIT
