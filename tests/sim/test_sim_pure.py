"""The paper exchange's pure parts: seeded prices, fault specs, the NYSE calendar."""

from datetime import UTC, date, datetime

import pytest
from sim_support import OPEN_NOW

from alchemiser.errors import ConfigError
from alchemiser.sim.calendar import nyse
from alchemiser.sim.faults import FaultDice, Faults, parse_faults
from alchemiser.sim.marketdata import BarQuery, bars_page, parse_timeframe
from alchemiser.sim.orders import Refusal
from alchemiser.sim.prices import PriceModel
from alchemiser.sim.ratelimit import RateWindow


def _closes(seed: int, symbol: str, last: int) -> list[float]:
    model = PriceModel(nyse(), seed)
    return [model.daily_bar(symbol, i).close for i in range(last - 260, last)]


def test_prices_repeat_for_a_seed_and_differ_across_seeds_and_symbols() -> None:
    """The same seed gives the same closes; another seed or symbol gives another path."""
    last = nyse().completed_count(OPEN_NOW)
    assert _closes(7, "SPY", last) == _closes(7, "SPY", last)
    assert _closes(7, "SPY", last) != _closes(8, "SPY", last)
    assert _closes(7, "SPY", last) != _closes(7, "QQQ", last)
    assert all(c > 0 for c in _closes(7, "UVXY", last))


def test_daily_bars_aggregate_their_minutes_and_the_early_close_has_210() -> None:
    """A daily bar is the open, high, low, close and volume of its minutes; 2026-11-27 has 210."""
    calendar = nyse()
    model = PriceModel(calendar, 3)
    index = calendar.index_of(date(2026, 11, 27))
    assert index is not None
    minutes = model.minute_bars("TQQQ", index)
    assert len(minutes) == 210
    day = model.daily_bar("TQQQ", index)
    assert day.open == minutes[0].open and day.close == minutes[-1].close
    assert day.high == max(m.high for m in minutes) and day.low == min(m.low for m in minutes)
    assert abs(day.volume - sum(m.volume for m in minutes)) <= len(minutes)
    assert all(m.low <= min(m.open, m.close) <= max(m.open, m.close) <= m.high for m in minutes)


def test_last_trade_walks_with_the_minutes_and_rests_when_closed() -> None:
    """In session the last trade is the last completed minute's close; after it, the close."""
    calendar = nyse()
    model = PriceModel(calendar, 0)
    index = calendar.index_of(date(2026, 11, 27))
    assert index is not None
    minutes = model.minute_bars("SPY", index)
    assert model.last_trade("SPY", OPEN_NOW).price == minutes[29].close
    evening = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert model.last_trade("SPY", evening).price == model.daily_bar("SPY", index).close


def test_five_minute_bars_are_clock_aligned_and_complete_only() -> None:
    """5Min bars start on :00/:05 and the bar still forming at `now` is left out."""
    model = PriceModel(nyse(), 0)
    now = datetime(2026, 11, 27, 14, 47, tzinfo=UTC)  # 09:47 ET: 09:45 bar still forming
    query = BarQuery(
        symbols=("SPY",),
        timeframe=parse_timeframe("5Min"),
        start=datetime(2026, 11, 27, 14, 0, tzinfo=UTC),
        end=now,
        limit=1000,
    )
    bars = bars_page(model, query, now).bars["SPY"]
    stamps = [b.timestamp.strftime("%H:%M") for b in bars]
    assert stamps == ["14:30", "14:35", "14:40"]


def test_unsupported_timeframe_is_refused() -> None:
    """Week and month bars are not served; the refusal is a 422."""
    with pytest.raises(Refusal) as refused:
        parse_timeframe("1Week")
    assert refused.value.status == 422


def test_fault_spec_round_trips_and_rejects_nonsense() -> None:
    """The issue's example spec parses, prints back canonically, and bad entries name themselves."""
    faults = parse_faults("429=0.3,5xx=0.2,latency=50ms,lost-response=0.1,partial=0.2")
    assert faults == Faults(
        rate_limited=0.3, server_error=0.2, latency=0.05, lost_response=0.1, partial=0.2
    )
    assert parse_faults(faults.spec()) == faults
    assert parse_faults("timeout=0.1,reject=0.1,timeout-hold=2s").timeout_hold == 2.0
    assert parse_faults("") == Faults()
    for bad, word in [("flood=1", "flood"), ("429=2", "429"), ("latency=fast", "latency")]:
        with pytest.raises(ConfigError, match=word):
            parse_faults(bad)


def test_fault_dice_follow_the_probability_and_the_seed() -> None:
    """Draws at 0.3 strike about 30% of the time, and the same seed strikes the same way."""
    first = FaultDice(Faults(server_error=0.3), seed=1)
    second = FaultDice(Faults(server_error=0.3), seed=1)
    draws = [first.strikes("server_error") for _ in range(2000)]
    assert draws == [second.strikes("server_error") for _ in range(2000)]
    assert 0.25 < sum(draws) / len(draws) < 0.35
    assert not FaultDice(Faults(), seed=1).strikes("server_error")


def test_calendar_sessions_around_thanksgiving() -> None:
    """Thanksgiving 2026 is no session; the next day closes at 18:00 UTC (13:00 ET)."""
    calendar = nyse()
    assert calendar.index_of(date(2026, 11, 26)) is None
    index = calendar.index_of(date(2026, 11, 27))
    assert index is not None
    assert calendar.sessions[index].close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


def test_rate_window_counts_a_sliding_minute() -> None:
    """With a limit of 2/minute the third request is refused until the first ages out."""
    window = RateWindow(limit=2)
    assert window.admit(1000.0).remaining == 1
    assert window.admit(1010.0).remaining == 0
    refused = window.admit(1020.0)
    assert not refused.allowed and refused.reset == 1061
    assert window.admit(1060.5).allowed
    unlimited = RateWindow()
    assert all(unlimited.admit(float(n)).allowed for n in range(500))
    assert unlimited.admit(500.0).limit == 200


def test_a_requests_fault_draws_do_not_depend_on_requests_arriving_between() -> None:
    """Each request key has its own draws, so concurrent arrival order cannot move a fault."""
    alone = FaultDice(Faults(rate_limited=0.5), seed=0)
    mixed = FaultDice(Faults(rate_limited=0.5), seed=0)
    expected = [alone.strikes("rate_limited", "GET /v2/assets/SPY") for _ in range(64)]
    seen = []
    for n in range(64):
        for _ in range(n % 3):
            mixed.strikes("rate_limited", "GET /v2/assets/QQQ")
        seen.append(mixed.strikes("rate_limited", "GET /v2/assets/SPY"))
    assert seen == expected
    assert 16 < sum(expected) < 48  # about half strike
