"""The HTTP face of the paper exchange: Alpaca's trading and market-data routes, plus /admin.

Rule: handlers translate HTTP to Exchange calls and back; faults are injected
here, before a request reaches the book (429, 5xx, timeout, latency) or after
the order exists (lost response). /admin needs no key but answers loopback only.
"""

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import structlog
from aiohttp import web

from alchemiser.errors import ConfigError
from alchemiser.sim import assets, marketdata, wire
from alchemiser.sim.calendar import NEW_YORK
from alchemiser.sim.exchange import Exchange
from alchemiser.sim.orders import Refusal, parse_decimal, parse_order, unprocessable

EXCHANGE = web.AppKey("exchange", Exchange)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# alchemiser.logs.get_logger passes `logger=` to structlog, which clashes; bind a name instead.
_log = structlog.get_logger(logger_name=__name__)
_ORDER_LIST_DEFAULT = 50
_ORDER_LIST_MAX = 500


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _refusal(refusal: Refusal) -> web.Response:
    return _json(refusal.body(), status=refusal.status)


def _rate_limited(headers: dict[str, str]) -> web.Response:
    body = {"code": 42910000, "message": "rate limit exceeded"}
    return web.json_response(body, status=429, headers=headers)


def _drop_connection(request: web.Request) -> web.Response:
    """Close the socket without answering: the client sees a dropped connection."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError


def _is_loopback(request: web.Request) -> bool:
    remote = request.remote
    if remote is None:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


@web.middleware
async def _gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Admin is loopback-only; the Alpaca API needs the key pair, then meets the faults."""
    exchange = request.app[EXCHANGE]
    if request.path.startswith("/admin"):
        if not _is_loopback(request):
            return _json({"message": "admin is loopback only"}, status=403)
        try:
            return await handler(request)
        except (ValueError, ConfigError) as error:
            return _json({"message": f"bad admin request: {error}"}, status=400)
        except Refusal as refusal:
            return _refusal(refusal)
    presented_id = request.headers.get("APCA-API-KEY-ID")
    presented_secret = request.headers.get("APCA-API-SECRET-KEY")
    if not exchange.credentials.accepts(presented_id, presented_secret):
        return _json({"code": 40110000, "message": "request is not authorized"}, status=401)
    faults = exchange.faults
    if faults.latency > 0:
        await asyncio.sleep(faults.latency)
    if exchange.dice.strikes("timeout"):
        _log.info("fault injected", fault="timeout", path=request.path)
        await asyncio.sleep(faults.timeout_hold)
        return _drop_connection(request)
    rate = exchange.rate.admit(time.time())
    if not rate.allowed:
        return _rate_limited(rate.headers())
    if exchange.dice.strikes("rate_limited"):
        _log.info("fault injected", fault="429", path=request.path)
        return _rate_limited(exchange.rate.exhausted(time.time()).headers())
    if exchange.dice.strikes("server_error"):
        _log.info("fault injected", fault="5xx", path=request.path)
        return _json({"code": 50010000, "message": "internal server error occurred"}, 500)
    try:
        response = await handler(request)
    except Refusal as refusal:
        response = _refusal(refusal)
    except web.HTTPNotFound:
        response = _json({"code": 40410000, "message": "endpoint not found"}, status=404)
    except web.HTTPMethodNotAllowed:
        response = _json({"code": 40510000, "message": "method not allowed"}, status=405)
    response.headers.update(rate.headers())
    return response


# ------------------------------------------------------------------ parsing


def parse_time(name: str, text: str | None) -> datetime | None:
    """An RFC 3339 instant or a YYYY-MM-DD date (midnight New York); naive means UTC."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, datetime.min.time(), NEW_YORK).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise unprocessable(f"invalid {name}: {text}") from error
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _int_param(request: web.Request, name: str, default: int, most: int) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as error:
        raise unprocessable(f"invalid {name}: {text}") from error
    if value < 1:
        raise unprocessable(f"{name} must be > 0")
    return min(value, most)


# ------------------------------------------------------------------ trading


async def get_account(request: web.Request) -> web.Response:
    """GET /v2/account."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        return _json(wire.account(exchange.book.view(now)))


async def get_configurations(request: web.Request) -> web.Response:
    """GET /v2/account/configurations."""
    return _json(wire.configurations())


async def get_clock(request: web.Request) -> web.Response:
    """GET /v2/clock."""
    exchange = request.app[EXCHANGE]
    return _json(wire.clock(exchange.calendar.clock(exchange.clock.now())))


async def get_calendar(request: web.Request) -> web.Response:
    """GET /v2/calendar?start=&end= (dates; default: the whole simulated calendar)."""
    exchange = request.app[EXCHANGE]
    sessions = exchange.calendar.sessions
    try:
        start = date.fromisoformat(request.query.get("start") or sessions[0].day.isoformat())
        end = date.fromisoformat(request.query.get("end") or sessions[-1].day.isoformat())
    except ValueError as error:
        raise unprocessable(f"invalid date: {error}") from error
    return _json(wire.calendar(exchange.calendar, start, end))


async def list_assets(request: web.Request) -> web.Response:
    """GET /v2/assets (status and asset_class filters)."""
    status = request.query.get("status")
    asset_class = request.query.get("asset_class")
    listed = [wire.asset(a) for a in assets.listed()]
    if status:
        listed = [a for a in listed if a["status"] == status]
    if asset_class:
        listed = [a for a in listed if a["class"] == asset_class]
    return _json(listed)


async def get_asset(request: web.Request) -> web.Response:
    """GET /v2/assets/{symbol_or_id}."""
    found = assets.lookup_id(request.match_info["symbol"])
    if found is None:
        return _json({"code": 40410000, "message": "asset not found"}, status=404)
    return _json(wire.asset(found))


def _position_body(exchange: Exchange, symbol: str, now: datetime) -> dict[str, Any]:
    book = exchange.book
    record = book.positions[symbol]
    available = record.qty - book.held_for_sells(symbol, now)
    listed = assets.lookup(symbol)
    venue = listed.exchange if listed is not None else "NYSE"
    return wire.position(record, book.valuation(symbol, now), available, venue)


async def list_positions(request: web.Request) -> web.Response:
    """GET /v2/positions."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        symbols = sorted(exchange.book.positions)
        return _json([_position_body(exchange, s, now) for s in symbols])


async def get_position(request: web.Request) -> web.Response:
    """GET /v2/positions/{symbol_or_asset_id}."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        record = exchange.book.position(request.match_info["symbol"])
        return _json(_position_body(exchange, record.symbol, now))


async def close_position(request: web.Request) -> web.Response:
    """DELETE /v2/positions/{symbol}: a market order selling all, `qty` or `percentage`."""
    exchange = request.app[EXCHANGE]
    qty_text = request.query.get("qty")
    percentage_text = request.query.get("percentage")
    qty = parse_decimal("qty", qty_text) if qty_text else None
    percentage = parse_decimal("percentage", percentage_text) if percentage_text else None
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        order = exchange.book.close_position(
            request.match_info["symbol"], now, qty=qty, percentage=percentage
        )
        body = wire.order(order)
        exchange.book.advance(now)
    return _json(body)


async def close_all_positions(request: web.Request) -> web.Response:
    """DELETE /v2/positions: 207 with one result per position."""
    exchange = request.app[EXCHANGE]
    cancel = request.query.get("cancel_orders", "").lower() == "true"
    results: list[dict[str, Any]] = []
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        if cancel:
            exchange.book.cancel_all(now)
        for symbol in sorted(exchange.book.positions):
            try:
                order = exchange.book.close_position(symbol, now)
            except Refusal as refusal:
                results.append({"symbol": symbol, "status": refusal.status, "body": refusal.body()})
                continue
            results.append({"symbol": symbol, "status": 200, "body": wire.order(order)})
        exchange.book.advance(now)
    return _json(results, status=207)


async def submit_order(request: web.Request) -> web.Response:
    """POST /v2/orders; reject, partial and lost-response faults strike here."""
    exchange = request.app[EXCHANGE]
    try:
        body = await request.json()
    except ValueError:
        return _json({"code": 40010000, "message": "request body format is invalid"}, 400)
    intent = parse_order(body)
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        partial = exchange.dice.strikes("partial")
        order = exchange.book.submit(intent, now, partial=partial)
        answer = wire.order(order)
        if exchange.dice.strikes("reject"):
            _log.info("fault injected", fault="reject", client_order_id=order.client_order_id)
            exchange.book.reject(order.id, now)
        exchange.book.advance(now)
        lost = exchange.dice.strikes("lost_response")
    if lost:
        _log.info("fault injected", fault="lost-response", client_order_id=order.client_order_id)
        return _drop_connection(request)
    return _json(answer)


async def list_orders(request: web.Request) -> web.Response:
    """GET /v2/orders with status, limit, after, until, direction, side and symbols."""
    exchange = request.app[EXCHANGE]
    query = request.query
    status = query.get("status") or "open"
    if status not in ("open", "closed", "all"):
        raise unprocessable(f"invalid status: {status}")
    limit = _int_param(request, "limit", _ORDER_LIST_DEFAULT, _ORDER_LIST_MAX)
    after = parse_time("after", query.get("after"))
    until = parse_time("until", query.get("until"))
    direction = query.get("direction") or "desc"
    side = query.get("side")
    symbols = {s.strip().upper() for s in (query.get("symbols") or "").split(",") if s.strip()}
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        orders = exchange.book.sorted_orders()
        chosen = [
            o
            for o in orders
            if (status == "all" or (status == "open") == o.is_open)
            and (after is None or o.submitted_at > after)
            and (until is None or o.submitted_at < until)
            and (side is None or o.side == side)
            and (not symbols or o.symbol in symbols)
        ]
        if direction == "desc":
            chosen.reverse()
        return _json([wire.order(o) for o in chosen[:limit]])


async def cancel_all_orders(request: web.Request) -> web.Response:
    """DELETE /v2/orders: 207 with one status per cancelled order."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        cancelled = exchange.book.cancel_all(now)
        return _json(
            [{"id": o.id, "status": 200, "body": wire.order(o)} for o in cancelled], status=207
        )


async def get_order_by_client_id(request: web.Request) -> web.Response:
    """GET /v2/orders:by_client_order_id?client_order_id=."""
    exchange = request.app[EXCHANGE]
    client_order_id = request.query.get("client_order_id")
    if not client_order_id:
        raise unprocessable("client_order_id is required")
    async with exchange.lock:
        exchange.book.advance(exchange.clock.now())
        return _json(wire.order(exchange.book.by_client_order_id(client_order_id)))


async def get_order(request: web.Request) -> web.Response:
    """GET /v2/orders/{order_id}."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        exchange.book.advance(exchange.clock.now())
        return _json(wire.order(exchange.book.get(request.match_info["order_id"])))


async def cancel_order(request: web.Request) -> web.Response:
    """DELETE /v2/orders/{order_id}: 204, or 404 / 422."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        exchange.book.cancel(request.match_info["order_id"], now)
    return web.Response(status=204)


# ------------------------------------------------------------------ market data


def _symbols(request: web.Request) -> list[str]:
    raw = request.query.get("symbols") or ""
    symbols = [s.strip().upper() for s in raw.split(",") if s.strip()]
    if not symbols:
        raise Refusal(400, 40010001, "symbols is required")
    for symbol in symbols:
        if assets.lookup(symbol) is None:
            raise Refusal(400, 40010001, f"invalid symbol: {symbol}")
    return sorted(set(symbols))


async def get_bars(request: web.Request) -> web.Response:
    """GET /v2/stocks/bars: several symbols, completed bars only, paginated."""
    exchange = request.app[EXCHANGE]
    symbols = _symbols(request)
    query = request.query
    now = exchange.clock.now()
    today = now.astimezone(NEW_YORK).date()
    default_start = datetime.combine(today, datetime.min.time(), NEW_YORK).astimezone(UTC)
    window = marketdata.BarQuery(
        symbols=tuple(symbols),
        timeframe=marketdata.parse_timeframe(query.get("timeframe") or ""),
        start=parse_time("start", query.get("start")) or default_start,
        end=parse_time("end", query.get("end")) or now,
        limit=_int_param(request, "limit", 1000, 10_000),
        descending=(query.get("sort") or "asc") == "desc",
        page_token=query.get("page_token") or None,
    )
    page = marketdata.bars_page(exchange.prices, window, now)
    return _json(
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
    for symbol in _symbols(request):
        last = exchange.prices.last_trade(symbol, now)
        trades[symbol] = wire.trade(last, marketdata.trade_id(symbol, last.timestamp))
    return _json({"trades": trades})


async def latest_quotes(request: web.Request) -> web.Response:
    """GET /v2/stocks/quotes/latest: bid and ask around the last trade."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    quotes = {
        s: wire.quote(exchange.prices.last_trade(s, now), exchange.spread_bps)
        for s in _symbols(request)
    }
    return _json({"quotes": quotes})


async def latest_bars(request: web.Request) -> web.Response:
    """GET /v2/stocks/bars/latest: the last completed minute bar."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    bars = {}
    for symbol in _symbols(request):
        bar = marketdata.latest_minute_bar(exchange.prices, symbol, now)
        if bar is not None:
            bars[symbol] = wire.bar(bar)
    return _json({"bars": bars})


async def snapshots(request: web.Request) -> web.Response:
    """GET /v2/stocks/snapshots: latest trade, quote, minute bar and daily bars per symbol."""
    exchange = request.app[EXCHANGE]
    now = exchange.clock.now()
    body: dict[str, Any] = {}
    for symbol in _symbols(request):
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
    return _json(body)


# ------------------------------------------------------------------ admin


async def admin_health(request: web.Request) -> web.Response:
    """GET /admin/health."""
    return _json({"ok": True})


async def admin_faults(request: web.Request) -> web.Response:
    """GET or POST /admin/faults {"spec": "..."}."""
    exchange = request.app[EXCHANGE]
    if request.method == "POST":
        body = await request.json()
        try:
            exchange.set_faults(str(body.get("spec", "")))
        except ConfigError as error:
            return _json({"message": str(error)}, status=400)
    return _json({"spec": exchange.faults.spec()})


async def admin_keys(request: web.Request) -> web.Response:
    """POST /admin/keys {"key_id": ..., "secret_key": ...}: rotate the key pair."""
    exchange = request.app[EXCHANGE]
    body = await request.json()
    key_id, secret_key = body.get("key_id"), body.get("secret_key")
    if not isinstance(key_id, str) or not isinstance(secret_key, str) or not key_id:
        return _json({"message": "key_id and secret_key are required"}, status=400)
    exchange.rotate_keys(key_id, secret_key)
    _log.info("keys rotated")
    return _json({"rotated": True})


async def admin_now(request: web.Request) -> web.Response:
    """GET or POST /admin/now {"now": RFC 3339 or null}."""
    exchange = request.app[EXCHANGE]
    if request.method == "POST":
        body = await request.json()
        text = body.get("now")
        async with exchange.lock:
            exchange.set_now(parse_time("now", text) if text else None)
    return _json(
        {"now": wire.stamp(exchange.clock.now()), "fixed": exchange.clock.fixed is not None}
    )


async def admin_orders(request: web.Request) -> web.Response:
    """GET /admin/orders: every order, oldest first, as the API returns them."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        exchange.book.advance(exchange.clock.now())
        return _json([wire.order(o) for o in exchange.book.sorted_orders()])


def build_app(exchange: Exchange) -> web.Application:
    """The aiohttp application serving `exchange`."""
    app = web.Application(middlewares=[_gate])
    app[EXCHANGE] = exchange
    routes = [
        web.get("/v2/account", get_account),
        web.get("/v2/account/configurations", get_configurations),
        web.get("/v2/clock", get_clock),
        web.get("/v2/calendar", get_calendar),
        web.get("/v2/assets", list_assets),
        web.get("/v2/assets/{symbol}", get_asset),
        web.get("/v2/positions", list_positions),
        web.delete("/v2/positions", close_all_positions),
        web.get("/v2/positions/{symbol}", get_position),
        web.delete("/v2/positions/{symbol}", close_position),
        web.post("/v2/orders", submit_order),
        web.get("/v2/orders", list_orders),
        web.delete("/v2/orders", cancel_all_orders),
        web.get("/v2/orders:by_client_order_id", get_order_by_client_id),
        web.get("/v2/orders/{order_id}", get_order),
        web.delete("/v2/orders/{order_id}", cancel_order),
        web.get("/v2/stocks/bars", get_bars),
        web.get("/v2/stocks/bars/latest", latest_bars),
        web.get("/v2/stocks/trades/latest", latest_trades),
        web.get("/v2/stocks/quotes/latest", latest_quotes),
        web.get("/v2/stocks/snapshots", snapshots),
        web.get("/admin/health", admin_health),
        web.get("/admin/faults", admin_faults),
        web.post("/admin/faults", admin_faults),
        web.post("/admin/keys", admin_keys),
        web.get("/admin/now", admin_now),
        web.post("/admin/now", admin_now),
        web.get("/admin/orders", admin_orders),
    ]
    app.add_routes(routes)
    return app
