"""The embedded exchange as the worker uses it: start, trade through alpaca-py, inspect, stop."""

from datetime import timedelta

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import MarketOrderRequest
from sim_support import OPEN_NOW

from alchemiser.sim import embedded


def test_market_order_fills_and_shows_in_orders(
    exchange: embedded.EmbeddedExchange, trading: TradingClient
) -> None:
    """A market buy during the session is accepted, then filled, and listed by `.orders()`."""
    submitted = trading.submit_order(
        MarketOrderRequest(
            symbol="SPY", qty=2, side="buy", time_in_force="day", client_order_id="c1"
        )
    )
    assert submitted.status == "accepted"
    filled = trading.get_order_by_id(submitted.id)
    assert filled.status == "filled"
    assert float(filled.filled_qty or 0) == 2
    listed = exchange.orders()
    assert [o["client_order_id"] for o in listed] == ["c1"]
    assert listed[0]["created_at"] == "2026-11-27T15:00:00.000000Z"
    assert listed[0]["submitted_at"] == "2026-11-27T15:00:00.000000Z"


def test_daily_history_is_long_enough_for_a_200_day_average(
    data: StockHistoricalDataClient,
) -> None:
    """A year of daily bars for several symbols arrives in one call, completed sessions only."""
    bars = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols=["SPY", "TQQQ", "BIL"],
            timeframe=TimeFrame.Day,
            start=OPEN_NOW - timedelta(days=400),
        )
    )
    for symbol in ("SPY", "TQQQ", "BIL"):
        series = bars[symbol]
        assert len(series) > 250
        # The session in progress (2026-11-27) is not complete, so the last bar is the 25th.
        assert series[-1].timestamp.date().isoformat() == "2026-11-25"


def test_stop_releases_the_port() -> None:
    """After stop() the exchange no longer answers, and stopping twice is harmless."""
    running = embedded.start()
    url = running.base_url
    running.stop()
    running.stop()
    client = TradingClient("sim-key-id", "sim-secret-key", paper=True, url_override=url)
    try:
        client.get_clock()
    except OSError:
        return
    raise AssertionError("the stopped exchange still answered")
