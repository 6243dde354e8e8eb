"""The replay: no look-ahead, risk rejections and missing data in the results, Ctrl-C."""

import random
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support import run_csv, static_spec, write_manifest

from alchemiser.api.result import Outcome
from alchemiser.backtest import assemble, data
from alchemiser.backtest import replay as replay_module
from alchemiser.backtest.broker import BacktestBroker, FillModel
from alchemiser.backtest.prices import DailyPrices, Prices, SessionTable
from alchemiser.backtest.replay import Record, replay
from alchemiser.backtest.summary import summarise
from alchemiser.worker import clock
from alchemiser.worker.broker.port import Bar, DailyBars
from alchemiser.worker.strategies import REGISTRY

CLOSES = {
    "AAA": {"2025-02-28": 10, "2025-03-03": 11, "2025-03-04": 12, "2025-03-05": 12,
            "2025-03-06": 10, "2025-03-07": 10},
    "BBB": {"2025-02-28": 20, "2025-03-03": 20, "2025-03-04": 19, "2025-03-05": 16,
            "2025-03-06": 20, "2025-03-07": 22},
    "SPY": {"2025-02-28": 100, "2025-03-03": 101, "2025-03-04": 102, "2025-03-05": 100,
            "2025-03-06": 103, "2025-03-07": 105},
}  # fmt: skip
PORTFOLIO = {
    "schedule": "45 15 * * 1-5",
    "allocations": [
        {"strategy": "nuclear", "weight": 0.3},
        {"strategy": "tecl", "weight": 0.5},
        {"strategy": "klm", "weight": 0.2},
    ],
    "risk": {"maxOrderNotional": 1e6, "maxPositionFraction": 1, "maxDailyNotional": 1e8},
}


def _portfolio(tmp: Path, start: date, end: date, change_from: date | None, seed: int = 7):
    """The 0.3/0.5/0.2 portfolio over the paper exchange's closes, optionally with every
    close from `change_from` on multiplied by a random factor (the future rewritten)."""
    manifest = write_manifest(tmp / "portfolio.yaml", PORTFOLIO)

    def load(symbols: frozenset[str], first: date, last: date, days: frozenset[date]) -> Prices:
        closes = data.sim_closes(data.sim_model(first), symbols)
        if change_from is not None:
            rng = random.Random(seed)
            closes = {
                s: {
                    d: c * rng.uniform(0.7, 1.3) if d >= change_from else c for d, c in rows.items()
                }
                for s, rows in closes.items()
            }
        table = SessionTable.of(clock.sessions_between(min(days), max(days)))
        return DailyPrices(closes, table)

    choices = assemble.Choices(manifest, start, end, 100_000.0, FillModel(slippage_bps=5), "SPY")
    setup = assemble.build(choices, load)
    return setup, replay(setup)


def _requests(record: Record, before: date) -> list[tuple[str, str, str, str]]:
    return [
        (f.session.isoformat(), f.symbol, f.side.value, f.requested)
        for f in record.fills
        if f.session < before
    ]


def _decided(record: Record, before: date) -> list[object]:
    return [
        (run.fire.at, [(d.strategy, d.branch, dict(d.weights)) for d in run.decisions])
        for run in record.runs
        if run.fire.session < before
    ]


def test_changing_only_future_bars_leaves_past_decisions_identical(tmp_path: Path) -> None:
    """Rewriting every close from 2025-05-01 on changes nothing decided or ordered before it,
    nor 2025-05-01's decisions and sells (made at 15:45 from earlier closes; its buys are
    sized from the sells' proceeds at its own close), while later days do change (so the
    comparison can fail)."""
    start, cut, end = date(2025, 3, 3), date(2025, 5, 1), date(2025, 6, 13)
    _, plain = _portfolio(tmp_path, start, end, None)
    _, changed = _portfolio(tmp_path, start, end, cut)
    day_after = date(2025, 5, 2)
    assert _decided(plain, day_after) == _decided(changed, day_after)
    assert _requests(plain, cut) == _requests(changed, cut)
    sells = [r for r in _requests(plain, day_after) if r[0] == cut.isoformat() and r[2] == "sell"]
    assert sells and sells == [
        r for r in _requests(changed, day_after) if r[0] == cut.isoformat() and r[2] == "sell"
    ]
    assert [d.equity for d in plain.days if d.day < cut] == [
        d.equity for d in changed.days if d.day < cut
    ]
    assert _decided(plain, end) != _decided(changed, end)
    assert [d.equity for d in plain.days if d.day >= cut] != [
        d.equity for d in changed.days if d.day >= cut
    ]


def test_the_strategies_memo_changes_no_decision_and_no_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay's built-ins carry a symphony Memo from session to session; replayed with the
    worker's own memo-less instances instead, every decision, branch and fill is the same."""
    start, end = date(2025, 3, 3), date(2025, 5, 30)
    _, remembered = _portfolio(tmp_path, start, end, None)
    monkeypatch.setattr(replay_module, "_remembering", lambda: dict(REGISTRY))
    _, fresh = _portfolio(tmp_path, start, end, None)
    assert _decided(remembered, end) == _decided(fresh, end)
    assert len({str(run.decisions) for run in fresh.runs}) > 1
    assert [(f.client_order_id, f.status, f.price, f.qty) for f in remembered.fills] == [
        (f.client_order_id, f.status, f.price, f.qty) for f in fresh.fills
    ]
    assert [d.equity for d in remembered.days] == [d.equity for d in fresh.days]


def test_the_backtests_shortcuts_change_no_decision_and_no_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replayed as a live worker runs (bars as plain lists of Bar, as the Alpaca adapter answers,
    so the pipeline converts and checks them itself; memo-less strategies; the collector left
    on), every decision, fill and equity is the same as with the backtest's own DailyBars
    windows, memos and collection schedule."""
    start, end = date(2025, 3, 3), date(2025, 4, 30)
    _, fast = _portfolio(tmp_path, start, end, None)
    windows = BacktestBroker.daily_bars

    def as_lists(self: BacktestBroker, *args: Any) -> dict[str, list[Bar]]:
        found = windows(self, *args)
        assert all(type(bars) is DailyBars for bars in found.values())
        return {symbol: list(bars) for symbol, bars in found.items()}

    monkeypatch.setattr(BacktestBroker, "daily_bars", as_lists)
    monkeypatch.setattr(replay_module, "_remembering", lambda: dict(REGISTRY))
    monkeypatch.setattr(replay_module, "_COLLECT_EVERY", 10**9)
    monkeypatch.setattr(replay_module.gc, "disable", lambda: None)
    _, live = _portfolio(tmp_path, start, end, None)
    assert _decided(fast, end) == _decided(live, end)
    assert len({str(run.decisions) for run in live.runs}) > 1
    assert [(f.client_order_id, f.status, f.price, f.qty) for f in fast.fills] == [
        (f.client_order_id, f.status, f.price, f.qty) for f in live.fills
    ]
    assert [d.equity for d in fast.days] == [d.equity for d in live.days]


def test_a_symphonys_own_rebalance_threshold_holds_in_a_backtest(tmp_path: Path) -> None:
    """An inline symphony holding AAA and BBB half and half: with its own :rebalance-threshold
    0.4 the replay buys on the first day (from cash: 0.5 off) and never rebalances (as a live
    run reads the option from its parsed parameters); without it, the drift of 3 to 7 March is
    traded."""
    text = '(defsymphony "halves" OPTIONS (weight-equal [(asset "AAA" nil) (asset "BBB" nil)]))'

    def orders(options: str, directory: str) -> list[str]:
        spec = {
            **static_spec({}),
            "allocations": [
                {
                    "strategy": "symphony",
                    "weight": 1,
                    "parameters": {"source": text.replace("OPTIONS", options)},
                }
            ],
        }
        _, record = run_csv(tmp_path / directory, CLOSES, spec, date(2025, 3, 3), date(2025, 3, 7))
        return [f.session.isoformat() for f in record.fills if f.status == "filled"]

    assert orders("{:rebalance-threshold 0.4}", "wide") == ["2025-03-03", "2025-03-03"]
    assert len(orders("{}", "default")) > 2


def test_risk_rejections_are_in_the_results(tmp_path: Path) -> None:
    """maxOrderNotional 3,000 rejects both $4,950 buys on day 1; summary and runs say why."""
    spec = static_spec({"AAA": 0.5, "BBB": 0.5}, maxOrderNotional=3000)
    setup, record = run_csv(tmp_path, CLOSES, spec, date(2025, 3, 3), date(2025, 3, 4))
    first = record.runs[0].result
    assert first.outcome is Outcome.NO_TRADES
    assert [r.symbol for r in first.rejections] == ["AAA", "BBB"]
    assert all("maxOrderNotional" in r.reason for r in first.rejections)
    summary = summarise(setup, record, "test")
    assert summary["rejections"] == 4 and summary["orders"] == 0
    assert summary["rejected"][0]["reason"].startswith(
        "notional $4,950.00 exceeds maxOrderNotional"
    )


def test_a_backtest_mostly_refused_by_risk_limits_says_so_first(tmp_path: Path) -> None:
    """Every buy refused by maxOrderNotional: the summary counts refusals per limit and its
    first notice says the figures show the limits (naming the limit and the cash); a
    backtest that trades has no such notice; paper-exchange prices are called synthetic."""
    spec = static_spec({"AAA": 0.5, "BBB": 0.5}, maxOrderNotional=3000)
    setup, record = run_csv(tmp_path / "refused", CLOSES, spec, date(2025, 3, 3), date(2025, 3, 7))
    summary = summarise(setup, record, "CSV files in bars/")
    assert summary["rejectionsByRule"] == {"maxOrderNotional": summary["rejections"]}
    [notice] = summary["notices"]
    assert notice.startswith(f"The risk engine refused {summary['rejections']} orders")
    assert "maxOrderNotional is $3,000" in notice and "$10,000 of cash" in notice
    setup, record = run_csv(
        tmp_path / "traded", CLOSES, static_spec({"AAA": 0.5, "BBB": 0.5}),
        date(2025, 3, 3), date(2025, 3, 7),
    )  # fmt: skip
    assert summarise(setup, record, "CSV files in bars/")["notices"] == []
    sim = summarise(setup, record, "the paper exchange's daily series (seed 0)")["notices"]
    assert len(sim) == 1 and "synthetic" in sim[0] and "not market history" in sim[0]


def test_a_missing_bar_fails_that_day_closed_and_is_reported(tmp_path: Path) -> None:
    """Without BBB's 03-05 bar, 03-05 cannot fill and 03-06 cannot decide: both Failed with the
    symbol named, no order on them; 03-05's close values BBB at 03-04's close (reported)."""
    closes = {**CLOSES, "BBB": {d: c for d, c in CLOSES["BBB"].items() if d != "2025-03-05"}}
    spec = static_spec({"AAA": 0.5, "BBB": 0.5}, rebalanceThreshold=0.0)
    setup, record = run_csv(tmp_path, closes, spec, date(2025, 3, 3), date(2025, 3, 7))
    outcomes = {run.fire.session: run.result for run in record.runs}
    for day in (date(2025, 3, 5), date(2025, 3, 6)):
        assert outcomes[day].outcome is Outcome.FAILED
        assert "BBB" in outcomes[day].message
    assert not [f for f in record.fills if f.session in (date(2025, 3, 5), date(2025, 3, 6))]
    summary = summarise(setup, record, "test")
    assert [f["session"] for f in summary["failedRuns"]] == ["2025-03-05", "2025-03-06"]
    assert summary["staleValuations"] == [{"session": "2025-03-05", "symbols": ["BBB"]}]


def test_ctrl_c_keeps_the_whole_sessions_done(tmp_path: Path) -> None:
    """A KeyboardInterrupt after the third session leaves three sessions, marked interrupted."""
    spec = static_spec({"AAA": 0.5, "BBB": 0.5})
    setup, _ = run_csv(tmp_path, CLOSES, spec, date(2025, 3, 3), date(2025, 3, 7))

    def interrupt(done: int, total: int, day: date) -> None:
        if done == 3:
            raise KeyboardInterrupt

    record = replay(setup, interrupt)
    assert record.interrupted
    assert [d.day for d in record.days] == [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5)]
    assert all(f.session <= date(2025, 3, 5) for f in record.fills)
    assert summarise(setup, record, "test")["interrupted"] is True


def test_a_fire_after_an_early_close_is_market_closed_without_a_run(tmp_path: Path) -> None:
    """2025-07-03 closes at 13:00: the 15:45 fire is MarketClosed and places nothing."""
    closes = {
        s: {"2025-07-02": 10.0, "2025-07-03": 10.0, "2025-07-07": 10.0} for s in ("AAA", "SPY")
    }
    spec = static_spec({"AAA": 1.0})
    _, record = run_csv(tmp_path, closes, spec, date(2025, 7, 3), date(2025, 7, 3))
    assert [r.result.outcome for r in record.runs] == [Outcome.MARKET_CLOSED]
    assert record.fills == [] and len(record.days) == 1


def test_the_model_is_stated() -> None:
    """The fill model says in words what it does (summary.json and the report carry it)."""
    text = replace(FillModel(), slippage_bps=5, commission_per_order=0.5).describe()
    assert "next price after the decision time" in text and "5 bps" in text and "$0.5" in text


def test_unknown_period_is_a_clear_error(tmp_path: Path) -> None:
    """--end before --start names both options."""
    manifest = write_manifest(tmp_path / "s.yaml", static_spec({"AAA": 1.0}))
    choices = assemble.Choices(
        manifest, date(2025, 3, 7), date(2025, 3, 3), 1e4, FillModel(), "SPY"
    )
    with pytest.raises(Exception, match="--end 2025-03-03 is before --start 2025-03-07"):
        assemble.build(choices, lambda *a: DailyPrices({}, SessionTable((), (), ())))
