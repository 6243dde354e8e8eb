"""Circuit breakers: when a strategy must halt itself, and the TradingHalt that says so.

Rule: pure functions of the spec, the figures and the time passed in; no I/O. The
operator (from run results) and the worker (from the broker's own account figures,
before it trades) call the same functions, so both trip on exactly the same figures.
"""

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from alchemiser.api.result import Outcome
from alchemiser.api.runtime import (
    API_VERSION,
    HALT_KIND,
    LABEL_BREAKER,
    LABEL_STRATEGY,
    LABEL_STRATEGY_NAMESPACE,
)
from alchemiser.api.v1alpha1 import Breakers, duration_seconds

DAILY_LOSS: Final = "dailyLoss"
DRAWDOWN: Final = "drawdown"
CONSECUTIVE_FAILED_RUNS: Final = "consecutiveFailedRuns"
REJECTED_ORDERS_PER_RUN: Final = "rejectedOrdersPerRun"
BREAKERS: Final = (DAILY_LOSS, DRAWDOWN, CONSECUTIVE_FAILED_RUNS, REJECTED_ORDERS_PER_RUN)
_KEBAB: Final = {
    DAILY_LOSS: "daily-loss",
    DRAWDOWN: "drawdown",
    CONSECUTIVE_FAILED_RUNS: "failed-runs",
    REJECTED_ORDERS_PER_RUN: "rejected-orders",
}
NEW_YORK: Final = ZoneInfo("America/New_York")
HALT_NAME_MAX: Final = 253
# Outcomes that prove a run worked end to end, ending a streak of failures. Halted,
# MarketClosed and Throttled runs prove nothing either way and leave the streak as it is.
_HEALTHY: Final = frozenset({Outcome.SUCCEEDED, Outcome.NO_TRADES, Outcome.DRY_RUN})


@dataclass(frozen=True)
class Trip:
    """One breaker that tripped, and the figures that tripped it (for the halt's reason)."""

    breaker: str
    reason: str


def session_of(moment: datetime) -> str:
    """The trading day a moment belongs to: its New York date, YYYY-MM-DD."""
    return moment.astimezone(NEW_YORK).date().isoformat()


def strategy_labels(name: str, labels: Mapping[str, str] | None) -> dict[str, str] | None:
    """A strategy's labels as halts see them: its own plus alchemiser.io/strategy=<name>.

    A breaker's halt selects its strategy by that label, so it must be there whatever the
    user labelled; None (labels unknown) stays None, which every selector matches.
    """
    if labels is None:
        return None
    return {**labels, LABEL_STRATEGY: name}


def loss_trips(
    breakers: Breakers | None,
    *,
    equity: float,
    last_equity: float,
    high_water_mark: float | None,
    tripped_today: Collection[str] = (),
) -> list[Trip]:
    """The loss breakers the account figures trip.

    dailyLoss compares equity with the session's starting equity (the broker's
    last_equity) and trips at most once per session: a person who cleared it accepted
    the day's loss. drawdown compares with the high-water mark, which a trip re-bases.
    """
    if breakers is None:
        return []
    checks = [
        (
            DAILY_LOSS,
            breakers.daily_loss_percent,
            None if DAILY_LOSS in tripped_today else last_equity,
            "the session's starting equity",
            "dailyLossPercent",
        ),
        (
            DRAWDOWN,
            breakers.drawdown_percent,
            high_water_mark,
            "its high-water mark",
            "drawdownPercent",
        ),
    ]
    trips = []
    for breaker, limit, reference, against, field in checks:
        trip = _fall(
            breaker, equity, reference=reference, limit=limit, against=against, field=field
        )
        if trip is not None:
            trips.append(trip)
    return trips


def _fall(
    breaker: str,
    equity: float,
    *,
    reference: float | None,
    limit: float | None,
    against: str,
    field: str,
) -> Trip | None:
    """A trip when equity is more than `limit` percent below `reference` (None: off)."""
    if limit is None or reference is None or reference <= 0:
        return None
    fall = (reference - equity) / reference * 100.0
    if fall <= limit:
        return None
    return Trip(
        breaker,
        f"equity {equity:,.2f} USD is {fall:.2f}% below {against} "
        f"{reference:,.2f} USD ({field} {limit:g})",
    )


def run_trips(breakers: Breakers | None, *, failed_streak: int, risk_rejected: int) -> list[Trip]:
    """The breakers a finished run trips: a streak of failures, or many risk rejections."""
    if breakers is None:
        return []
    trips: list[Trip] = []
    limit = breakers.consecutive_failed_runs
    if limit is not None and failed_streak >= limit:
        trips.append(
            Trip(
                CONSECUTIVE_FAILED_RUNS,
                f"{failed_streak} runs in a row ended Failed (consecutiveFailedRuns {limit})",
            )
        )
    limit = breakers.rejected_orders_per_run
    if limit is not None and risk_rejected >= limit:
        trips.append(
            Trip(
                REJECTED_ORDERS_PER_RUN,
                f"the risk engine rejected {risk_rejected} orders in one run "
                f"(rejectedOrdersPerRun {limit})",
            )
        )
    return trips


def failed_streak(previous: int, outcome: Outcome) -> int:
    """Runs in a row that ended Failed, after a run with `outcome`."""
    if outcome is Outcome.FAILED:
        return previous + 1
    return 0 if outcome in _HEALTHY else previous


def high_water_mark(previous: float | None, equity: float | None) -> float | None:
    """The highest equity seen, after a run that reported `equity` (None: not reported)."""
    if equity is None or equity <= 0:
        return previous
    return equity if previous is None else max(previous, equity)


def halt_name(namespace: str, strategy: str, breaker: str) -> str:
    """The deterministic name of a breaker's TradingHalt: breaker.<ns>.<strategy>.<breaker>.

    Namespaces hold no dots and the breaker part is last, so no two strategies share a
    name; names too long for the API are cut and suffixed with a hash of the whole.
    """
    name = f"breaker.{namespace}.{strategy}.{_KEBAB[breaker]}"
    if len(name) <= HALT_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: HALT_NAME_MAX - 11].rstrip('-.')}-{digest}"


def halt_labels(namespace: str, strategy: str, breaker: str) -> dict[str, str]:
    """The labels of a breaker's TradingHalt (TEAM-wide names: strategy, namespace, breaker)."""
    return {
        LABEL_STRATEGY: strategy,
        LABEL_STRATEGY_NAMESPACE: namespace,
        LABEL_BREAKER: breaker,
    }


def expires_at(breakers: Breakers, now: datetime) -> datetime | None:
    """When a halt tripped at `now` expires: now + cooldown, or never."""
    if breakers.cooldown is None:
        return None
    return now + timedelta(seconds=duration_seconds(breakers.cooldown))


def halt_manifest(
    *, namespace: str, strategy: str, trip: Trip, breakers: Breakers, now: datetime
) -> dict[str, Any]:
    """The TradingHalt a trip creates: this strategy alone, the breaker's mode and cooldown."""
    spec: dict[str, Any] = {
        "reason": f"circuit breaker {trip.breaker} tripped for {namespace}/{strategy}: "
        f"{trip.reason}"[:1024],
        "mode": breakers.mode.value,
        "namespaces": [namespace],
        "strategySelector": {"matchLabels": {LABEL_STRATEGY: strategy}},
    }
    expiry = expires_at(breakers, now)
    if expiry is not None:
        spec["expiresAt"] = expiry.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": API_VERSION,
        "kind": HALT_KIND,
        "metadata": {
            "name": halt_name(namespace, strategy, trip.breaker),
            "labels": halt_labels(namespace, strategy, trip.breaker),
        },
        "spec": spec,
    }


def tripped_on(trips: Collection[Mapping[str, Any]], session: str) -> frozenset[str]:
    """The breakers whose last trip (status.breakers.trips) was on `session`."""
    return frozenset(str(t.get("breaker")) for t in trips if t.get("session") == session)
