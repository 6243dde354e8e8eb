"""Alpaca's trading routes: account, clock, calendar, assets, positions and orders.

Rule: every read or change of the book happens under the exchange lock, after
`advance` has filled and expired orders as of the simulated now.
"""

from datetime import date, datetime
from typing import Any

from aiohttp import web

from alchemiser.sim import assets, wire
from alchemiser.sim.exchange import Exchange
from alchemiser.sim.handling import EXCHANGE, drop_connection, int_param, log, parse_time, reply
from alchemiser.sim.orders import Refusal, parse_decimal, parse_order, unprocessable

_ORDER_LIST_DEFAULT = 50
_ORDER_LIST_MAX = 500


async def get_account(request: web.Request) -> web.Response:
    """GET /v2/account."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        return reply(wire.account(exchange.book.view(now)))


async def get_configurations(request: web.Request) -> web.Response:
    """GET /v2/account/configurations."""
    return reply(wire.configurations())


async def get_clock(request: web.Request) -> web.Response:
    """GET /v2/clock."""
    exchange = request.app[EXCHANGE]
    return reply(wire.clock(exchange.calendar.clock(exchange.clock.now())))


async def get_calendar(request: web.Request) -> web.Response:
    """GET /v2/calendar?start=&end= (dates; default: the whole simulated calendar)."""
    exchange = request.app[EXCHANGE]
    sessions = exchange.calendar.sessions
    try:
        start = date.fromisoformat(request.query.get("start") or sessions[0].day.isoformat())
        end = date.fromisoformat(request.query.get("end") or sessions[-1].day.isoformat())
    except ValueError as error:
        raise unprocessable(f"invalid date: {error}") from error
    return reply(wire.calendar(exchange.calendar, start, end))


async def list_assets(request: web.Request) -> web.Response:
    """GET /v2/assets with the status, asset_class and exchange filters."""
    listed = [wire.asset(a) for a in assets.listed()]
    for param, field in (("status", "status"), ("asset_class", "class"), ("exchange", "exchange")):
        wanted = request.query.get(param)
        if wanted:
            listed = [a for a in listed if a[field] == wanted]
    return reply(listed)


async def get_asset(request: web.Request) -> web.Response:
    """GET /v2/assets/{symbol_or_id}."""
    found = assets.lookup_id(request.match_info["symbol"])
    if found is None:
        return reply({"code": 40410000, "message": "asset not found"}, status=404)
    return reply(wire.asset(found))


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
        return reply([_position_body(exchange, s, now) for s in symbols])


async def get_position(request: web.Request) -> web.Response:
    """GET /v2/positions/{symbol_or_asset_id}."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        record = exchange.book.position(request.match_info["symbol"])
        return reply(_position_body(exchange, record.symbol, now))


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
    return reply(body)


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
    return reply(results, status=207)


async def submit_order(request: web.Request) -> web.Response:
    """POST /v2/orders; reject, partial and the two lost-response faults strike here."""
    exchange = request.app[EXCHANGE]
    try:
        body = await request.json()
    except ValueError:
        return reply({"code": 40010000, "message": "request body format is invalid"}, 400)
    intent = parse_order(body)
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        key = intent.client_order_id or ""
        partial = exchange.dice.strikes("partial", key)
        order = exchange.book.submit(intent, now, partial=partial)
        answer = wire.order(order)
        if exchange.dice.strikes("reject", key):
            log.info("fault injected", fault="reject", client_order_id=order.client_order_id)
            exchange.book.reject(order.id, now)
        exchange.book.advance(now)
        lost = exchange.dice.strikes("lost_response", key)
        failed_late = not lost and exchange.dice.strikes("lost_response_5xx", key)
    if lost:
        log.info("fault injected", fault="lost-response", client_order_id=order.client_order_id)
        return drop_connection(request)
    if failed_late:
        log.info("fault injected", fault="lost-response-5xx", client_order_id=order.client_order_id)
        return reply({"code": 50010000, "message": "internal server error occurred"}, 500)
    return reply(answer)


async def list_orders(request: web.Request) -> web.Response:
    """GET /v2/orders with status, limit, after, until, direction, side and symbols."""
    exchange = request.app[EXCHANGE]
    query = request.query
    status = query.get("status") or "open"
    if status not in ("open", "closed", "all"):
        raise unprocessable(f"invalid status: {status}")
    limit = int_param(request, "limit", _ORDER_LIST_DEFAULT, _ORDER_LIST_MAX)
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
        return reply([wire.order(o) for o in chosen[:limit]])


async def cancel_all_orders(request: web.Request) -> web.Response:
    """DELETE /v2/orders: 207 with one status per cancelled order."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        cancelled = exchange.book.cancel_all(now)
        return reply(
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
        return reply(wire.order(exchange.book.by_client_order_id(client_order_id)))


async def get_order(request: web.Request) -> web.Response:
    """GET /v2/orders/{order_id}."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        exchange.book.advance(exchange.clock.now())
        return reply(wire.order(exchange.book.get(request.match_info["order_id"])))


async def cancel_order(request: web.Request) -> web.Response:
    """DELETE /v2/orders/{order_id}: 204, or 404 / 422."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        now = exchange.clock.now()
        exchange.book.advance(now)
        exchange.book.cancel(request.match_info["order_id"], now)
    return web.Response(status=204)


ROUTES = [
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
]
