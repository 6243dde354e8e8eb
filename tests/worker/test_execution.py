"""Execution against a scripted broker: exactly which calls an order makes, and when."""

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from alchemiser.errors import BrokerUnavailable, HaltActive, OrderRejected
from alchemiser.worker.broker.port import BrokerOrder, OrderRequest, Side
from alchemiser.worker.execution import Executor, LegStatus
from alchemiser.worker.planner import PlannedOrder
from alchemiser.worker.risk import ApprovedOrder, Limits, RiskContext, check


def approve(order: PlannedOrder) -> ApprovedOrder:
    """The order approved by the risk engine in a roomy account (the executor takes no other)."""
    context = RiskContext(
        limits=Limits(),
        equity=100_000.0,
        holdings={},
        position_values={},
        prices={order.symbol: order.reference_price},
        buying_power=50_000.0,
        strategy_symbols=frozenset({order.symbol}),
    )
    (decision,) = check([order], context)
    assert decision.approved is not None, decision.reason
    return decision.approved


ORDER = approve(PlannedOrder("SPY", Side.BUY, 500.0, notional=1_000.0))


def broker_order(cid: str, status: str = "accepted") -> BrokerOrder:
    """A broker's view of an order with this client order id."""
    return BrokerOrder(
        id=f"id-{cid}",
        client_order_id=cid,
        symbol="SPY",
        side=Side.BUY,
        status=status,
        qty=None,
        notional=1_000.0,
        filled_qty=0.0,
        filled_avg_price=None,
        limit_price=None,
        submitted_at=datetime(2026, 11, 27, 15, tzinfo=UTC),
    )


class Scripted:
    """Submits follow a script: 'ok', 'lost' (accepted, answer lost), 'busy', 'no'."""

    def __init__(self, script: Sequence[str]) -> None:
        self.script = list(script)
        self.calls: list[str] = []
        self.book: dict[str, BrokerOrder] = {}

    def order_by_client_id(self, cid: str) -> BrokerOrder | None:
        self.calls.append("lookup")
        return self.book.get(cid)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        self.calls.append("submit")
        step = self.script.pop(0)
        if step == "busy":
            raise BrokerUnavailable("HTTP 503")
        if step == "no":
            raise OrderRejected("HTTP 422 insufficient buying power")
        order = broker_order(request.client_order_id)
        self.book[request.client_order_id] = order
        if step == "lost":
            raise BrokerUnavailable("connection reset after the request was sent")
        return order

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected broker call {name}")


def executor(broker: Scripted, **options: Any) -> Executor:
    """An executor with no backoff and an open gate unless given one."""
    return Executor(
        broker,  # type: ignore[arg-type]
        stop=options.pop("stop", threading.Event()),
        gate=options.pop("gate", lambda order: None),
        max_backoff=0.0,
        **options,
    )


def test_a_lost_response_is_found_by_looking_up_not_by_resubmitting() -> None:
    """Accepted-but-lost: look up, submit, look up again, found; exactly one submit."""
    broker = Scripted(["lost"])
    leg = executor(broker).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.SUBMITTED
    assert broker.calls == ["lookup", "submit", "lookup"]


def test_a_retryable_refusal_is_retried_with_the_same_id_after_a_look_up() -> None:
    """503 then success: the retry carries the same id and follows a look-up."""
    broker = Scripted(["busy", "ok"])
    leg = executor(broker).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.SUBMITTED and list(broker.book) == ["cid-1"]
    assert broker.calls == ["lookup", "submit", "lookup", "submit"]


def test_retries_are_bounded_and_end_as_failed() -> None:
    """A broker that stays unavailable ends the leg as failed after the set attempts."""
    broker = Scripted(["busy"] * 3)
    leg = executor(broker, submit_attempts=3).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.FAILED
    assert broker.calls.count("submit") == 3


def test_one_allowed_attempt_is_one_submit_even_when_it_is_retryable() -> None:
    """submit_attempts=1: a 503 is not retried (the first attempt, made before the retry loop,
    counts towards the bound); the leg fails naming the broker's error."""
    broker = Scripted(["busy"])
    leg = executor(broker, submit_attempts=1).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.FAILED and "503" in leg.reason
    assert broker.calls == ["lookup", "submit", "lookup"]


def test_retries_wait_as_tenacity_waits_from_the_first_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two 503s then success: tenacity sleeps after the first and after the second failure,
    each within its exponential bound (0.05 s, then 0.1 s), as if it had made every attempt."""
    slept: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", slept.append)
    broker = Scripted(["busy", "busy", "ok"])
    waiting = Executor(broker, stop=threading.Event(), gate=lambda order: None)  # type: ignore[arg-type]
    leg = waiting.submit(ORDER, "cid-1")
    assert leg.status is LegStatus.SUBMITTED and broker.calls.count("submit") == 3
    assert len(slept) == 2 and 0.0 <= slept[0] <= 0.05 and 0.0 <= slept[1] <= 0.1


def test_an_existing_id_is_never_submitted_again() -> None:
    """When the id is already at the broker nothing is sent."""
    broker = Scripted([])
    broker.book["cid-1"] = broker_order("cid-1", "filled")
    leg = executor(broker).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.EXISTING and broker.calls == ["lookup"]


def test_a_permanent_rejection_is_reported_not_retried() -> None:
    """A 4xx refusal is one submit and a REJECTED leg with the broker's reason."""
    broker = Scripted(["no"])
    leg = executor(broker).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.REJECTED and "buying power" in leg.reason
    assert broker.calls.count("submit") == 1


@pytest.mark.parametrize("how", ["stop", "gate"])
def test_a_stop_or_a_closed_gate_sends_nothing(how: str) -> None:
    """With the stop set, or the halt gate refusing, no submit happens."""
    broker = Scripted(["ok"])
    stop = threading.Event()

    def refuse(order: ApprovedOrder) -> None:
        raise HaltActive("TradingHalt x is active (Halt)")

    if how == "stop":
        stop.set()
        leg = executor(broker, stop=stop).submit(ORDER, "cid-1")
    else:
        leg = executor(broker, gate=refuse).submit(ORDER, "cid-1")
    assert leg.status is LegStatus.STOPPED
    assert "submit" not in broker.calls
