"""Order execution: each planned order reaches the broker at most once per leg.

Rule: an order is identified by its deterministic client order id. Before the first
submission the id is looked up (a re-run finds its own orders and sends nothing);
after a retryable failure (timeout, connection error, 429, 5xx) the id is looked up
again before the same order, with the same id, is retried (bounded, tenacity).
Orders of one phase go out concurrently on a bounded pool. A `gate` runs before
every submission (the halt check); a stop event (SIGTERM) ends submitting at once.
"""

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
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
from alchemiser.worker.broker.port import Broker, BrokerOrder, OrderRequest
from alchemiser.worker.planner import PlannedOrder

log = get_logger(__name__)


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


class _Stopped(Exception):
    """Raised inside a retry loop when the run must stop submitting."""


class Executor:
    """Submits orders idempotently, concurrently within a phase, bounded in every way."""

    def __init__(
        self,
        broker: Broker,
        *,
        stop: threading.Event,
        gate: Callable[[PlannedOrder], None],
        concurrency: int = 8,
        submit_attempts: int = 5,
        max_backoff: float = 2.0,
        logger: Any = None,
    ) -> None:
        self._broker = broker
        self._stop = stop
        self._gate = gate
        self._concurrency = max(1, concurrency)
        self._attempts = submit_attempts
        self._max_backoff = max_backoff
        self._log = logger if logger is not None else log

    def submit_all(self, orders: Sequence[tuple[PlannedOrder, str]]) -> list[Leg]:
        """Submit (order, client order id) pairs concurrently; one Leg each, in order."""
        if not orders:
            return []
        if self._concurrency == 1 or len(orders) == 1:
            return [self.submit(order, cid) for order, cid in orders]
        with ThreadPoolExecutor(
            max_workers=min(self._concurrency, len(orders)), thread_name_prefix="submit"
        ) as pool:
            futures = [pool.submit(self.submit, order, cid) for order, cid in orders]
            return [future.result() for future in futures]

    def submit(self, order: PlannedOrder, client_order_id: str) -> Leg:
        """Submit one order unless the broker already has its id; never raises for a leg."""
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
            placed = self._submit_with_retries(order, client_order_id)
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

    def _submit_with_retries(self, order: PlannedOrder, client_order_id: str) -> BrokerOrder:
        request = OrderRequest(
            symbol=order.symbol,
            side=order.side,
            client_order_id=client_order_id,
            kind=order.kind,
            qty=order.qty,
            notional=order.notional,
            limit_price=order.limit_price,
        )
        retrying = Retrying(
            retry=retry_if_exception_type(BrokerUnavailable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=0.05, max=self._max_backoff),
            reraise=True,
        )
        placed: BrokerOrder = retrying(self._attempt, order, request)
        return placed

    def _attempt(self, order: PlannedOrder, request: OrderRequest) -> BrokerOrder:
        if self._stop.is_set():
            raise _Stopped
        self._gate(order)
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


def cancel_open_orders(broker: Broker, prefix: str, since: datetime, logger: Any) -> None:
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
