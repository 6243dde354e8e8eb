"""Two symbols, five days, by hand: fills at the next close with slippage, fees, cash, equity."""

from datetime import date
from pathlib import Path

import pytest
from support import run_csv, static_spec

from alchemiser.api.result import Outcome
from alchemiser.backtest.broker import FillModel

CLOSES = {
    "AAA": {"2025-02-28": 10, "2025-03-03": 11, "2025-03-04": 12, "2025-03-05": 12,
            "2025-03-06": 10, "2025-03-07": 10},
    "BBB": {"2025-02-28": 20, "2025-03-03": 20, "2025-03-04": 19, "2025-03-05": 16,
            "2025-03-06": 20, "2025-03-07": 22},
    "SPY": {"2025-02-28": 100, "2025-03-03": 101, "2025-03-04": 102, "2025-03-05": 100,
            "2025-03-06": 103, "2025-03-07": 105},
}  # fmt: skip
SPEC = static_spec({"AAA": 0.5, "BBB": 0.5}, rebalanceThreshold=0.05, cashReserveFraction=0.01)
FILLS = FillModel(slippage_bps=10, commission_per_order=1)


@pytest.fixture
def replayed(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The five sessions 2025-03-03..07 from $10,000."""
    return run_csv(tmp_path, CLOSES, SPEC, date(2025, 3, 3), date(2025, 3, 7), fills=FILLS)


def test_first_day_buys_fill_at_that_days_close_plus_slippage(replayed) -> None:  # type: ignore[no-untyped-def]
    """Day 1 decides on 02-28's closes and fills at 03-03's close x 1.001, $1 fee each.

    Budget 10,000 - 1% reserve = 9,900: $4,950 each. AAA 11 x 1.001 = 11.011 -> 11.01,
    4950 / 11.01 = 449.591280653 shares (floor, 1e-9); BBB 20.02 -> 247.252747252.
    Cash 10,000 - 2 x (4,950 + 1) = 98.
    """
    _, record = replayed
    first = [f for f in record.fills if f.session == date(2025, 3, 3)]
    assert [(f.symbol, f.side.value, f.price, f.qty, f.value, f.commission) for f in first] == [
        ("AAA", "buy", 11.01, 449.591280653, 4950.0, 1.0),
        ("BBB", "buy", 20.02, 247.252747252, 4950.0, 1.0),
    ]
    day = record.days[0]
    assert day.cash == pytest.approx(98.0, abs=1e-9)
    # 98 + 449.591280653 x 11 + 247.252747252 x 20
    assert day.equity == pytest.approx(9988.559032223, abs=1e-9)


def test_within_threshold_days_trade_nothing(replayed) -> None:  # type: ignore[no-untyped-def]
    """03-04 and 03-05: AAA drifts 0.5%..3% (< 5% threshold): no orders, cash unchanged."""
    _, record = replayed
    outcomes = [run.result.outcome for run in record.runs]
    assert outcomes[1:3] == [Outcome.NO_TRADES, Outcome.NO_TRADES]
    assert [d.cash for d in record.days[1:3]] == pytest.approx([98.0, 98.0])
    # 98 + 449.591280653 x 12 + 247.252747252 x 19 and x 16
    assert record.days[1].equity == pytest.approx(10190.897565624, abs=1e-9)
    assert record.days[2].equity == pytest.approx(9449.139323868, abs=1e-9)


def test_rebalance_sells_then_buys_from_the_proceeds(replayed) -> None:  # type: ignore[no-untyped-def]
    """03-06 decides on 03-05's closes (AAA 12, BBB 16; equity 9,449.14, AAA 57.1%).

    Sell (5,395.10 - 4,724.57) / 12 = 55.8775 AAA at 10 x 0.999 = 9.99: $558.22, fee 1:
    cash 655.22. Then equity 9,335.83 at the quotes, BBB 42.4%: wanted 711.875, budget
    655.22 - 93.3583 = 561.8617 -> $561.86 of BBB at 20.02 = 28.064935064 shares, fee 1:
    cash 92.36.
    """
    _, record = replayed
    fills = [f for f in record.fills if f.session == date(2025, 3, 6)]
    assert [(f.symbol, f.side.value, f.price, f.qty, f.value) for f in fills] == [
        ("AAA", "sell", 9.99, 55.8775, 558.22),
        ("BBB", "buy", 20.02, 28.064935064, 561.86),
    ]
    day = record.days[3]
    assert day.cash == pytest.approx(92.36, abs=1e-9)
    # 92.36 + (449.591280653 - 55.8775) x 10 + (247.252747252 + 28.064935064) x 20
    assert day.equity == pytest.approx(9535.85145285, abs=1e-9)


def test_commissions_and_the_benchmark(replayed) -> None:  # type: ignore[no-untyped-def]
    """Six orders, $6 in fees; SPY bought with $10,000 at 03-03's 101 is worth 10,000 x 105/101."""
    _, record = replayed
    assert sum(f.commission for f in record.fills) == pytest.approx(6.0)
    assert [d.benchmark for d in record.days] == pytest.approx(
        [10_000 * c / 101 for c in (101, 102, 100, 103, 105)]
    )


def test_no_slippage_no_fee_fills_at_the_close_exactly(tmp_path: Path) -> None:
    """With a zero cost model, day 1 buys at the plain closes and spends exactly the budget."""
    _, record = run_csv(tmp_path, CLOSES, SPEC, date(2025, 3, 3), date(2025, 3, 3))
    assert [(f.price, f.commission) for f in record.fills] == [(11.0, 0.0), (20.0, 0.0)]
    assert record.days[0].cash == pytest.approx(100.0)


def test_quote_timing_fills_at_the_price_the_planner_saw(tmp_path: Path) -> None:
    """FillModel(timing='quote'): day 1 fills at 02-28's closes (10 and 20)."""
    _, record = run_csv(
        tmp_path, CLOSES, SPEC, date(2025, 3, 3), date(2025, 3, 3), fills=FillModel(timing="quote")
    )
    assert [f.price for f in record.fills] == [10.0, 20.0]
    assert [f.qty for f in record.fills] == [495.0, 247.5]
