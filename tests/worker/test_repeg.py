"""Bounded re-pegs of limit orders, against the embedded paper exchange and in the pure parts."""

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from run_support import OPEN_NOW, UID, AfterSubmit, Halts, broker, config, deps, spec
from structlog.testing import capture_logs

from alchemiser.api import TradingHaltSpec, TradingStrategySpec
from alchemiser.api.result import Outcome
from alchemiser.sim import embedded
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.worker import ids, pipeline, risk
from alchemiser.worker.broker.port import OrderKind, Side
from alchemiser.worker.execution import MAX_REPEGS
from alchemiser.worker.halts import Halt
from alchemiser.worker.planner import PlannedOrder, marketable_limit

# One leg, so each test reads one chain of orders.
ONE_LEG = {"maxOrderNotional": 1e6, "maxPositionFraction": 1.0, "maxDailyNotional": 1e6}
PREFIX_B = ids.run_prefix(UID, "run-b")
# Short waits: the partial fault holds every remainder, so each wait runs out in full.
FAST = {"fill_timeout": 0.9}


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """A fresh paper exchange at 10:00 New York on a trading day, $100k cash."""
    with embedded.start(now=OPEN_NOW, key_id="test-key", secret_key="test-secret-123") as ex:
        yield ex


def limit_spec(mode: str = "paper", symbol: str = "SPY", **risk: Any) -> TradingStrategySpec:
    """All in one symbol with marketable limit orders; the risk limits leave room for it."""
    return spec({symbol: 1.0}, mode, order_type="limit", **{**ONE_LEG, **risk})


def chain_ids(run_id: str = "run-1", leg: str = "buy-SPY") -> list[str]:
    """The client order ids of a leg and each of its re-pegs, in order."""
    legs = [leg] + [ids.repeg(leg, n) for n in range(1, MAX_REPEGS + 1)]
    return [ids.client_order_id(UID, run_id, name) for name in legs]


def by_id(exchange: EmbeddedExchange) -> dict[str, dict[str, Any]]:
    """The exchange's orders keyed by client order id (each id must occur once)."""
    orders = exchange.orders()
    keyed = {o["client_order_id"]: o for o in orders}
    assert len(keyed) == len(orders), "a client order id was used twice"
    return keyed


def unfilled(order: dict[str, Any]) -> float:
    """Shares of an exchange order that did not fill."""
    return float(order["qty"]) - float(order["filled_qty"] or 0)


def test_a_partly_filled_limit_order_is_repegged_at_the_fresh_latest_trade(
    exchange: EmbeddedExchange,
) -> None:
    """The rest of a partly filled limit order is canceled and re-sent once at the new price."""

    def first_only(count: int) -> None:
        if count == 1:  # the first order fills in part; the market then moves on 20 minutes
            exchange.set_faults("")
            exchange.set_now(OPEN_NOW + timedelta(minutes=20))

    exchange.set_faults("partial=1")
    adapter = AfterSubmit(broker(exchange), first_only)
    result = pipeline.run(config(limit_spec()), deps(adapter, **FAST))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    first, repeg, _ = chain_ids()
    placed = by_id(exchange)
    assert set(placed) == {first, repeg}
    assert placed[first]["status"] == "canceled" and float(placed[first]["filled_qty"]) > 0
    assert float(placed[repeg]["qty"]) == unfilled(placed[first])
    assert placed[repeg]["status"] == "filled"
    latest = broker(exchange).latest_prices(["SPY"])["SPY"]
    assert float(placed[repeg]["limit_price"]) == marketable_limit(latest, Side.BUY, 5.0)
    assert float(placed[repeg]["limit_price"]) != float(placed[first]["limit_price"])
    assert [o.client_order_id for o in result.orders] == [first, repeg]
    assert result.orders_submitted == 2


def test_repegs_are_bounded_and_the_last_rest_is_canceled_and_reported(
    exchange: EmbeddedExchange,
) -> None:
    """When orders fill only in part, a leg gets MAX_REPEGS re-pegs, then its rest is canceled."""
    exchange.set_faults("partial=1")
    result = pipeline.run(config(limit_spec()), deps(broker(exchange), **FAST))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    chain = chain_ids()
    placed = by_id(exchange)
    assert list(placed) == chain  # the original and exactly MAX_REPEGS re-pegs, in order
    for before, after in itertools.pairwise(chain):
        assert float(placed[after]["qty"]) == unfilled(placed[before])
    assert {o["status"] for o in placed.values()} == {"canceled"}  # nothing left open
    last = placed[chain[-1]]
    assert unfilled(last) > 0
    assert [o.client_order_id for o in result.orders] == chain
    assert result.orders[-1].status == (
        f"canceled: {unfilled(last):g} shares unfilled after {MAX_REPEGS} re-pegs"
    )
    assert "unfilled rest canceled" in result.message
    held = {p.symbol: p.qty for p in broker(exchange).positions()}
    assert held["SPY"] == sum(float(o["filled_qty"]) for o in placed.values())
    assert result.notional == pytest.approx(
        sum(float(o["filled_qty"]) * float(o["filled_avg_price"]) for o in placed.values()),
        abs=0.01,
    )


def test_sells_are_repegged_and_settled_before_the_buys_are_sized(
    exchange: EmbeddedExchange,
) -> None:
    """In a rebalance every leg, sells first, is re-pegged and settled; buys fit the cash left."""
    first = pipeline.run(config(spec({"SPY": 0.5, "QQQ": 0.5}), "run-a"), deps(broker(exchange)))
    assert first.outcome is Outcome.SUCCEEDED
    exchange.set_faults("partial=1")
    result = pipeline.run(config(limit_spec(symbol="TLT"), "run-b"), deps(broker(exchange), **FAST))
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert result.rejections == []
    placed = by_id(exchange)
    legs = [("sell", "QQQ"), ("sell", "SPY"), ("buy", "TLT")]
    for side, symbol in legs:
        for cid in chain_ids("run-b", ids.leg(side, symbol)):
            assert placed[cid]["status"] == "canceled"  # part filled, nothing left open
    run_b = [o for o in placed.values() if o["client_order_id"].startswith(PREFIX_B)]
    assert len(run_b) == len(legs) * (1 + MAX_REPEGS)
    sells = [o["submitted_at"] for o in run_b if o["side"] == "sell"]
    buys = [o["submitted_at"] for o in run_b if o["side"] == "buy"]
    assert max(sells) <= min(buys)
    assert "3 limit orders ended with their unfilled rest canceled" in result.message


def test_a_rerun_with_the_same_run_id_submits_no_repeg_again(exchange: EmbeddedExchange) -> None:
    """Re-running a run whose legs were re-pegged finds every re-peg by its id and sends nothing."""
    exchange.set_faults("partial=1")
    strategy = config(limit_spec())
    first = pipeline.run(strategy, deps(broker(exchange), **FAST))
    assert first.orders_submitted == 1 + MAX_REPEGS
    before = exchange.orders()
    again = pipeline.run(strategy, deps(broker(exchange), **FAST))
    assert again.orders_submitted == 0
    assert exchange.orders() == before
    assert [o.client_order_id for o in again.orders] == chain_ids()
    assert all("(existing)" in o.status for o in again.orders)


COLLAR = 0.05  # percent; the simulated SPY moves about 0.14% in the two hours below


def test_risk_rejects_a_repeg_beyond_the_collar_and_the_rest_stays_canceled(
    exchange: EmbeddedExchange,
) -> None:
    """A re-peg whose fresh price left the collar around the planned price is rejected, not sent."""
    strategy = config(limit_spec(priceCollarPercent=COLLAR))
    planned = broker(exchange).latest_prices(["SPY"])["SPY"]
    later = OPEN_NOW + timedelta(hours=2)

    def move(count: int) -> None:
        exchange.set_now(later)

    exchange.set_faults("partial=1")
    adapter = AfterSubmit(broker(exchange), move)
    result = pipeline.run(strategy, deps(adapter, **FAST))
    moved = broker(exchange).latest_prices(["SPY"])["SPY"]
    # Moved so far that a limit within half the collar of the new trade is outside the
    # collar of the planned one (the collar check of the latest trade alone would pass).
    assert abs(moved / planned - 1) * 100 > 1.5 * COLLAR
    first = chain_ids()[0]
    placed = by_id(exchange)
    assert list(placed) == [first] and placed[first]["status"] == "canceled"
    (rejection,) = result.rejections
    assert rejection.symbol == "SPY"
    assert rejection.reason.startswith("re-peg 1 rejected: limit $")
    assert "from the trade the order was planned at" in rejection.reason
    assert f"priceCollarPercent {COLLAR:g}" in rejection.reason


def test_a_halt_before_a_repeg_stops_it(exchange: EmbeddedExchange) -> None:
    """A Halt appearing while a limit order waits stops its re-peg; the rest is canceled."""
    source = Halts()

    def halt_now(count: int) -> None:
        source.halts = [Halt(name="kill", spec=TradingHaltSpec(reason="manual stop"))]

    exchange.set_faults("partial=1")
    adapter = AfterSubmit(broker(exchange), halt_now)
    result = pipeline.run(config(limit_spec()), deps(adapter, source, **FAST))
    assert result.outcome is Outcome.HALTED
    placed = by_id(exchange)
    assert list(placed) == chain_ids()[:1] and placed[chain_ids()[0]]["status"] == "canceled"
    assert any("TradingHalt kill" in r.reason for r in result.rejections)


def test_sigterm_during_repegs_stops_at_once_and_cancels_the_open_rest(
    exchange: EmbeddedExchange,
) -> None:
    """A stop while a re-peg waits ends the wait at once: no further re-peg, its rest canceled."""
    stop = threading.Event()
    stopped_at: list[float] = []

    def terminate(count: int) -> None:
        if count == 1:  # end the first order's wait early: its rest is canceled at once
            (order,) = exchange.orders()
            broker(exchange).cancel(order["id"])
        if count == 2:  # the first re-peg is out and waiting
            stopped_at.append(time.monotonic())
            stop.set()

    exchange.set_faults("partial=1")
    adapter = AfterSubmit(broker(exchange), terminate)
    # Each order may wait 10 s: only a stop noticed at once ends the run within seconds.
    result = pipeline.run(config(limit_spec()), deps(adapter, stop=stop, fill_timeout=30.0))
    after_stop = time.monotonic() - stopped_at[0]
    assert result.outcome is Outcome.HALTED
    first, repeg, _ = chain_ids()
    placed = by_id(exchange)
    assert list(placed) == [first, repeg]
    assert {o["status"] for o in placed.values()} == {"canceled"}
    assert after_stop < 5.0


def test_each_allocations_decision_and_branch_is_logged(exchange: EmbeddedExchange) -> None:
    """The run logs one 'strategy decided' event per allocation, naming its branch and weights."""
    two = spec({"SPY": 1.0}, "dryRun").model_dump(by_alias=True, mode="json")
    two["allocations"] = [
        {"strategy": "static", "weight": 0.25, "parameters": {"weights": {"SPY": 1.0}}},
        {"strategy": "tecl", "weight": 0.75, "parameters": {}},
    ]
    with capture_logs() as events:
        result = pipeline.run(
            config(TradingStrategySpec.model_validate(two)), deps(broker(exchange))
        )
    assert result.outcome is Outcome.DRY_RUN
    decided = [e for e in events if e["event"] == "strategy decided"]
    assert [(e["strategy"], e["allocation"], e["weight"]) for e in decided] == [
        ("team-a/static-demo", "static", 0.25),
        ("team-a/static-demo", "tecl", 0.75),
    ]
    static, tecl = decided
    assert (static["branch"], static["weights"]) == ("static", {"SPY": 1.0})
    assert tecl["branch"] and tecl["branch"] != "static"
    assert sum(tecl["weights"].values()) == pytest.approx(1.0)


# -- the pure parts -------------------------------------------------------------------------


def test_repeg_ids_are_deterministic_distinct_short_and_share_the_run_prefix() -> None:
    """Each re-peg of a leg has its own stable id under the run's prefix, within 128 characters."""
    leg = ids.leg("sell", "BRK.B" + "X" * 200)
    names = [leg] + [ids.repeg(leg, n) for n in (1, 2)]
    made = [ids.client_order_id(UID, "run-1", name) for name in names]
    assert made == [ids.client_order_id(UID, "run-1", name) for name in names]
    assert len(set(made)) == 3
    assert all(len(cid) <= ids.MAX_LENGTH for cid in made)
    assert all(cid.startswith(ids.run_prefix(UID, "run-1")) for cid in made)


def _context(**fields: Any) -> risk.RiskContext:
    base: dict[str, Any] = {
        "limits": risk.Limits(max_order_notional=1_000.0, price_collar_percent=2.0),
        "equity": 100_000.0,
        "holdings": {},
        "position_values": {},
        "prices": {"SPY": 100.0},
        "buying_power": 50_000.0,
        "strategy_symbols": frozenset({"SPY"}),
    }
    return risk.RiskContext(**{**base, **fields})


REPEG = PlannedOrder("SPY", Side.BUY, 100.0, qty=4, kind=OrderKind.LIMIT, limit_price=101.0)


def test_a_repeg_counts_what_its_leg_already_filled_against_max_order_notional() -> None:
    """A re-peg within maxOrderNotional alone is rejected once its leg's fills are added."""
    (alone,) = risk.check([REPEG], _context())
    (counted,) = risk.check([REPEG], _context(leg_filled_notional=700.0))
    assert alone.passed
    assert counted.reason == (
        "notional $404.00 plus $700.00 already filled for this leg "
        "exceeds maxOrderNotional $1,000.00"
    )


def test_a_repeg_must_stay_within_the_collar_of_the_planned_price_too() -> None:
    """Within the collar of the latest trade but beyond that of the planned price: rejected."""
    (fresh,) = risk.check([REPEG], _context())
    (chasing,) = risk.check([REPEG], _context(planned_prices={"SPY": 97.0}))
    assert fresh.passed
    assert chasing.reason is not None
    assert "from the trade the order was planned at $97" in chasing.reason
