"""Alpaca's market-data routes: bars, latest trades, quotes and bars, snapshots.

Rule: read-only over the price model; no lock needed (one event loop owns it).
"""

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from alchemiser.sim import marketdata, wire
from alchemiser.sim.calendar import NEW_YORK
from alchemiser.sim.handling import EXCHANGE, int_param, parse_time, reply, symbols_param


async def get_bars(request: web.Request) -> web.Response:
    """GET /v2/stocks/bars: several symbols, completed bars only, paginated."""
    exchange = request.app[EXCHANGE]
    symbols = symbols_param(request)
    query = request.query
    now = exchange.clock.now()
    today = now.astimezone(NEW_YORK).date()
    default_start = datetime.combine(today, datetime.min.time(), NEW_YORK).astimezone(UTC)
    window = marketdata.BarQuery(
        symbols=tuple(symbols),
        timeframe=marketdata.parse_timeframe(query.get("timeframe") or ""),
        start=parse_time("start", query.get("start")) or default_start,
        end=parse_time("end", query.get("end")) or now,
        limit=int_param(request, "limit", 1000, 10_000),
        descending=(query.get("sort") or "asc") == "desc",
        page_token=query.get("page_token") or None,
    )
    page = marketdata.bars_page(exchange.prices, window, now)
    return reply(
        {
            "bars": {s: [wire.bar(b) for b in bars] for s, bars in page.bars.items()},
            "next_page_token": page.next_page_token,
            "currency": "USD",
        }
    )


async def latest_trades(request: web.Request) -> web.Response:
    """GET /v2/stocks/trades/latest."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    trades = {}
    for symbol in symbols_param(request):
        last = exchange.prices.last_trade(symbol, now)
        trades[symbol] = wire.trade(last, marketdata.trade_id(symbol, last.timestamp))
    return reply({"trades": trades})


async def latest_quotes(request: web.Request) -> web.Response:
    """GET /v2/stocks/quotes/latest: bid and ask around the last trade."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    quotes = {
        s: wire.quote(exchange.prices.last_trade(s, now), exchange.spread_bps)
        for s in symbols_param(request)
    }
    return reply({"quotes": quotes})


async def latest_bars(request: web.Request) -> web.Response:
    """GET /v2/stocks/bars/latest: the last completed minute bar."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    bars = {}
    for symbol in symbols_param(request):
        bar = marketdata.latest_minute_bar(exchange.prices, symbol, now)
        if bar is not None:
            bars[symbol] = wire.bar(bar)
    return reply({"bars": bars})


async def snapshots(request: web.Request) -> web.Response:
    """GET /v2/stocks/snapshots: latest trade, quote, minute bar and daily bars per symbol."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    body: dict[str, Any] = {}
    for symbol in symbols_param(request):
        last = exchange.prices.last_trade(symbol, now)
        minute = marketdata.latest_minute_bar(exchange.prices, symbol, now)
        pair = marketdata.daily_pair(exchange.prices, symbol, now)
        body[symbol] = {
            "latestTrade": wire.trade(last, marketdata.trade_id(symbol, last.timestamp)),
            "latestQuote": wire.quote(last, exchange.spread_bps),
            "minuteBar": wire.bar(minute) if minute is not None else None,
            "dailyBar": wire.bar(pair.daily) if pair.daily is not None else None,
            "prevDailyBar": wire.bar(pair.previous) if pair.previous is not None else None,
        }
    return reply(body)


ROUTES = [
    web.get("/v2/stocks/bars", get_bars),
    web.get("/v2/stocks/bars/latest", latest_bars),
    web.get("/v2/stocks/trades/latest", latest_trades),
    web.get("/v2/stocks/quotes/latest", latest_quotes),
    web.get("/v2/stocks/snapshots", snapshots),
]
