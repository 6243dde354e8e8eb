"""Whole runs of the worker pipeline against the embedded paper exchange (real HTTP, alpaca-py)."""

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from run_support import (
    OPEN_NOW,
    UID,
    AfterSubmit,
    Halts,
    Keys,
    broker,
    config,
    deps,
    kubelet_rotate,
    kubelet_secret_dir,
    orders_by_client_id,
    spec,
)

from alchemiser.api import HaltMode, TradingHaltSpec
from alchemiser.api.result import Outcome
from alchemiser.sim import embedded
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.worker import ids, pipeline
from alchemiser.worker.credentials import CredentialsDir
from alchemiser.worker.halts import Halt

PREFIX_B = ids.run_prefix(UID, "run-b")
WEIGHTS = {"SPY": 0.4, "QQQ": 0.3, "TLT": 0.3}


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """A fresh paper exchange at 10:00 New York on a trading day, $100k cash."""
    with embedded.start(now=OPEN_NOW, key_id="test-key", secret_key="test-secret-123") as ex:
        yield ex


def test_full_rebalance_from_cash_buys_every_target(exchange: EmbeddedExchange) -> None:
    """From all cash, a run buys each target symbol once and reports Succeeded."""
    result = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange)))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert sorted(o.symbol for o in result.orders) == ["QQQ", "SPY", "TLT"]
    assert all(o.side == "buy" for o in result.orders)
    grouped = orders_by_client_id(exchange)
    assert len(grouped) == 3 and all(len(v) == 1 for v in grouped.values())
    assert {v[0]["status"] for v in grouped.values()} == {"filled"}


def test_rebalance_sells_before_it_buys(exchange: EmbeddedExchange) -> None:
    """Moving from one portfolio to another submits every sell before any buy."""
    first = pipeline.run(config(spec({"SPY": 0.5, "QQQ": 0.5}), "run-a"), deps(broker(exchange)))
    assert first.outcome is Outcome.SUCCEEDED, first.message
    second = pipeline.run(
        config(spec({"TLT": 0.6, "SPY": 0.2, "IEF": 0.2}, maxDailyNotional=1e6), "run-b"),
        deps(broker(exchange)),
    )
    assert second.outcome is Outcome.SUCCEEDED, second.message
    sides = {(o.symbol, o.side) for o in second.orders}
    assert sides == {("QQQ", "sell"), ("SPY", "sell"), ("TLT", "buy"), ("IEF", "buy")}
    placed = [o for o in exchange.orders() if o["client_order_id"].startswith(PREFIX_B)]
    sells = [o["submitted_at"] for o in placed if o["side"] == "sell"]
    buys = [o["submitted_at"] for o in placed if o["side"] == "buy"]
    assert max(sells) <= min(buys)
    positions = {p.symbol: p for p in broker(exchange).positions()}
    assert "QQQ" not in positions  # a full exit closed the position


def test_same_run_id_rerun_places_nothing_new(exchange: EmbeddedExchange) -> None:
    """Running the same run id again finds every leg at the broker and submits nothing."""
    first = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange)))
    assert first.orders_submitted == 3
    before = len(exchange.orders())
    again = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange)))
    assert again.outcome in (Outcome.NO_TRADES, Outcome.SUCCEEDED)
    assert again.orders_submitted == 0
    assert len(exchange.orders()) == before


@pytest.mark.parametrize(
    ("faults", "recovery"),
    [
        ("429=0.5", "retrying with the same id"),
        ("5xx=0.4", "retrying with the same id"),
        ("lost-response=0.7", "accepted although the response failed"),
    ],
    ids=["429", "5xx", "lost-response"],
)
def test_injected_faults_still_give_exactly_one_order_per_leg(
    exchange: EmbeddedExchange, faults: str, recovery: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rate limits, server errors and lost responses end with one order per leg, none twice."""
    weights = {
        s: 0.1 for s in ("SPY", "QQQ", "TLT", "IEF", "XLK", "XLF", "XLP", "VTV", "GLD", "BIL")
    }
    exchange.set_faults(faults)
    adapter = broker(exchange, read_attempts=12)
    result = pipeline.run(config(spec(weights)), deps(adapter, submit_attempts=12))
    exchange.set_faults("")
    assert result.outcome is Outcome.SUCCEEDED, result.message
    grouped = orders_by_client_id(exchange)
    assert len(grouped) == 10
    assert all(len(orders) == 1 for orders in grouped.values())
    assert {o.client_order_id for o in result.orders} == set(grouped)
    assert recovery in capsys.readouterr().out  # the fault was really met and recovered from


@pytest.mark.parametrize(
    ("now", "why"),
    [
        ("2026-11-26T15:00:00+00:00", "Thanksgiving"),
        ("2026-11-27T18:30:00+00:00", "13:30 New York, after the 13:00 early close"),
    ],
)
def test_holiday_and_after_early_close_are_market_closed(
    exchange: EmbeddedExchange, now: str, why: str
) -> None:
    """A holiday and the time after an early close end the run as MarketClosed with no orders."""
    exchange.set_now(datetime.fromisoformat(now))
    result = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange)))
    assert result.outcome is Outcome.MARKET_CLOSED, why
    assert exchange.orders() == []


def test_dry_run_submits_nothing_but_reports_the_orders(exchange: EmbeddedExchange) -> None:
    """dryRun plans and risk-checks the orders, reports them, and sends none."""
    result = pipeline.run(config(spec(WEIGHTS, mode="dryRun")), deps(broker(exchange)))
    assert result.outcome is Outcome.DRY_RUN
    assert sorted(o.symbol for o in result.orders) == ["QQQ", "SPY", "TLT"]
    assert {o.status for o in result.orders} == {"dry-run"}
    assert result.orders_submitted == 0
    assert exchange.orders() == []


def test_halt_appearing_between_sells_and_buys_stops_the_buys(exchange: EmbeddedExchange) -> None:
    """A Halt that appears after the sells are sent stops every buy; outcome Halted."""
    first = pipeline.run(config(spec({"SPY": 0.5, "QQQ": 0.5}), "run-a"), deps(broker(exchange)))
    assert first.outcome is Outcome.SUCCEEDED
    source = Halts()

    def halt_now(count: int) -> None:
        source.halts = [Halt(name="outage", spec=TradingHaltSpec(reason="broker outage"))]

    adapter = AfterSubmit(broker(exchange), halt_now)
    weights = {"TLT": 0.6, "SPY": 0.2, "IEF": 0.2}
    result = pipeline.run(
        config(spec(weights, maxDailyNotional=1e6), "run-b"), deps(adapter, source)
    )
    assert result.outcome is Outcome.HALTED
    assert "outage" in result.message
    run_b = [o for o in exchange.orders() if o["client_order_id"].startswith(PREFIX_B)]
    assert {o["side"] for o in run_b} == {"sell"}  # the sells went out, no buy did


def test_halt_appearing_mid_batch_stops_the_next_order(exchange: EmbeddedExchange) -> None:
    """With orders sent one at a time, a Halt after the first submission stops the rest."""
    source = Halts()

    def halt_now(count: int) -> None:
        source.halts = [Halt(name="kill", spec=TradingHaltSpec(reason="manual stop"))]

    adapter = AfterSubmit(broker(exchange), halt_now)
    result = pipeline.run(config(spec(WEIGHTS)), deps(adapter, source, concurrency=1))
    assert result.outcome is Outcome.HALTED
    assert len(exchange.orders()) == 1
    assert result.orders_submitted == 1
    assert len(result.rejections) == 2
    assert all("TradingHalt kill is active" in r.reason for r in result.rejections)


def test_unreadable_halt_state_fails_closed_with_no_orders(exchange: EmbeddedExchange) -> None:
    """When halts cannot be read the run places nothing and fails."""
    source = Halts()
    source.fail = True
    result = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange), source))
    assert result.outcome is Outcome.FAILED
    assert "halt state unknown" in result.message
    assert exchange.orders() == []


def test_reduce_only_halt_lets_sells_through_and_rejects_buys(exchange: EmbeddedExchange) -> None:
    """Under a ReduceOnly halt the sells of a rebalance pass and every buy is rejected."""
    first = pipeline.run(config(spec({"SPY": 0.5, "QQQ": 0.5}), "run-a"), deps(broker(exchange)))
    assert first.outcome is Outcome.SUCCEEDED
    source = Halts()
    source.halts = [
        Halt(name="calm", spec=TradingHaltSpec(reason="volatile", mode=HaltMode.REDUCE_ONLY))
    ]
    weights = {"TLT": 0.6, "SPY": 0.2, "IEF": 0.2}
    result = pipeline.run(
        config(spec(weights, maxDailyNotional=1e6), "run-b"), deps(broker(exchange), source)
    )
    assert result.outcome is Outcome.SUCCEEDED
    assert {(o.symbol, o.side) for o in result.orders} == {("QQQ", "sell"), ("SPY", "sell")}
    assert {r.symbol for r in result.rejections} == {"TLT", "IEF"}
    assert all("ReduceOnly" in r.reason for r in result.rejections)


def test_rotated_credentials_directory_is_picked_up_mid_run(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """After the first order the exchange and the mounted Secret rotate; the run completes."""
    secret_dir = kubelet_secret_dir(tmp_path / "broker", "test-key", "test-secret-123")

    def rotate(count: int) -> None:
        if count == 1:
            exchange.rotate_keys("rotated-key", "rotated-secret-456")
            kubelet_rotate(secret_dir, "rotated-key", "rotated-secret-456")

    adapter = AfterSubmit(broker(exchange, CredentialsDir(secret_dir)), rotate)
    result = pipeline.run(config(spec(WEIGHTS)), deps(adapter, concurrency=1))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert result.orders_submitted == 3
    assert len(exchange.orders()) == 3


def test_wrong_credentials_fail_the_run_without_revealing_them(exchange: EmbeddedExchange) -> None:
    """Refused credentials end the run as Failed, naming the refusal but not the secret."""
    adapter = broker(exchange, Keys("test-key", "not-the-secret-987"))
    result = pipeline.run(config(spec(WEIGHTS)), deps(adapter))
    assert result.outcome is Outcome.FAILED
    assert "refused the credentials" in result.message
    assert "not-the-secret-987" not in result.to_json()
    assert exchange.orders() == []


def test_sigterm_cancels_this_runs_open_orders(exchange: EmbeddedExchange) -> None:
    """A stop after the first order leaves nothing of this run open: its remainder is cancelled."""
    exchange.set_faults("partial=1")  # every order fills in part and stays open
    stop = threading.Event()
    adapter = AfterSubmit(broker(exchange), lambda count: stop.set())
    result = pipeline.run(config(spec(WEIGHTS)), deps(adapter, stop=stop, concurrency=1))
    assert result.outcome is Outcome.HALTED
    (order,) = exchange.orders()
    assert order["status"] == "canceled"


def test_sigterm_under_reduce_only_leaves_open_orders(exchange: EmbeddedExchange) -> None:
    """When only a ReduceOnly halt applies, a stop leaves the run's open orders working."""
    exchange.set_faults("partial=1")
    stop = threading.Event()
    source = Halts()

    def terminate(count: int) -> None:
        source.halts = [
            Halt(name="calm", spec=TradingHaltSpec(reason="calm", mode=HaltMode.REDUCE_ONLY))
        ]
        stop.set()

    adapter = AfterSubmit(broker(exchange), terminate)
    result = pipeline.run(config(spec(WEIGHTS)), deps(adapter, source, stop, concurrency=1))
    assert result.outcome is Outcome.HALTED
    (order,) = exchange.orders()
    assert order["status"] == "partially_filled"


class DropBars:
    """Wraps a broker so one symbol's daily bars are missing or end early."""

    def __init__(self, inner: object, symbol: str, keep: int | None = None) -> None:
        self._inner = inner
        self._symbol = symbol
        self._keep = keep

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def daily_bars(self, symbols: object, start: object, end: object) -> dict[str, object]:
        """The wrapped broker's bars with `symbol` removed, or cut to its first `keep` bars."""
        bars = dict(self._inner.daily_bars(symbols, start, end))  # type: ignore[attr-defined]
        if self._keep is None:
            bars.pop(self._symbol)
        else:
            bars[self._symbol] = bars[self._symbol][: self._keep]
        return bars


@pytest.mark.parametrize("keep", [None, 5], ids=["missing", "stale"])
def test_missing_or_stale_bars_fail_closed_without_selling(
    exchange: EmbeddedExchange, keep: int | None
) -> None:
    """With bars missing or stale the run fails, places nothing and keeps the positions."""
    first = pipeline.run(config(spec(WEIGHTS), "run-a"), deps(broker(exchange)))
    assert first.outcome is Outcome.SUCCEEDED
    held = {p.symbol: p.qty for p in broker(exchange).positions()}
    before = len(exchange.orders())
    result = pipeline.run(
        config(spec({"SPY": 0.5, "IEF": 0.5}), "run-b"),
        deps(DropBars(broker(exchange), "IEF", keep)),
    )
    assert result.outcome is Outcome.FAILED
    assert "IEF" in result.message
    assert len(exchange.orders()) == before
    assert {p.symbol: p.qty for p in broker(exchange).positions()} == held


def test_an_active_halt_stops_the_run_before_anything_else(exchange: EmbeddedExchange) -> None:
    """A matching Halt ends the run as Halted before the broker is even asked the time."""
    source = Halts()
    source.halts = [
        Halt(name="freeze", spec=TradingHaltSpec(reason="audit", namespaces=["team-a"]))
    ]
    exchange.set_faults("5xx=1")  # any broker call would fail the run instead
    result = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange), source))
    assert result.outcome is Outcome.HALTED
    assert "freeze" in result.message
    exchange.set_faults("")
    assert exchange.orders() == []


def test_halt_state_lost_mid_run_fails_closed_and_reports_what_was_sent(
    exchange: EmbeddedExchange,
) -> None:
    """If halts become unreadable after the first order, nothing more is sent and the run fails."""
    source = Halts()

    def lose_halts(count: int) -> None:
        source.fail = True

    adapter = AfterSubmit(broker(exchange), lose_halts)
    result = pipeline.run(config(spec(WEIGHTS)), deps(adapter, source, concurrency=1))
    assert result.outcome is Outcome.FAILED
    assert "halt state unknown" in result.message
    assert len(exchange.orders()) == 1 and result.orders_submitted == 1


def test_an_untradable_symbol_is_rejected_with_a_reason(exchange: EmbeddedExchange) -> None:
    """A symbol the broker marks untradable is rejected by the risk engine, the rest go out."""
    result = pipeline.run(config(spec({"SPY": 0.5, "ZVZZT": 0.5})), deps(broker(exchange)))
    assert result.outcome is Outcome.SUCCEEDED
    assert [o.symbol for o in result.orders] == ["SPY"]
    assert [(r.symbol, r.reason) for r in result.rejections] == [
        ("ZVZZT", "ZVZZT is not tradable at the broker")
    ]


def test_a_retried_run_completes_the_legs_its_first_attempt_did_not_send(
    exchange: EmbeddedExchange,
) -> None:
    """A pod retry (same run id) after a stop sends only the missing legs: one order per leg."""
    stop = threading.Event()
    adapter = AfterSubmit(broker(exchange), lambda count: stop.set())
    first = pipeline.run(config(spec(WEIGHTS)), deps(adapter, stop=stop, concurrency=1))
    assert first.outcome is Outcome.HALTED and len(exchange.orders()) == 1
    retry = pipeline.run(config(spec(WEIGHTS)), deps(broker(exchange)))
    assert retry.outcome is Outcome.SUCCEEDED
    grouped = orders_by_client_id(exchange)
    assert len(grouped) == 3 and all(len(orders) == 1 for orders in grouped.values())


def test_limit_orders_are_marketable_inside_the_collar_and_fill(exchange: EmbeddedExchange) -> None:
    """With orderType limit, each order carries a limit within the collar and fills."""
    result = pipeline.run(config(spec(WEIGHTS, order_type="limit")), deps(broker(exchange)))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    placed = exchange.orders()
    assert len(placed) == 3
    assert {o["type"] for o in placed} == {"limit"} and {o["status"] for o in placed} == {"filled"}
    for order in placed:
        assert float(order["filled_avg_price"]) <= float(order["limit_price"])
