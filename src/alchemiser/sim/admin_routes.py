"""The /admin routes: faults, keys, simulated time, price moves and the order log, for tests.

Rule: no Alpaca key; the server's gate lets only loopback peers reach these.
"""

import ipaddress

from aiohttp import web

from alchemiser.errors import ConfigError
from alchemiser.sim import wire
from alchemiser.sim.handling import EXCHANGE, log, parse_time, reply


def is_loopback(request: web.Request) -> bool:
    remote = request.remote
    if remote is None:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


async def admin_health(request: web.Request) -> web.Response:
    """GET /admin/health."""
    return reply({"ok": True})


async def admin_faults(request: web.Request) -> web.Response:
    """GET or POST /admin/faults {"spec": "..."}."""
    exchange = request.app[EXCHANGE]
    if request.method == "POST":
        body = await request.json()
        try:
            exchange.set_faults(str(body.get("spec", "")))
        except ConfigError as error:
            return reply({"message": str(error)}, status=400)
    return reply({"spec": exchange.faults.spec()})


async def admin_keys(request: web.Request) -> web.Response:
    """POST /admin/keys {"key_id": ..., "secret_key": ...}: rotate the key pair."""
    exchange = request.app[EXCHANGE]
    body = await request.json()
    key_id, secret_key = body.get("key_id"), body.get("secret_key")
    if not isinstance(key_id, str) or not isinstance(secret_key, str) or not key_id:
        return reply({"message": "key_id and secret_key are required"}, status=400)
    exchange.rotate_keys(key_id, secret_key)
    log.info("keys rotated")
    return reply({"rotated": True})


async def admin_now(request: web.Request) -> web.Response:
    """GET or POST /admin/now {"now": RFC 3339 or null}."""
    exchange = request.app[EXCHANGE]
    if request.method == "POST":
        body = await request.json()
        text = body.get("now")
        async with exchange.lock:
            exchange.set_now(parse_time("now", text) if text else None)
    return reply(
        {"now": wire.stamp(exchange.clock.now()), "fixed": exchange.clock.fixed is not None}
    )


async def admin_prices(request: web.Request) -> web.Response:
    """GET or POST /admin/prices {"moves": {"SPY": 0.9}}: scale symbols' latest trades.

    A factor of 1 removes a symbol's move; factors must lie in (0, 10].
    """
    exchange = request.app[EXCHANGE]
    if request.method == "POST":
        body = await request.json()
        moves = body.get("moves") if isinstance(body, dict) else None
        if not isinstance(moves, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) and 0 < v <= 10
            for k, v in moves.items()
        ):
            return reply({"message": "moves must map symbols to factors in (0, 10]"}, status=400)
        async with exchange.lock:
            for symbol, factor in moves.items():
                if factor == 1:
                    exchange.prices.moves.pop(symbol, None)
                else:
                    exchange.prices.moves[symbol] = float(factor)
        log.info("price moves set", moves=dict(exchange.prices.moves))
    return reply({"moves": dict(exchange.prices.moves)})


async def admin_orders(request: web.Request) -> web.Response:
    """GET /admin/orders: every order, oldest first, as the API returns them."""
    exchange = request.app[EXCHANGE]
    async with exchange.lock:
        exchange.book.advance(exchange.clock.now())
        return reply([wire.order(o) for o in exchange.book.sorted_orders()])


ROUTES = [
    web.get("/admin/health", admin_health),
    web.get("/admin/faults", admin_faults),
    web.post("/admin/faults", admin_faults),
    web.post("/admin/keys", admin_keys),
    web.get("/admin/now", admin_now),
    web.post("/admin/now", admin_now),
    web.get("/admin/orders", admin_orders),
    web.get("/admin/prices", admin_prices),
    web.post("/admin/prices", admin_prices),
]
