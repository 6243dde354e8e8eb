"""How a run ended: the one place its outcome and message are decided.

Rule: pure, a function of the run's record, the error that ended it (if any) and
whether it was stopped. Precedence, strongest last: what the record shows (or the
error that ended the run), then a stop (SIGTERM, or a halt found mid-run) makes it
Halted, then a halt state that became unreadable mid-run makes it Failed.
"""

from alchemiser.api.result import Outcome
from alchemiser.errors import AlchemiserError, HaltActive, HaltStateUnknown, MarketClosed
from alchemiser.worker.execution import MAX_REPEGS, LegStatus
from alchemiser.worker.report import RunRecord


def decide(
    record: RunRecord, error: AlchemiserError | None, *, stopped: bool
) -> tuple[Outcome, str]:
    """The run's outcome and message."""
    outcome, message = _finished(record) if error is None else _ended_by(error)
    if stopped:
        outcome, message = Outcome.HALTED, message or "stopped by SIGTERM"
    if record.halt_unknown:
        return Outcome.FAILED, _halt_unknown(record.halt_unknown)
    return outcome, message


def _halt_unknown(reason: object) -> str:
    return f"halt state unknown, treated as halted: {reason}"


def _ended_by(error: AlchemiserError) -> tuple[Outcome, str]:
    if isinstance(error, HaltActive):
        return Outcome.HALTED, str(error)
    if isinstance(error, MarketClosed):
        return Outcome.MARKET_CLOSED, str(error)
    if isinstance(error, HaltStateUnknown):
        return Outcome.FAILED, _halt_unknown(error)
    return Outcome.FAILED, f"{type(error).__name__}: {error}"


def _finished(record: RunRecord) -> tuple[Outcome, str]:
    if record.throttled:
        return Outcome.THROTTLED, record.throttled
    if record.dry_run:
        return Outcome.DRY_RUN, f"{len(record.dry_run_orders)} orders would be placed"
    legs = record.legs
    failed = [leg for leg in legs if leg.status is LegStatus.FAILED]
    if failed:
        return Outcome.FAILED, f"{len(failed)} orders failed: {failed[0].reason}"
    new = sum(1 for leg in legs if leg.status is LegStatus.SUBMITTED)
    existing = sum(1 for leg in legs if leg.status is LegStatus.EXISTING)
    if new:
        message = f"{new} orders submitted"
        if record.remainders:
            message += (
                f"; {record.remainders} limit orders ended with their unfilled rest "
                f"canceled after at most {MAX_REPEGS} re-pegs"
            )
        return Outcome.SUCCEEDED, message
    if existing:
        return Outcome.NO_TRADES, f"all {existing} orders of this run already existed"
    if record.planned:
        return Outcome.NO_TRADES, f"all {record.planned} planned orders were rejected"
    return Outcome.NO_TRADES, "the portfolio is within the rebalance threshold"
