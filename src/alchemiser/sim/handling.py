"""Shared pieces of the paper exchange's HTTP handlers: the app key, replies, parameters.

Rule: no routes here; translation between HTTP and plain values only.
"""

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from alchemiser.logs import get_logger
from alchemiser.sim import assets
from alchemiser.sim.calendar import NEW_YORK
from alchemiser.sim.exchange import Exchange
from alchemiser.sim.orders import Refusal, unprocessable

EXCHANGE = web.AppKey("exchange", Exchange)

log = get_logger("alchemiser.sim")


def reply(body: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.json_response(body, status=status)


def refusal_reply(refusal: Refusal) -> web.Response:
    """The JSON error Alpaca sends for a refused request."""
    return reply(refusal.body(), status=refusal.status)


def drop_connection(request: web.Request) -> web.Response:
    """Close the socket without answering: the client sees a dropped connection."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError


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


def int_param(request: web.Request, name: str, default: int, most: int) -> int:
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


def symbols_param(request: web.Request) -> list[str]:
    raw = request.query.get("symbols") or ""
    symbols = [s.strip().upper() for s in raw.split(",") if s.strip()]
    if not symbols:
        raise Refusal(400, 40010001, "symbols is required")
    for symbol in symbols:
        if assets.lookup(symbol) is None:
            raise Refusal(400, 40010001, f"invalid symbol: {symbol}")
    return sorted(set(symbols))
