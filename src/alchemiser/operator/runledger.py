"""What a finished run changes in a strategy's breaker memory, and the ledger runs read.

Rule: pure. From the status as it is (wire form), the run's result and the spec, it
computes the new `status.breakers`, `status.runsToday` and `status.account`, and the
breakers the run tripped; `with_trips` records the trips whose halts were created
(re-basing the high-water mark after a drawdown trip and the failure streak after a
streak trip), and `ledger_of` turns a status into the ledger the next run reads.
A run already recorded (status.lastRun names its Job) changes nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alchemiser.api import TradingStrategySpec, breakers
from alchemiser.api.breakers import Trip
from alchemiser.api.ledger import Ledger, runs_after
from alchemiser.api.result import Outcome, RunResult
from alchemiser.operator.status import timestamp


@dataclass(frozen=True)
class RunEffects:
    """The status after the run, and the breakers it tripped (their halts may exist already)."""

    status: dict[str, Any]
    trips: tuple[Trip, ...]


def _breakers(status: Mapping[str, Any]) -> dict[str, Any]:
    return dict(status.get("breakers") or {})


def after_run(
    current: Mapping[str, Any],
    *,
    job: str,
    outcome: str,
    result: RunResult | None,
    spec: TradingStrategySpec | None,
    finished: datetime,
    previous_job: str | None,
) -> RunEffects:
    """The breaker memory after one finished run, and the breakers it trips."""
    status = dict(current)
    if previous_job == job:
        return RunEffects(status, ())
    session = breakers.session_of(finished)
    today = dict(status.get("runsToday") or {})
    status["runsToday"] = {
        "session": session,
        "runs": runs_after(session, today.get("session"), int(today.get("runs") or 0)),
    }
    memory = _breakers(status)
    streak = breakers.failed_streak(int(memory.get("consecutiveFailedRuns") or 0), Outcome(outcome))
    memory["consecutiveFailedRuns"] = streak
    account = result.account if result is not None else None
    mark = breakers.high_water_mark(
        memory.get("highWaterMark"), account.equity if account is not None else None
    )
    if mark is not None:
        memory["highWaterMark"] = round(mark, 2)
    memory.setdefault("trips", [])
    status["breakers"] = memory
    if account is not None and spec is not None:
        status["account"] = {
            "number": account.number,
            "mode": spec.mode.value,
            "endpoint": spec.broker.endpoint or "",
        }
    config = spec.breakers if spec is not None else None
    trips: list[Trip] = []
    if account is not None:
        trips += breakers.loss_trips(
            config,
            equity=account.equity,
            last_equity=account.last_equity,
            high_water_mark=mark,
            tripped_today=breakers.tripped_on(memory["trips"], session),
        )
    risk_rejected = result.risk_rejected if result is not None else 0
    trips += breakers.run_trips(config, failed_streak=streak, risk_rejected=risk_rejected)
    return RunEffects(status, tuple(trips))


def with_trips(
    current: Mapping[str, Any],
    created: Iterable[tuple[Trip, str]],
    *,
    equity: float | None,
    now: datetime,
) -> dict[str, Any]:
    """Record trips whose halts were created (breaker, halt name); re-base what they reset."""
    status = dict(current)
    memory = _breakers(status)
    records = {str(t.get("breaker")): dict(t) for t in memory.get("trips") or ()}
    for trip, halt in created:
        records[trip.breaker] = {
            "breaker": trip.breaker,
            "at": timestamp(now),
            "session": breakers.session_of(now),
            "halt": halt,
            "reason": trip.reason[:1024],
        }
        if trip.breaker == breakers.DRAWDOWN and equity is not None:
            memory["highWaterMark"] = round(equity, 2)  # the drawdown is accepted from here
        if trip.breaker == breakers.CONSECUTIVE_FAILED_RUNS:
            memory["consecutiveFailedRuns"] = 0
    memory["trips"] = [records[name] for name in sorted(records)]
    status["breakers"] = memory
    return status


def ledger_of(status: Mapping[str, Any], now: datetime) -> Ledger:
    """The ledger the next run reads: today's run count, the mark, today's trips."""
    session = breakers.session_of(now)
    today = status.get("runsToday") or {}
    memory = status.get("breakers") or {}
    return Ledger(
        session=session,
        runs_today=int(today.get("runs") or 0) if today.get("session") == session else 0,
        high_water_mark=memory.get("highWaterMark"),
        tripped_today=sorted(breakers.tripped_on(memory.get("trips") or (), session)),
    )
