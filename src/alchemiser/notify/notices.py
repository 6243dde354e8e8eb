"""The notices the operator publishes, built from plain facts.

Rule: pure. Each builder takes the facts and a time and returns a frozen Notice whose
`key` (the idempotency key) depends only on what identifies the occurrence, never on
the time it is published: publishing the same occurrence twice (a kopf retry, an
operator restart) yields the same key, so receivers and the notifier drop the copy.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

LABEL_BREAKER: Final = "alchemiser.io/breaker"
MESSAGE_LIMIT: Final = 1000


class Kind(StrEnum):
    """What happened (also the CloudEvents type suffix and the config's `events` items)."""

    RUN_FINISHED = "run.finished"
    HALT_CREATED = "halt.created"
    HALT_CLEARED = "halt.cleared"
    BREAKER_TRIPPED = "breaker.tripped"
    STRATEGY_NOT_READY = "strategy.notReady"


@dataclass(frozen=True)
class Notice:
    """One thing worth telling: kind, idempotency key, subject, a headline and the facts."""

    kind: Kind
    key: str
    subject: str  # "NAMESPACE/STRATEGY" or "tradinghalt/NAME"
    namespace: str | None  # None: about a cluster-scoped object (a TradingHalt)
    title: str
    time: datetime
    facts: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe values only
    severity: str = "info"  # info | warning | critical


def idempotency_key(kind: Kind, *parts: object) -> str:
    """A stable key from the parts that identify one occurrence (hex, 32 characters)."""
    digest = hashlib.sha256(kind.value.encode())
    for part in parts:
        digest.update(b"\x00" + str(part).encode())
    return digest.hexdigest()[:32]


def _short(text: object) -> str:
    return str(text or "")[:MESSAGE_LIMIT]


def run_finished(
    namespace: str, strategy: str, last_run: Mapping[str, Any], *, now: datetime
) -> Notice:
    """A run's result was recorded (status.lastRun's fields)."""
    outcome = str(last_run.get("outcome", ""))
    facts = {
        "namespace": namespace,
        "strategy": strategy,
        "job": str(last_run.get("job", "")),
        "outcome": outcome,
        "ordersSubmitted": int(last_run.get("ordersSubmitted") or 0),
        "ordersRejected": int(last_run.get("ordersRejected") or 0),
        "notional": round(float(last_run.get("notional") or 0.0), 2),
        "message": _short(last_run.get("message")),
        "startedAt": last_run.get("startedAt"),
        "finishedAt": last_run.get("finishedAt"),
    }
    title = (
        f"{namespace}/{strategy} run {facts['job']} finished: {outcome}; "
        f"{facts['ordersSubmitted']} orders submitted, {facts['ordersRejected']} rejected, "
        f"${facts['notional']:,.2f} notional"
    )
    severity = (
        "critical" if outcome == "Failed" else "warning" if facts["ordersRejected"] else "info"
    )
    return Notice(
        Kind.RUN_FINISHED,
        idempotency_key(Kind.RUN_FINISHED, namespace, strategy, facts["job"]),
        f"{namespace}/{strategy}",
        namespace,
        title,
        now,
        facts,
        severity,
    )


def _halt_facts(halt: Mapping[str, Any]) -> dict[str, Any]:
    metadata = halt.get("metadata") or {}
    spec = halt.get("spec") or {}
    labels = metadata.get("labels") or {}
    breaker = labels.get(LABEL_BREAKER)
    return {
        "halt": str(metadata.get("name", "")),
        "reason": _short(spec.get("reason")),
        "mode": str(spec.get("mode") or "Halt"),
        "namespaces": list(spec.get("namespaces") or []),
        "expiresAt": spec.get("expiresAt"),
        "by": f"breaker {breaker}" if breaker else "a person",
        "breaker": breaker,
    }


def halt_created(halt: Mapping[str, Any], *, affected: int, now: datetime) -> Notice:
    """A TradingHalt was created (by a person or a breaker) and propagated."""
    facts = {**_halt_facts(halt), "affectedStrategies": affected}
    uid = (halt.get("metadata") or {}).get("uid", "")
    title = (
        f"TradingHalt {facts['halt']} ({facts['mode']}) created by {facts['by']}: "
        f"{facts['reason']}; {affected} strategies halted"
    )
    return Notice(
        Kind.HALT_CREATED,
        idempotency_key(Kind.HALT_CREATED, facts["halt"], uid),
        f"tradinghalt/{facts['halt']}",
        None,
        title,
        now,
        facts,
        "warning",
    )


def halt_cleared(halt: Mapping[str, Any], *, expired: bool, now: datetime) -> Notice:
    """A TradingHalt was deleted (by a person: breakers never clear) or has expired."""
    facts = {**_halt_facts(halt), "cleared": "expired" if expired else "deleted"}
    uid = (halt.get("metadata") or {}).get("uid", "")
    how = "expired" if expired else "was deleted"
    title = f"TradingHalt {facts['halt']} {how}; matching strategies resume scheduling"
    return Notice(
        Kind.HALT_CLEARED,
        idempotency_key(Kind.HALT_CLEARED, facts["halt"], uid),
        f"tradinghalt/{facts['halt']}",
        None,
        title,
        now,
        facts,
    )


def breaker_tripped(
    *,
    namespace: str,
    strategy: str,
    breaker: str,
    halt: str,
    reason: str,
    mode: str,
    expires_at: str | None,
    now: datetime,
) -> Notice:
    """A circuit breaker tripped and created (or renewed) its TradingHalt."""
    facts = {
        "namespace": namespace,
        "strategy": strategy,
        "breaker": breaker,
        "halt": halt,
        "reason": _short(reason),
        "mode": mode,
        "expiresAt": expires_at,
    }
    title = f"{namespace}/{strategy}: breaker {breaker} tripped ({facts['reason']}); halt {halt}"
    return Notice(
        Kind.BREAKER_TRIPPED,
        idempotency_key(
            Kind.BREAKER_TRIPPED, namespace, strategy, breaker, halt, reason, expires_at
        ),
        f"{namespace}/{strategy}",
        namespace,
        title,
        now,
        facts,
        "critical",
    )


def strategy_not_ready(
    namespace: str,
    strategy: str,
    *,
    reason: str,
    message: str,
    generation: int | None,
    since: str | None,
    now: datetime,
) -> Notice:
    """A strategy became not Ready (or changed why); `since`: the condition's transition time."""
    facts = {
        "namespace": namespace,
        "strategy": strategy,
        "reason": reason,
        "message": _short(message),
        "generation": generation,
        "since": since,
    }
    return Notice(
        Kind.STRATEGY_NOT_READY,
        idempotency_key(Kind.STRATEGY_NOT_READY, namespace, strategy, reason, generation, since),
        f"{namespace}/{strategy}",
        namespace,
        f"{namespace}/{strategy} is not Ready ({reason}): {facts['message']}",
        now,
        facts,
        "warning",
    )
