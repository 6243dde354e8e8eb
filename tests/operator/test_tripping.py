"""Putting a trip into effect: one halt per breaker, renewed once expired, never duplicated."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from alchemiser.api import Breakers
from alchemiser.api.breakers import Trip
from alchemiser.operator import tripping

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
STRATEGY = {
    "apiVersion": "alchemiser.io/v1alpha1",
    "kind": "TradingStrategy",
    "metadata": {"namespace": "prod", "name": "s", "uid": "u"},
}


class FakeKube:
    """The halt calls tripping makes, against an in-memory store."""

    def __init__(self, halts: dict[str, dict[str, Any]] | None = None) -> None:
        self.halts = halts or {}
        self.patched: list[str] = []

    async def create_halt_if_absent(self, body: dict[str, Any]) -> bool:
        name = body["metadata"]["name"]
        if name in self.halts:
            return False
        self.halts[name] = body
        return True

    async def get_halt(self, name: str) -> dict[str, Any] | None:
        return self.halts.get(name)

    async def patch_halt_spec(self, name: str, spec: dict[str, Any]) -> None:
        self.halts[name] = {**self.halts[name], "spec": spec}
        self.patched.append(name)


def _trip(kube: FakeKube, trips: list[Trip], config: Breakers | None = None):
    events: list[tuple[str, str]] = []
    notices: list[tripping.TripNotice] = []
    created = asyncio.run(
        tripping.trip(
            kube,  # type: ignore[arg-type]
            lambda ref, kind, reason, message: events.append((reason, message)),
            notices.append,
            strategy=STRATEGY,
            breakers=config or Breakers(daily_loss_percent=1.0),
            trips=trips,
            now=NOW,
        )
    )
    return created, events, notices


def test_a_trip_creates_its_halt_posts_an_event_and_notifies() -> None:
    """One trip: one halt of the deterministic name, a BreakerTripped Event, one notice."""
    kube = FakeKube()
    created, events, notices = _trip(kube, [Trip("dailyLoss", "down 6%")])
    assert created == [(Trip("dailyLoss", "down 6%"), "breaker.prod.s.daily-loss")]
    assert list(kube.halts) == ["breaker.prod.s.daily-loss"]
    assert events[0][0] == "BreakerTripped" and "down 6%" in events[0][1]
    assert notices[0].halt == "breaker.prod.s.daily-loss" and notices[0].mode == "ReduceOnly"


def test_a_halt_in_force_is_left_alone_and_not_counted_again() -> None:
    """The same breaker tripping while its halt exists creates nothing and notifies no one."""
    kube = FakeKube()
    _trip(kube, [Trip("dailyLoss", "down 6%")])
    created, events, notices = _trip(kube, [Trip("dailyLoss", "down 7%")])
    assert created == [] and events == [] and notices == [] and kube.patched == []


def test_an_expired_halt_is_renewed_by_the_next_trip() -> None:
    """A cooldown that ran out: the next trip patches the halt with a fresh reason and expiry."""
    past = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = "breaker.prod.s.drawdown"
    kube = FakeKube(
        {name: {"metadata": {"name": name}, "spec": {"reason": "old", "expiresAt": past}}}
    )
    created, _, _ = _trip(
        kube, [Trip("drawdown", "new")], Breakers(drawdown_percent=5, cooldown="2h")
    )
    assert created and kube.patched == [name]
    assert kube.halts[name]["spec"]["expiresAt"] == "2026-12-01T22:00:00Z"
    assert "new" in kube.halts[name]["spec"]["reason"]


def test_the_halt_selector_names_the_strategy_and_requires_the_breaker_label() -> None:
    """Only breaker halts of that strategy are deleted with it."""
    assert tripping.halt_selector("prod", "s") == (
        "alchemiser.io/strategy-namespace=prod,alchemiser.io/strategy=s,alchemiser.io/breaker"
    )
