"""Contract tests: alpaca-py, unmodified, against a live `alchemiser sim` process."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
)
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import AssetExchange, AssetStatus, OrderStatus, QueryOrderStatus
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetAssetsRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
)
from sim_support import (
    AFTER_EARLY_CLOSE,
    KEY_ID,
    OPEN_NOW,
    SECRET_KEY,
    THANKSGIVING_NOON,
    SimProcess,
)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    """One `alchemiser sim` process for this module, time fixed at 10:00 ET on 2026-11-27."""
    logs = tmp_path_factory.mktemp("sim")
    process = SimProcess(logs / "sim.log", "--now", OPEN_NOW.isoformat(), "--cash", "100000")
    yield process
    assert process.stop() == 0


@pytest.fixture(autouse=True)
def _calm(sim: SimProcess) -> Iterator[None]:
    """Every test starts and ends with no faults, the original keys and the original time."""
    yield
    sim.admin("faults", {"spec": ""})
    sim.admin("keys", {"key_id": KEY_ID, "secret_key": SECRET_KEY})
    sim.admin("now", {"now": OPEN_NOW.isoformat()})


@pytest.fixture
def trading(sim: SimProcess) -> TradingClient:
    """alpaca-py's trading client against the process."""
    return TradingClient(KEY_ID, SECRET_KEY, paper=True, url_override=sim.base_url)


@pytest.fixture
def data(sim: SimProcess) -> StockHistoricalDataClient:
    """alpaca-py's market data client against the process."""
    return StockHistoricalDataClient(KEY_ID, SECRET_KEY, url_override=sim.base_url)


def _market(symbol: str, client_order_id: str, **amount: float) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol=symbol, side="buy", time_in_force="day", client_order_id=client_order_id, **amount
    )


# ------------------------------------------------------------------ account, clock, calendar


def test_account_and_configurations(trading: TradingClient) -> None:
    """The account reports cash, equity and buying power as decimal strings; configs parse."""
    account = trading.get_account()
    assert account.status == "ACTIVE"
    assert float(account.equity or 0) > 0
    assert float(account.buying_power or 0) <= float(account.cash or 0)
    config = trading.get_account_configurations()
    assert config.fractional_trading is True
    assert config.no_shorting is True


def test_calendar_knows_thanksgiving_and_the_early_close(trading: TradingClient) -> None:
    """Thanksgiving 2026 is absent from /v2/calendar and the next day closes at 13:00 ET."""
    days = trading.get_calendar(
        GetCalendarRequest(start=date(2026, 11, 23), end=date(2026, 11, 30))
    )
    by_date = {d.date: d for d in days}
    assert date(2026, 11, 26) not in by_date
    assert by_date[date(2026, 11, 27)].open == datetime(2026, 11, 27, 9, 30)
    assert by_date[date(2026, 11, 27)].close == datetime(2026, 11, 27, 13, 0)
    assert by_date[date(2026, 11, 25)].close == datetime(2026, 11, 25, 16, 0)
    assert len(days) == 5


def test_clock_on_thanksgiving_during_and_after_the_early_close(
    sim: SimProcess, trading: TradingClient
) -> None:
    """/v2/clock is closed on Thanksgiving, open at 10:00 ET next day and closed again at 14:00."""
    sim.admin("now", {"now": THANKSGIVING_NOON.isoformat()})
    holiday = trading.get_clock()
    assert holiday.is_open is False
    assert holiday.next_open.isoformat() == "2026-11-27T09:30:00-05:00"
    assert holiday.next_close.isoformat() == "2026-11-27T13:00:00-05:00"
    sim.admin("now", {"now": OPEN_NOW.isoformat()})
    session = trading.get_clock()
    assert session.is_open is True
    assert session.next_close.isoformat() == "2026-11-27T13:00:00-05:00"
    assert session.next_open.isoformat() == "2026-11-30T09:30:00-05:00"
    sim.admin("now", {"now": AFTER_EARLY_CLOSE.isoformat()})
    after = trading.get_clock()
    assert after.is_open is False
    assert after.next_open.isoformat() == "2026-11-30T09:30:00-05:00"


# ------------------------------------------------------------------ assets


def test_assets_list_and_get(trading: TradingClient) -> None:
    """/v2/assets lists tradable assets; /v2/assets/{symbol} and by id agree; unknown is 404."""
    listed = {a.symbol: a for a in trading.get_all_assets()}
    assert listed["SPY"].tradable and listed["SPY"].fractionable
    assert listed["BRK.A"].fractionable is False
    nasdaq = trading.get_all_assets(GetAssetsRequest(exchange=AssetExchange.NASDAQ))
    assert nasdaq and {a.exchange for a in nasdaq} == {AssetExchange.NASDAQ}
    inactive = trading.get_all_assets(GetAssetsRequest(status=AssetStatus.INACTIVE))
    assert [a.symbol for a in inactive] == ["ZVZZT"]
    spy = trading.get_asset("SPY")
    assert spy.id == listed["SPY"].id
    assert trading.get_asset(spy.id).symbol == "SPY"
    with pytest.raises(APIError) as missing:
        trading.get_asset("not-a-ticker")
    assert missing.value.status_code == 404


# ------------------------------------------------------------------ orders


def test_market_orders_by_qty_and_notional_fill(trading: TradingClient) -> None:
    """Market orders by qty and by notional are accepted, then filled at the simulated price."""
    by_qty = trading.submit_order(_market("XLK", "cli-qty", qty=3))
    by_notional = trading.submit_order(_market("XLF", "cli-notional", notional=500))
    assert by_qty.status == OrderStatus.ACCEPTED
    assert by_notional.notional == "500"
    filled = trading.get_order_by_id(by_qty.id)
    assert filled.status == OrderStatus.FILLED
    assert float(filled.filled_qty or 0) == 3
    assert float(filled.filled_avg_price or 0) > 0
    notional = trading.get_order_by_client_id("cli-notional")
    assert notional.status == OrderStatus.FILLED
    price = float(notional.filled_avg_price or 0)
    assert abs(float(notional.filled_qty or 0) * price - 500) < 0.01 + price * 1e-9


def test_limit_orders_rest_until_marketable_and_cancel(
    trading: TradingClient, data: StockHistoricalDataClient
) -> None:
    """A limit buy far below the market stays open and cancels with 204; a marketable one fills."""
    resting = trading.submit_order(
        LimitOrderRequest(
            symbol="VTV",
            qty=1,
            side="buy",
            time_in_force="gtc",
            limit_price=1.0,
            client_order_id="cli-rest",
        )
    )
    assert trading.get_order_by_id(resting.id).status == OrderStatus.ACCEPTED
    trading.cancel_order_by_id(resting.id)
    assert trading.get_order_by_id(resting.id).status == OrderStatus.CANCELED
    with pytest.raises(APIError) as again:
        trading.cancel_order_by_id(resting.id)
    assert again.value.status_code == 422
    last = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="VTV"))["VTV"]
    above = round(last.price * 1.01, 2)
    marketable = trading.submit_order(
        LimitOrderRequest(
            symbol="VTV",
            qty=1,
            side="buy",
            time_in_force="day",
            limit_price=above,
            client_order_id="cli-marketable",
        )
    )
    filled = trading.get_order_by_id(marketable.id)
    assert filled.status == OrderStatus.FILLED
    assert last.price <= float(filled.filled_avg_price or 0) < above


def test_duplicate_client_order_id_is_422(trading: TradingClient) -> None:
    """A second order with the same client_order_id is refused with 422, as Alpaca does."""
    trading.submit_order(_market("IEF", "cli-dup", qty=1))
    with pytest.raises(APIError) as duplicate:
        trading.submit_order(_market("IEF", "cli-dup", qty=1))
    assert duplicate.value.status_code == 422
    assert "client_order_id" in duplicate.value.message
    assert len(trading.get_orders(GetOrdersRequest(status="all", symbols=["IEF"]))) == 1


def test_order_list_filters(trading: TradingClient) -> None:
    """GET /v2/orders filters by status, symbols, side, after/until and limit."""
    trading.submit_order(_market("TLT", "cli-list-1", qty=1))
    trading.submit_order(
        LimitOrderRequest(
            symbol="TLT",
            qty=1,
            side="buy",
            time_in_force="gtc",
            limit_price=1.0,
            client_order_id="cli-list-2",
        )
    )
    open_tlt = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, symbols=["TLT"]))
    assert [o.client_order_id for o in open_tlt] == ["cli-list-2"]
    closed = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, symbols=["TLT"]))
    assert [o.client_order_id for o in closed] == ["cli-list-1"]
    everything = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))
    assert len(trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=1))) == 1
    assert len(everything) >= 2
    sells = trading.get_orders(
        GetOrdersRequest(status=QueryOrderStatus.ALL, side="sell", symbols=["TLT"])
    )
    assert sells == []
    later = trading.get_orders(
        GetOrdersRequest(status=QueryOrderStatus.ALL, after=OPEN_NOW + timedelta(seconds=1))
    )
    assert later == []
    earlier = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, until=OPEN_NOW))
    assert earlier == []


def test_cancel_all_orders(trading: TradingClient) -> None:
    """DELETE /v2/orders cancels every open order and reports each with status 200."""
    for n in range(2):
        trading.submit_order(
            LimitOrderRequest(
                symbol="SHY",
                qty=1,
                side="buy",
                time_in_force="gtc",
                limit_price=1.0,
                client_order_id=f"cli-cancel-{n}",
            )
        )
    results = trading.cancel_orders()
    assert len(results) >= 2
    assert all(r.status == 200 for r in results)
    assert trading.get_orders() == []


# ------------------------------------------------------------------ positions


def test_positions_get_close_and_close_all(trading: TradingClient) -> None:
    """Positions list and get after a fill; closing one or all places sell orders that fill."""
    trading.submit_order(_market("BIL", "cli-pos-1", qty=10))
    trading.submit_order(_market("BSV", "cli-pos-2", qty=4))
    trading.get_orders()  # any request lets the book fill the accepted orders
    held = {p.symbol: p for p in trading.get_all_positions()}
    assert float(held["BIL"].qty) == 10
    assert held["BIL"].side == "long"
    assert trading.get_open_position("BSV").qty == "4"
    partial = trading.close_position("BIL", ClosePositionRequest(qty="4"))
    assert partial.side == "sell"
    assert trading.get_open_position("BIL").qty == "6"
    closing = trading.close_all_positions(cancel_orders=True)
    assert {r.symbol for r in closing} >= {"BIL", "BSV"}
    assert all(r.status == 200 for r in closing)
    assert trading.get_all_positions() == []
    with pytest.raises(APIError) as gone:
        trading.get_open_position("BIL")
    assert gone.value.status_code == 404


# ------------------------------------------------------------------ auth


def test_wrong_key_is_401_and_rotation_refuses_the_old_key(sim: SimProcess) -> None:
    """A wrong key is 401; after /admin/keys rotates, the old pair is refused, the new accepted."""
    wrong = TradingClient(KEY_ID, "not-the-secret", paper=True, url_override=sim.base_url)
    with pytest.raises(APIError) as refused:
        wrong.get_account()
    assert refused.value.status_code == 401
    sim.admin("keys", {"key_id": "rotated-id", "secret_key": "rotated-secret"})
    old = TradingClient(KEY_ID, SECRET_KEY, paper=True, url_override=sim.base_url)
    with pytest.raises(APIError) as stale:
        old.get_clock()
    assert stale.value.status_code == 401
    new = TradingClient("rotated-id", "rotated-secret", paper=True, url_override=sim.base_url)
    assert new.get_clock().is_open is True
    data = StockHistoricalDataClient(KEY_ID, SECRET_KEY, url_override=sim.base_url)
    with pytest.raises(APIError) as stale_data:
        data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="SPY"))
    assert stale_data.value.status_code == 401


# ------------------------------------------------------------------ market data


def test_latest_trade_quote_and_snapshot(data: StockHistoricalDataClient) -> None:
    """Latest trade, quote and snapshot for several symbols; the quote straddles the trade."""
    symbols = ["SPY", "QQQ"]
    trades = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=symbols))
    quotes = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=symbols))
    snaps = data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=symbols))
    for symbol in symbols:
        assert quotes[symbol].bid_price <= trades[symbol].price <= quotes[symbol].ask_price
        snap = snaps[symbol]
        assert snap.latest_trade is not None and snap.latest_trade.price == trades[symbol].price
        assert snap.previous_daily_bar is not None
        assert snap.previous_daily_bar.timestamp.date() == date(2026, 11, 25)


def test_bars_are_paginated_with_next_page_token(sim: SimProcess) -> None:
    """Daily bars for several symbols come in pages of `limit`; the pages join into the whole."""
    params = {
        "symbols": "SPY,QQQ,TQQQ",
        "timeframe": "1Day",
        "start": "2026-01-01T00:00:00Z",
        "limit": "100",
    }
    url = f"{sim.base_url}/v2/stocks/bars"
    whole = requests.get(
        url, params={**params, "limit": "10000"}, headers=sim.headers(), timeout=10
    )
    expected = whole.json()["bars"]
    assert whole.json()["next_page_token"] is None
    pages: dict[str, list[dict[str, object]]] = {}
    token = None
    count = 0
    while True:
        query = {**params, **({"page_token": token} if token else {})}
        page = requests.get(url, params=query, headers=sim.headers(), timeout=10).json()
        count += 1
        assert sum(len(v) for v in page["bars"].values()) <= 100
        for symbol, bars in page["bars"].items():
            pages.setdefault(symbol, []).extend(bars)
        token = page["next_page_token"]
        if token is None:
            break
    assert count == -(-sum(len(v) for v in expected.values()) // 100)
    assert pages == expected


def test_alpaca_py_follows_pages_of_minute_bars(
    sim: SimProcess, data: StockHistoricalDataClient
) -> None:
    """alpaca-py gathers >10,000 minute bars over several pages; only completed minutes appear."""
    start = datetime(2026, 10, 26, 13, 0)  # naive UTC, before the open
    bars = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["SPY", "QQQ"], timeframe=TimeFrame.Minute, start=start)
    )
    spy = bars["SPY"]
    # 23 full sessions of 390 minutes from 2026-10-26 to 2026-11-25, plus 30 minutes today.
    assert len(spy) == 23 * 390 + 30
    assert len(bars["QQQ"]) == len(spy)
    assert spy[-1].timestamp.isoformat() == "2026-11-27T14:59:00+00:00"
    daily = data.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=datetime(2026, 11, 25)
        )
    )["SPY"]
    day = [b for b in spy if b.timestamp.date() == date(2026, 11, 25)]
    assert daily[0].open == day[0].open and daily[0].close == day[-1].close
    assert daily[0].high == max(b.high for b in day) and daily[0].low == min(b.low for b in day)


# ------------------------------------------------------------------ faults


def test_fault_429_carries_rate_limit_headers(sim: SimProcess) -> None:
    """With 429=1 every API call is 429 with Alpaca's X-RateLimit headers; admin still works."""
    sim.admin("faults", {"spec": "429=1"})
    response = requests.get(f"{sim.base_url}/v2/clock", headers=sim.headers(), timeout=10)
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Limit"] == "200"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert sim.admin("faults")["spec"] == "429=1"


def test_alpaca_py_retries_a_429(sim: SimProcess, trading: TradingClient) -> None:
    """alpaca-py's own 429 retry succeeds once the rate limit lifts."""
    sim.admin("faults", {"spec": "429=1"})
    lifter = threading.Timer(0.5, sim.admin, args=("faults", {"spec": ""}))
    lifter.start()
    try:
        assert trading.get_clock().is_open is True
    finally:
        lifter.join()


def test_fault_5xx_strikes_before_the_order_is_taken(
    sim: SimProcess, trading: TradingClient
) -> None:
    """With 5xx=1 the order POST fails with 500 and no order exists afterwards."""
    sim.admin("faults", {"spec": "5xx=1"})
    with pytest.raises(APIError) as failure:
        trading.submit_order(_market("SPY", "cli-5xx", qty=1))
    assert failure.value.status_code == 500
    sim.admin("faults", {"spec": ""})
    with pytest.raises(APIError) as missing:
        trading.get_order_by_client_id("cli-5xx")
    assert missing.value.status_code == 404


def test_fault_lost_response_keeps_the_order(sim: SimProcess, trading: TradingClient) -> None:
    """With lost-response=1 the connection drops, yet the order exists and can be looked up."""
    sim.admin("faults", {"spec": "lost-response=1"})
    with pytest.raises(requests.ConnectionError):
        trading.submit_order(_market("UPRO", "cli-lost", qty=1))
    sim.admin("faults", {"spec": ""})
    assert trading.get_order_by_client_id("cli-lost").status == OrderStatus.FILLED


def test_fault_lost_response_5xx_answers_500_yet_keeps_the_order(
    sim: SimProcess, trading: TradingClient
) -> None:
    """With lost-response-5xx=1 the POST answers 500 although the order was taken."""
    sim.admin("faults", {"spec": "lost-response-5xx=1"})
    with pytest.raises(APIError) as failure:
        trading.submit_order(_market("UPRO", "cli-lost-5xx", qty=1))
    assert failure.value.status_code == 500
    sim.admin("faults", {"spec": ""})
    assert trading.get_order_by_client_id("cli-lost-5xx").status == OrderStatus.FILLED


def test_fault_partial_fill_leaves_the_rest_open(sim: SimProcess, trading: TradingClient) -> None:
    """With partial=1 an order fills half and stays partially_filled until cancelled."""
    sim.admin("faults", {"spec": "partial=1"})
    order = trading.submit_order(_market("SPXL", "cli-partial", qty=10))
    sim.admin("faults", {"spec": ""})
    seen = trading.get_order_by_id(order.id)
    assert seen.status == OrderStatus.PARTIALLY_FILLED
    assert seen.filled_qty == "5"
    trading.cancel_order_by_id(order.id)
    done = trading.get_order_by_id(order.id)
    assert done.status == OrderStatus.CANCELED and done.filled_qty == "5"


def test_fault_reject_rejects_after_acceptance(sim: SimProcess, trading: TradingClient) -> None:
    """With reject=1 the POST answers `accepted` and the order is then `rejected`, unfilled."""
    sim.admin("faults", {"spec": "reject=1"})
    order = trading.submit_order(_market("SOXL", "cli-reject", qty=1))
    sim.admin("faults", {"spec": ""})
    assert order.status == OrderStatus.ACCEPTED
    seen = trading.get_order_by_id(order.id)
    assert seen.status == OrderStatus.REJECTED
    assert seen.failed_at is not None and seen.filled_qty == "0"


def test_fault_latency_and_timeout(sim: SimProcess) -> None:
    """latency delays every answer; timeout holds the request past the client's timeout."""
    sim.admin("faults", {"spec": "latency=300ms"})
    began = time.monotonic()
    ok = requests.get(f"{sim.base_url}/v2/clock", headers=sim.headers(), timeout=10)
    assert ok.status_code == 200 and time.monotonic() - began >= 0.3
    sim.admin("faults", {"spec": "timeout=1,timeout-hold=3s"})
    with pytest.raises(requests.Timeout):
        requests.get(f"{sim.base_url}/v2/clock", headers=sim.headers(), timeout=0.5)


def test_bad_fault_spec_is_refused(sim: SimProcess) -> None:
    """/admin/faults refuses an unknown kind with 400 and keeps the previous spec."""
    sim.admin("faults", {"spec": "5xx=0.1"})
    response = requests.post(f"{sim.base_url}/admin/faults", json={"spec": "flood=1"}, timeout=10)
    assert response.status_code == 400
    assert "flood" in response.json()["message"]
    assert sim.admin("faults")["spec"] == "5xx=0.1"


# ------------------------------------------------------------------ state


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    """With --state, a restarted process sees the same orders, positions and cash."""
    state = tmp_path / "book.sqlite"
    args = ("--now", OPEN_NOW.isoformat(), "--state", str(state), "--cash", "50000")
    first = SimProcess(tmp_path / "first.log", *args)
    try:
        client = TradingClient(KEY_ID, SECRET_KEY, paper=True, url_override=first.base_url)
        client.submit_order(_market("QQQ", "state-1", qty=2))
        client.submit_order(
            LimitOrderRequest(
                symbol="QQQ",
                qty=1,
                side="buy",
                time_in_force="gtc",
                limit_price=1.0,
                client_order_id="state-2",
            )
        )
        cash_before = client.get_account().cash
    finally:
        assert first.stop() == 0
    second = SimProcess(tmp_path / "second.log", *args)
    try:
        client = TradingClient(KEY_ID, SECRET_KEY, paper=True, url_override=second.base_url)
        assert client.get_order_by_client_id("state-1").status == OrderStatus.FILLED
        assert client.get_order_by_client_id("state-2").status == OrderStatus.ACCEPTED
        assert client.get_open_position("QQQ").qty == "2"
        assert client.get_account().cash == cash_before
        with pytest.raises(APIError) as duplicate:
            client.submit_order(_market("QQQ", "state-1", qty=1))
        assert duplicate.value.status_code == 422
    finally:
        assert second.stop() == 0


def test_unknown_endpoint_is_a_json_404(sim: SimProcess) -> None:
    """An endpoint the exchange does not serve answers 404 with an Alpaca-style JSON body."""
    response = requests.get(f"{sim.base_url}/v2/watchlists", headers=sim.headers(), timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == 40410000


def test_admin_refuses_malformed_bodies(sim: SimProcess) -> None:
    """/admin answers 400 to a body that is not JSON or a time that does not parse."""
    garbled = requests.post(f"{sim.base_url}/admin/keys", data="{", timeout=10)
    assert garbled.status_code == 400
    bad_time = requests.post(f"{sim.base_url}/admin/now", json={"now": "noonish"}, timeout=10)
    assert bad_time.status_code == 422


def test_secret_key_file_keeps_the_secret_off_the_command_line(tmp_path: Path) -> None:
    """With --secret-key-file the secret comes from the file and the default one is refused."""
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    process = SimProcess(
        tmp_path / "sim.log", "--now", OPEN_NOW.isoformat(), "--secret-key-file", str(secret_file)
    )
    try:
        good = TradingClient(KEY_ID, "from-a-file", paper=True, url_override=process.base_url)
        assert good.get_clock().is_open is True
        bad = TradingClient(KEY_ID, SECRET_KEY, paper=True, url_override=process.base_url)
        with pytest.raises(APIError) as refused:
            bad.get_clock()
        assert refused.value.status_code == 401
    finally:
        assert process.stop() == 0


def test_a_bad_faults_option_stops_the_cli(tmp_path: Path) -> None:
    """`alchemiser sim --faults flood=1` exits 2 and names the unknown fault."""
    result = subprocess.run(
        [sys.executable, "-m", "alchemiser.cli", "sim", "--faults", "flood=1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "flood" in result.stderr
