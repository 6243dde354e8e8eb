"""The HTTP face of the paper exchange: Alpaca's trading and market-data routes, plus /admin.

Rule: the gate authenticates and injects faults before a request reaches the book
(429, 5xx, timeout, latency); handlers live in trading_routes, data_routes and
admin_routes. /admin needs no key but answers loopback peers only.
"""

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from alchemiser.errors import ConfigError
from alchemiser.sim import admin_routes, data_routes, trading_routes
from alchemiser.sim.exchange import Exchange
from alchemiser.sim.handling import EXCHANGE, drop_connection, log, refusal_reply, reply
from alchemiser.sim.orders import Refusal

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _rate_limited(headers: dict[str, str]) -> web.Response:
    body = {"code": 42910000, "message": "rate limit exceeded"}
    return web.json_response(body, status=429, headers=headers)


@web.middleware
async def _gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Admin is loopback-only; the Alpaca API needs the key pair, then meets the faults."""
    exchange = request.app[EXCHANGE]
    if request.path.startswith("/admin"):
        if not admin_routes.is_loopback(request):
            return reply({"message": "admin is loopback only"}, status=403)
        try:
            return await handler(request)
        except (ValueError, ConfigError) as error:
            return reply({"message": f"bad admin request: {error}"}, status=400)
        except Refusal as refusal:
            return refusal_reply(refusal)
    presented_id = request.headers.get("APCA-API-KEY-ID")
    presented_secret = request.headers.get("APCA-API-SECRET-KEY")
    if not exchange.credentials.accepts(presented_id, presented_secret):
        return reply({"code": 40110000, "message": "request is not authorized"}, status=401)
    faults = exchange.faults
    if faults.latency > 0:
        await asyncio.sleep(faults.latency)
    key = await _request_key(request)
    if exchange.dice.strikes("timeout", key):
        log.info("fault injected", fault="timeout", path=request.path)
        await asyncio.sleep(faults.timeout_hold)
        return drop_connection(request)
    rate = exchange.rate.admit(time.time())
    if not rate.allowed:
        return _rate_limited(rate.headers())
    if exchange.dice.strikes("rate_limited", key):
        log.info("fault injected", fault="429", path=request.path)
        return _rate_limited(exchange.rate.exhausted(time.time()).headers())
    if exchange.dice.strikes("server_error", key):
        log.info("fault injected", fault="5xx", path=request.path)
        return reply({"code": 50010000, "message": "internal server error occurred"}, 500)
    try:
        response = await handler(request)
    except Refusal as refusal:
        response = refusal_reply(refusal)
    except web.HTTPNotFound:
        response = reply({"code": 40410000, "message": "endpoint not found"}, status=404)
    except web.HTTPMethodNotAllowed:
        response = reply({"code": 40510000, "message": "method not allowed"}, status=405)
    response.headers.update(rate.headers())
    return response


async def _request_key(request: web.Request) -> str:
    """Names a request for the fault draws: method, path, query and a digest of its body."""
    body = await request.read() if request.can_read_body else b""
    digest = hashlib.blake2b(body, digest_size=8).hexdigest()
    return f"{request.method} {request.path_qs} {digest}"


def build_app(exchange: Exchange) -> web.Application:
    """The aiohttp application serving `exchange`."""
    app = web.Application(middlewares=[_gate])
    app[EXCHANGE] = exchange
    app.add_routes([*trading_routes.ROUTES, *data_routes.ROUTES, *admin_routes.ROUTES])
    return app
