"""Order execution: each planned order reaches the broker at most once per leg.

Rule: an order is identified by its deterministic client order id. Before the first
submission the id is looked up (a re-run finds its own orders and sends nothing);
after a retryable failure (timeout, connection error, 429, 5xx) the id is looked up
again before the same order, with the same id, is retried (bounded, tenacity).
Orders of one phase go out concurrently on a bounded pool. Only orders the risk
engine approved are accepted (`risk.ApprovedOrder`, which only `risk.check` makes).
A `gate` runs before every submission (the halt check); a stop event (SIGTERM) ends
submitting at once.

A limit order is settled with bounded re-pegs: after a bounded wait an unfilled order
is canceled, the cancel confirmed (so the unfilled quantity is known and nothing can
fill twice), and the rest is sent again at a fresh price, judged by the risk engine
again, under its own deterministic id (a re-run finds it). After MAX_REPEGS re-pegs
whatever is left is canceled and reported, never left open.
"""

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from alchemiser.errors import (
    AlchemiserError,
    BrokerUnavailable,
    HaltActive,
    OrderRejected,
    RiskRejected,
)
from alchemiser.logs import get_logger
from alchemiser.worker.broker.port import BrokerOrder, Execution, OrderKind, OrderRequest
from alchemiser.worker.planner import PlannedOrder
from alchemiser.worker.risk import ApprovedOrder, Decision

log = get_logger(__name__)

MAX_REPEGS = 2  # re-pegs of one limit order before its remainder is canceled


class LegStatus(StrEnum):
    """What happened to one leg in this process."""

    SUBMITTED = "submitted"  # this process sent it and the broker has it
    EXISTING = "existing"  # the broker already had this id (a re-run or an earlier attempt)
    REJECTED = "rejected"  # the broker or a halt refused it
    STOPPED = "stopped"  # not sent: SIGTERM or a halt arrived first
    FAILED = "failed"  # the broker stayed unavailable; unknown whether it exists


@dataclass(frozen=True)
class Leg:
    """One planned order and what became of it."""

    order: PlannedOrder
    client_order_id: str
    status: LegStatus
    broker_order: BrokerOrder | None = None
    reason: str = ""


@dataclass(frozen=True)
class RepegPlan:
    """How a run re-pegs its limit orders: the bounds, the ids and the next order, judged."""

    wait: float  # seconds each order of a leg gets to fill before it is canceled
    client_order_id: Callable[[PlannedOrder, int], str]  # (leg's order, n) -> n-th re-peg's id
    # (leg's order, unfilled qty, USD the leg filled so far) -> the re-peg, passed or rejected
    next_order: Callable[[PlannedOrder, float, float], Decision]
    attempts: int = MAX_REPEGS


class _Stopped(Exception):
    """Raised inside a retry loop when the run must stop submitting."""


class Executor:
    """Submits orders idempotently, concurrently within a phase, bounded in every way."""

    def __init__(
        self,
        broker: Execution,
        *,
        stop: threading.Event,
        gate: Callable[[ApprovedOrder], None],
        concurrency: int = 8,
        submit_attempts: int = 5,
        max_backoff: float = 2.0,
        poll: float = 0.2,
        logger: Any = None,
    ) -> None:
        self._broker = broker
        self._stop = stop
        self._gate = gate
        self._concurrency = max(1, concurrency)
        self._attempts = submit_attempts
        self._max_backoff = max_backoff
        self._log = logger if logger is not None else log
        self._poll_every = poll
        # Re-pegs are judged and sent one at a time, so the account figures each risk
        # check reads already include the re-pegs before it.
        self._repeg_lock = threading.Lock()

    def submit_all(self, orders: Sequence[tuple[ApprovedOrder, str]]) -> list[Leg]:
        """Submit (approved order, client order id) pairs concurrently; one Leg each, in order."""
        if not orders:
            return []
        if self._concurrency == 1 or len(orders) == 1:
            return [self.submit(order, cid) for order, cid in orders]
        with ThreadPoolExecutor(
            max_workers=min(self._concurrency, len(orders)), thread_name_prefix="submit"
        ) as pool:
            futures = [pool.submit(self.submit, order, cid) for order, cid in orders]
            return [future.result() for future in futures]

    def submit(self, approved: ApprovedOrder, client_order_id: str) -> Leg:
        """Submit an approved order unless the broker already has its id; never raises for a leg."""
        order = approved.order
        bound = self._log.bind(
            client_order_id=client_order_id, symbol=order.symbol, side=order.side
        )
        try:
            if self._stop.is_set():
                return Leg(order, client_order_id, LegStatus.STOPPED, reason="run stopped")
            existing = self._broker.order_by_client_id(client_order_id)
            if existing is not None:
                bound.info("order already existed; not submitted again", status=existing.status)
                return Leg(order, client_order_id, LegStatus.EXISTING, existing)
            placed = self._submit_with_retries(approved, client_order_id)
        except _Stopped:
            return Leg(order, client_order_id, LegStatus.STOPPED, reason="run stopped")
        except (HaltActive, RiskRejected) as error:
            bound.warning("order not submitted: halt", reason=str(error))
            return Leg(order, client_order_id, LegStatus.STOPPED, reason=str(error))
        except OrderRejected as error:
            bound.warning("broker rejected the order", reason=str(error))
            return Leg(order, client_order_id, LegStatus.REJECTED, reason=str(error))
        except BrokerUnavailable as error:
            bound.error("broker stayed unavailable; order state unknown", reason=str(error))
            return Leg(order, client_order_id, LegStatus.FAILED, reason=str(error))
        except AlchemiserError as error:  # e.g. CredentialsError: this leg fails, others report
            bound.error("order failed", reason=f"{type(error).__name__}: {error}")
            return Leg(
                order, client_order_id, LegStatus.FAILED, reason=f"{type(error).__name__}: {error}"
            )
        bound.info("submitted order", amount=order.amount, status=placed.status)
        return Leg(order, client_order_id, LegStatus.SUBMITTED, placed)

    def _submit_with_retries(self, approved: ApprovedOrder, client_order_id: str) -> BrokerOrder:
        order = approved.order
        request = OrderRequest(
            symbol=order.symbol,
            side=order.side,
            client_order_id=client_order_id,
            kind=order.kind,
            qty=order.qty,
            notional=order.notional,
            limit_price=order.limit_price,
        )
        # The first attempt is made directly: most orders need no retry, and tenacity's
        # machinery costs more than a backtest's fill. Only a retryable failure starts the
        # retry loop, whose first attempt re-raises that failure, so waits, bound and the
        # error finally raised are tenacity's, exactly as if it had made every attempt.
        try:
            return self._attempt(approved, request)
        except BrokerUnavailable as error:
            failed: list[BrokerUnavailable] = [error]

        def attempt(approved: ApprovedOrder, request: OrderRequest) -> BrokerOrder:
            if failed:
                raise failed.pop()
            return self._attempt(approved, request)

        retrying = Retrying(
            retry=retry_if_exception_type(BrokerUnavailable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=0.05, max=self._max_backoff),
            reraise=True,
        )
        placed: BrokerOrder = retrying(attempt, approved, request)
        return placed

    def _attempt(self, approved: ApprovedOrder, request: OrderRequest) -> BrokerOrder:
        if self._stop.is_set():
            raise _Stopped
        self._gate(approved)
        try:
            return self._broker.submit(request)
        except BrokerUnavailable as error:
            # The broker may have accepted it and the answer was lost: look before retrying.
            found = self._broker.order_by_client_id(request.client_order_id)
            if found is not None:
                self._log.info(
                    "order was accepted although the response failed",
                    client_order_id=request.client_order_id,
                    error=str(error),
                )
                return found
            self._log.warning(
                "submit failed retryably; retrying with the same id",
                client_order_id=request.client_order_id,
                error=str(error),
            )
            raise
        except OrderRejected:
            # A duplicate-id refusal after a lost response is our own order.
            found = self._broker.order_by_client_id(request.client_order_id)
            if found is not None:
                return found
            raise

    def wait_for_fills(
        self, legs: Sequence[Leg], timeout: float, poll: float = 0.2
    ) -> dict[str, BrokerOrder]:
        """Poll the legs' orders until all are terminal, the timeout passes or the run stops."""
        latest = {leg.client_order_id: leg.broker_order for leg in legs if leg.broker_order}
        pending = [cid for cid, order in latest.items() if order and not order.is_terminal]
        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="poll") as pool:
            while pending and time.monotonic() < deadline and not self._stop.is_set():
                time.sleep(poll)
                for cid, order in zip(pending, pool.map(self._poll, pending), strict=True):
                    if order is not None:
                        latest[cid] = order
                pending = [cid for cid in pending if not latest[cid] or not latest[cid].is_terminal]
        if pending:
            self._log.warning("sells not finished within the wait", pending=len(pending))
        return {cid: order for cid, order in latest.items() if order is not None}

    def _poll(self, client_order_id: str) -> BrokerOrder | None:
        """The order now, or None when the broker could not say (it stays pending)."""
        try:
            return self._broker.order_by_client_id(client_order_id)
        except BrokerUnavailable:
            return None

    # -- limit orders: bounded re-pegs ----------------------------------------------------

    def settle(self, legs: Sequence[Leg], plan: RepegPlan) -> list[list[Leg]]:
        """Drive each sent limit leg to its end: wait, cancel and re-peg (bounded), cancel the rest.

        Returns one chain per leg, in order: the leg with its last known broker order,
        then its re-pegs. Legs that are not working limit orders come back unchanged.
        """
        if not legs:
            return []
        workers = min(self._concurrency, len(legs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="repeg") as pool:
            return list(pool.map(lambda leg: self._settle(leg, plan), legs))

    def _settle(self, leg: Leg, plan: RepegPlan) -> list[Leg]:
        chain = [leg]
        if (
            leg.order.kind is not OrderKind.LIMIT
            or leg.status not in (LegStatus.SUBMITTED, LegStatus.EXISTING)
            or leg.broker_order is None
        ):
            return chain
        filled_value = 0.0
        working: BrokerOrder = leg.broker_order
        for attempt in range(1, plan.attempts + 2):
            current = chain[-1]
            order = self._await(working, plan.wait)
            if self._stop.is_set():  # SIGTERM: the run's stop path cancels what is open
                chain[-1] = replace(current, broker_order=order)
                return chain
            if not order.is_terminal:
                order = self._cancel(order, plan.wait)
            chain[-1] = replace(current, broker_order=order)
            if not order.is_terminal:
                # What is left is unknown: a re-peg now could buy or sell it twice.
                chain[-1] = replace(chain[-1], reason="cancel not confirmed; not re-pegged")
                return chain
            unfilled = unfilled_qty(order)
            filled_value += order.filled_qty * (order.filled_avg_price or 0.0)
            if order.status != "canceled" or unfilled <= 0:
                return chain
            if attempt > plan.attempts:
                note = f"{unfilled:g} shares unfilled after {plan.attempts} re-pegs"
                self._log.warning(
                    "canceled the unfilled remainder after the last re-peg",
                    client_order_id=order.client_order_id,
                    symbol=order.symbol,
                    unfilled=unfilled,
                )
                chain[-1] = replace(chain[-1], reason=note)
                return chain
            sent = self._repeg(leg.order, attempt, unfilled, filled_value, plan)
            chain.append(sent)
            if (
                sent.status not in (LegStatus.SUBMITTED, LegStatus.EXISTING)
                or not sent.broker_order
            ):
                return chain
            working = sent.broker_order
        return chain  # pragma: no cover - the loop returns at attempt attempts + 1

    def _repeg(
        self, order: PlannedOrder, attempt: int, unfilled: float, filled: float, plan: RepegPlan
    ) -> Leg:
        """Send the `attempt`-th re-peg of a leg's unfilled rest, unless it already exists."""
        cid = plan.client_order_id(order, attempt)
        rest = replace(order, qty=unfilled, notional=None)
        bound = self._log.bind(client_order_id=cid, symbol=order.symbol, side=order.side)
        try:
            if self._stop.is_set():
                return Leg(rest, cid, LegStatus.STOPPED, reason="run stopped")
            existing = self._broker.order_by_client_id(cid)
            if existing is not None:  # a re-run of the same run id
                bound.info("re-peg already existed; not submitted again", status=existing.status)
                found = replace(rest, qty=existing.qty, limit_price=existing.limit_price)
                return Leg(found, cid, LegStatus.EXISTING, existing)
            with self._repeg_lock:
                decision = plan.next_order(order, unfilled, filled)
                if decision.approved is None:
                    bound.warning("risk engine rejected a re-peg", reason=decision.reason)
                    reason = f"re-peg {attempt} rejected: {decision.reason}"
                    return Leg(decision.order, cid, LegStatus.REJECTED, reason=reason)
                bound.info(
                    "re-pegged the unfilled rest of a limit order",
                    attempt=attempt,
                    qty=unfilled,
                    limit_price=decision.order.limit_price,
                )
                return self.submit(decision.approved, cid)
        except AlchemiserError as error:  # the rest is canceled: nothing is left unknown
            bound.warning("re-peg not sent", reason=f"{type(error).__name__}: {error}")
            reason = f"re-peg {attempt} not sent: {type(error).__name__}: {error}"
            return Leg(rest, cid, LegStatus.REJECTED, reason=reason)

    def _await(self, order: BrokerOrder, timeout: float) -> BrokerOrder:
        """Poll an order until it is terminal, `timeout` passes or the run stops."""
        deadline = time.monotonic() + timeout
        latest = order
        while not latest.is_terminal:
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.wait(min(self._poll_every, left)):
                break
            latest = self._poll(order.client_order_id) or latest
        return latest

    def _cancel(self, order: BrokerOrder, timeout: float) -> BrokerOrder:
        """Cancel an order and wait (bounded) until the broker confirms it is done."""
        try:
            self._broker.cancel(order.id)
        except OrderRejected as error:  # not cancelable: it finished in the meantime
            self._log.info(
                "order was not cancelable", client_order_id=order.client_order_id, reason=str(error)
            )
        except BrokerUnavailable as error:
            self._log.warning(
                "cancel failed; looking the order up",
                client_order_id=order.client_order_id,
                reason=str(error),
            )
        latest = self._poll(order.client_order_id) or order
        return latest if latest.is_terminal else self._await(latest, timeout)


def unfilled_qty(order: BrokerOrder) -> float:
    """Shares of a quantity order the broker has not filled (0 for notional orders)."""
    if order.qty is None:
        return 0.0
    # In decimal, as the broker counts: float subtraction could round a position-closing
    # rest above the shares actually held.
    rest = Decimal(repr(order.qty)) - Decimal(repr(order.filled_qty))
    return max(float(rest), 0.0)


def cancel_open_orders(broker: Execution, prefix: str, since: datetime, logger: Any) -> None:
    """Cancel every open order whose client order id starts with `prefix` (one run's)."""
    try:
        orders = broker.orders_since(since)
    except AlchemiserError as error:
        logger.error("could not list this run's orders to cancel them", reason=str(error))
        return
    for order in orders:
        if not order.client_order_id.startswith(prefix) or order.is_terminal:
            continue
        try:
            broker.cancel(order.id)
            logger.info("cancelled open order", client_order_id=order.client_order_id)
        except AlchemiserError as error:
            logger.error(
                "could not cancel an open order",
                client_order_id=order.client_order_id,
                reason=str(error),
            )
