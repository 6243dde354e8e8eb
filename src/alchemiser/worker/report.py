"""The run's record and its result: what happened, turned into the RunResult JSON.

Rule: no I/O. The pipeline appends to a RunRecord as it goes; however the run ends,
`build_result` turns the record into the result the operator reads.
"""

from dataclasses import dataclass, field
from datetime import datetime

from alchemiser.api.result import (
    AccountReport,
    BreakerTrip,
    OrderReport,
    Outcome,
    RejectionReport,
    RunResult,
    SymphonyReport,
)
from alchemiser.worker import valuation
from alchemiser.worker.execution import Leg, LegStatus
from alchemiser.worker.planner import PlannedOrder


@dataclass
class RunRecord:
    """What the run has done so far; the result is built from it however the run ends."""

    legs: list[Leg] = field(default_factory=list)
    rejections: list[RejectionReport] = field(default_factory=list)
    planned: int = 0
    dry_run_orders: list[OrderReport] = field(default_factory=list)
    halted_by: str = ""
    halt_unknown: str = ""  # set when the halt state became unreadable mid-run
    since: datetime | None = None  # start of the session's day: this run's orders are after it
    symphonies: list[SymphonyReport] = field(default_factory=list)  # the texts this run used
    dry_run: bool = False  # the run decided and reported its orders, sending none
    remainders: int = 0  # limit legs that ended with their rest canceled unfilled
    throttled: str = ""  # why a daily limit stopped the run before any order
    account: AccountReport | None = None  # the broker account as the run first read it
    breaker_trips: list[BreakerTrip] = field(default_factory=list)  # loss breakers it saw trip


def order_report(order: PlannedOrder, cid: str, status: str) -> OrderReport:
    """One order as the result lists it."""
    return OrderReport(
        symbol=order.symbol,
        side=order.side.value,
        amount=order.amount,
        client_order_id=cid,
        status=status,
    )


def build_result(
    *,
    run_id: str,
    state: RunRecord,
    outcome: Outcome,
    message: str,
    started: datetime,
    finished: datetime,
) -> RunResult:
    """The result of the run recorded in `state`."""
    reports = list(state.dry_run_orders)
    rejections = list(state.rejections)
    risk_rejected = len(rejections)  # the risk engine's own, before the broker's and the stopped
    submitted = 0
    notional = 0.0
    for leg in state.legs:
        if leg.status in (LegStatus.REJECTED, LegStatus.STOPPED):
            reason = leg.reason
            if leg.status is LegStatus.STOPPED and state.halted_by and "TradingHalt" not in reason:
                reason = f"not sent: TradingHalt {state.halted_by} is active (Halt)"
            rejections.append(RejectionReport(symbol=leg.order.symbol, reason=reason))
            continue
        status = leg.broker_order.status if leg.broker_order else leg.status.value
        if leg.status is LegStatus.EXISTING:
            status = f"{status} (existing)"
        if leg.reason:  # e.g. a limit order's rest canceled after its last re-peg
            status = f"{status}: {leg.reason}"
        if leg.status is LegStatus.SUBMITTED:
            submitted += 1
            # A re-pegged limit order's canceled rest is counted by the re-peg that replaced it.
            notional += valuation.traded_value(leg.order.estimated_notional, leg.broker_order)
        reports.append(order_report(leg.order, leg.client_order_id, status))
    return RunResult(
        outcome=outcome,
        run_id=run_id,
        orders_submitted=submitted,
        orders_rejected=len(rejections),
        notional=round(notional, 2),
        orders=reports,
        rejections=rejections,
        risk_rejected=risk_rejected,
        account=state.account,
        breaker_trips=list(state.breaker_trips),
        message=message,
        started_at=started,
        finished_at=finished,
        symphonies=list(state.symphonies),
    )
