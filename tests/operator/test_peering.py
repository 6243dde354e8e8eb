"""Which replica is active, read from kopf's peering object the way kopf reads it."""

from datetime import UTC, datetime, timedelta

from alchemiser.operator.peering import Peer, paused

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
ME = Peer("me@host/abc", 100)


def seen(seconds_ago: float, priority: int, lifetime: int = 60) -> dict[str, object]:
    lastseen = (NOW - timedelta(seconds=seconds_ago)).isoformat()
    return {"priority": priority, "lifetime": lifetime, "lastseen": lastseen}


def test_alone_or_without_a_peering_object_is_active() -> None:
    assert not paused(None, ME, NOW)
    assert not paused({}, ME, NOW)
    assert not paused({ME.identity: seen(1, 100)}, ME, NOW)


def test_a_live_peer_with_higher_priority_pauses_us() -> None:
    assert paused({"other": seen(5, 200), ME.identity: seen(1, 100)}, ME, NOW)


def test_equal_priority_pauses_both_as_kopf_does() -> None:
    assert paused({"other": seen(5, 100)}, ME, NOW)


def test_a_lower_priority_peer_does_not_pause_us() -> None:
    assert not paused({"other": seen(5, 50)}, ME, NOW)


def test_a_dead_peer_is_ignored() -> None:
    assert not paused({"other": seen(61, 200)}, ME, NOW)
    assert not paused({"other": seen(11, 200, lifetime=10)}, ME, NOW)


def test_a_peer_without_lastseen_is_treated_as_dead() -> None:
    assert not paused({"other": {"priority": 200}}, ME, NOW)
