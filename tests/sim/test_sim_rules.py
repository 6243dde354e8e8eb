"""Alpaca's order rules and fill behaviour, through alpaca-py against the embedded exchange."""

from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderStatus
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest
from sim_support import AFTER_EARLY_CLOSE, OPEN_NOW, THANKSGIVING_NOON

from alchemiser.sim import embedded


def _post(exchange: embedded.EmbeddedExchange, body: dict[str, object]) -> requests.Response:
    headers = {"APCA-API-KEY-ID": exchange.key_id, "APCA-API-SECRET-KEY": exchange.secret_key}
    return requests.post(f"{exchange.base_url}/v2/orders", json=body, headers=headers, timeout=10)


def _order(**fields: object) -> dict[str, object]:
    return {"symbol": "SPY", "side": "buy", "type": "market", "time_in_force": "day", **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"qty": 1, "notional": 10}, "only one of qty or notional"),
        ({}, "qty or notional is required"),
        ({"notional": 100, "type": "limit", "limit_price": 10}, "only supported for market"),
        ({"notional": 100, "time_in_force": "gtc"}, "must be DAY orders"),
        ({"qty": 0.5, "time_in_force": "gtc"}, "must be DAY orders"),
        ({"notional": 100, "symbol": "BRK.A"}, "not fractionable"),
        ({"qty": 0.5, "symbol": "BRK.A"}, "not fractionable"),
        ({"notional": 0.5}, "cost basis must be >= 1"),
        ({"qty": 1, "type": "limit"}, "limit_price is required"),
        ({"qty": 1, "type": "limit", "limit_price": 10.001}, "sub-penny"),
        ({"qty": 1, "limit_price": 10}, "only allowed for limit orders"),
        ({"qty": 1, "type": "stop", "stop_price": 10}, "invalid order type"),
        ({"qty": 1, "symbol": "ZVZZT"}, "not tradable"),
        ({"qty": 1, "client_order_id": "x" * 129}, "no more than 128 characters"),
        ({"qty": -1}, "qty must be > 0"),
    ],
)
def test_invalid_orders_are_422(
    exchange: embedded.EmbeddedExchange, fields: dict[str, object], message: str
) -> None:
    """Each broken Alpaca order rule is refused with 422 and a message naming the rule."""
    response = _post(exchange, _order(**fields))
    assert response.status_code == 422, response.text
    assert message in response.json()["message"]
    assert exchange.orders() == []


def test_fractional_qty_on_a_fractionable_asset_fills(trading: TradingClient) -> None:
    """A fractional DAY market order fills to nine decimals at most."""
    order = trading.submit_order(
        MarketOrderRequest(symbol="QQQ", qty=0.123456789, side="buy", time_in_force="day")
    )
    assert trading.get_order_by_id(order.id).filled_qty == "0.123456789"


def test_buying_power_is_checked_and_reserved(
    exchange: embedded.EmbeddedExchange, trading: TradingClient
) -> None:
    """A buy beyond buying power is 403; an open limit buy reserves its cost."""
    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="SPY", notional=100_001, side="buy", time_in_force="day")
        )
    assert refused.value.status_code == 403
    assert "insufficient buying power" in refused.value.message
    before = Decimal(trading.get_account().buying_power or "0")
    trading.submit_order(
        LimitOrderRequest(symbol="SPY", qty=10, limit_price=1.0, side="buy", time_in_force="gtc")
    )
    after = Decimal(trading.get_account().buying_power or "0")
    assert before - after == Decimal("10.00")


def test_selling_more_than_held_is_403(trading: TradingClient) -> None:
    """Selling more than the available position is 403 with Alpaca's qty message; no shorting."""
    trading.submit_order(MarketOrderRequest(symbol="TLT", qty=3, side="buy", time_in_force="day"))
    trading.get_all_positions()
    with pytest.raises(APIError) as refused:
        trading.submit_order(
            MarketOrderRequest(symbol="TLT", qty=5, side="sell", time_in_force="day")
        )
    assert refused.value.status_code == 403
    assert "insufficient qty available for order (requested: 5, available: 3)" in (
        refused.value.message
    )


def test_sells_realise_cash_and_shrink_the_position(trading: TradingClient) -> None:
    """A sell fills below the buy (spread), returns cash, and leaves the remaining shares."""
    start_cash = Decimal(trading.get_account().cash or "0")
    buy = trading.submit_order(
        MarketOrderRequest(symbol="XLF", qty=4, side="buy", time_in_force="day")
    )
    sell = trading.submit_order(
        MarketOrderRequest(symbol="XLF", qty=1, side="sell", time_in_force="day")
    )
    bought = trading.get_order_by_id(buy.id)
    sold = trading.get_order_by_id(sell.id)
    assert Decimal(str(sold.filled_avg_price)) < Decimal(str(bought.filled_avg_price))
    assert trading.get_open_position("XLF").qty == "3"
    spent = Decimal(str(bought.filled_avg_price)) * 4 - Decimal(str(sold.filled_avg_price))
    cash = Decimal(trading.get_account().cash or "0")
    assert abs(start_cash - cash - spent) <= Decimal("0.02")


def test_market_order_waits_for_the_open_then_fills(
    exchange: embedded.EmbeddedExchange, trading: TradingClient
) -> None:
    """On Thanksgiving a market order is accepted but unfilled; it fills once the market opens."""
    exchange.set_now(THANKSGIVING_NOON)
    order = trading.submit_order(
        MarketOrderRequest(symbol="SPY", qty=1, side="buy", time_in_force="day")
    )
    assert trading.get_order_by_id(order.id).status == OrderStatus.ACCEPTED
    assert order.expires_at is not None
    assert order.expires_at.isoformat() == "2026-11-27T18:00:00+00:00"
    exchange.set_now(OPEN_NOW)
    assert trading.get_order_by_id(order.id).status == OrderStatus.FILLED


def test_day_orders_expire_at_the_early_close(
    exchange: embedded.EmbeddedExchange, trading: TradingClient
) -> None:
    """An unfilled DAY limit order expires at 13:00 ET on 2026-11-27; a GTC one stays open."""
    day = trading.submit_order(
        LimitOrderRequest(symbol="SPY", qty=1, limit_price=1.0, side="buy", time_in_force="day")
    )
    gtc = trading.submit_order(
        LimitOrderRequest(symbol="SPY", qty=1, limit_price=1.0, side="buy", time_in_force="gtc")
    )
    exchange.set_now(AFTER_EARLY_CLOSE)
    expired = trading.get_order_by_id(day.id)
    assert expired.status == OrderStatus.EXPIRED
    assert expired.expired_at is not None
    assert expired.expired_at.isoformat() == "2026-11-27T18:00:00+00:00"
    assert trading.get_order_by_id(gtc.id).status == OrderStatus.ACCEPTED


def test_ioc_that_cannot_fill_is_cancelled(trading: TradingClient) -> None:
    """An IOC limit order that is not marketable is cancelled at once."""
    order = trading.submit_order(
        LimitOrderRequest(symbol="SPY", qty=1, limit_price=1.0, side="buy", time_in_force="ioc")
    )
    assert trading.get_order_by_id(order.id).status == OrderStatus.CANCELED


def test_slippage_moves_market_fills_against_the_taker() -> None:
    """With 50 bps slippage a market buy fills about 0.5% above the no-slippage fill."""
    prices = []
    for slippage in (0.0, 50.0):
        with embedded.start(now=OPEN_NOW, slippage_bps=slippage) as running:
            client = TradingClient(
                running.key_id, running.secret_key, paper=True, url_override=running.base_url
            )
            order = client.submit_order(
                MarketOrderRequest(symbol="SPY", qty=1, side="buy", time_in_force="day")
            )
            prices.append(float(client.get_order_by_id(order.id).filled_avg_price or 0))
    assert prices[1] == pytest.approx(prices[0] * 1.005, rel=1e-4)


def test_fills_are_on_the_quote_and_in_whole_cents(
    trading: TradingClient, data: StockHistoricalDataClient
) -> None:
    """A marketable limit buy fills at the quoted ask (whole cents), a market sell at the bid."""
    quote = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="QQQ"))["QQQ"]
    buy = trading.submit_order(
        LimitOrderRequest(
            symbol="QQQ",
            qty=2,
            limit_price=round(quote.ask_price + 1.0, 2),
            side="buy",
            time_in_force="day",
        )
    )
    sell = trading.submit_order(
        MarketOrderRequest(symbol="QQQ", qty=1, side="sell", time_in_force="day")
    )
    assert trading.get_order_by_id(buy.id).filled_avg_price == str(quote.ask_price)
    assert trading.get_order_by_id(sell.id).filled_avg_price == str(quote.bid_price)


def test_a_partial_notional_buy_reserves_only_what_is_unfilled(
    exchange: embedded.EmbeddedExchange, trading: TradingClient
) -> None:
    """After half of a $1,000 notional buy fills, buying power is cash minus the other half."""
    exchange.set_faults("partial=1")
    order = trading.submit_order(
        MarketOrderRequest(symbol="SPY", notional=1000, side="buy", time_in_force="day")
    )
    exchange.set_faults("")
    seen = trading.get_order_by_id(order.id)
    assert seen.status == OrderStatus.PARTIALLY_FILLED
    spent = Decimal(str(seen.filled_qty)) * Decimal(str(seen.filled_avg_price))
    account = trading.get_account()
    unfilled = Decimal(1000) - spent
    assert abs(Decimal(account.cash or "0") - Decimal(account.buying_power or "0") - unfilled) <= (
        Decimal("0.01")
    )
