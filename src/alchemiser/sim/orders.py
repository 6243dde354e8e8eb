"""Order requests: parsing a POST /v2/orders body and applying Alpaca's order rules.

Rule: pure; raises Refusal with the HTTP status and body Alpaca would send.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from alchemiser.sim.assets import Asset, lookup

_SIDES = frozenset({"buy", "sell"})
_TYPES = frozenset({"market", "limit"})
_TIME_IN_FORCE = frozenset({"day", "gtc", "ioc", "fok"})
_MAX_CLIENT_ORDER_ID = 128
_QTY_PLACES = 9
_CENT = Decimal("0.01")
_HUNDREDTH_CENT = Decimal("0.0001")


class Refusal(Exception):
    """Raised when the exchange refuses a request; carries Alpaca's status, code and message."""

    def __init__(
        self, status: int, code: int, message: str, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Alpaca returns for this refusal."""
        return {"code": self.code, "message": self.message, **self.extra}


def unprocessable(message: str) -> Refusal:
    """A 422 with Alpaca's generic validation code."""
    return Refusal(422, 40010001, message)


def forbidden(message: str, **extra: Any) -> Refusal:
    """A 403 as Alpaca sends for buying power and quantity checks."""
    return Refusal(403, 40310000, message, extra)


def not_found(message: str) -> Refusal:
    """A 404 as Alpaca sends for unknown orders and positions."""
    return Refusal(404, 40410000, message)


@dataclass(frozen=True)
class OrderIntent:
    """A validated order request, before the book accepts it."""

    asset: Asset
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    client_order_id: str | None
    extended_hours: bool = False
    position_intent: str | None = field(default=None)


def parse_decimal(name: str, value: Any) -> Decimal:
    """A positive finite decimal from a JSON number or string, or a 422."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise unprocessable(f"invalid {name}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise unprocessable(f"invalid {name}") from error
    if not number.is_finite() or number <= 0:
        raise unprocessable(f"{name} must be > 0")
    return number


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise unprocessable(f"invalid {name}")
    return value


def parse_order(body: Any) -> OrderIntent:
    """Validate a POST /v2/orders body against Alpaca's rules for simple equity orders."""
    if not isinstance(body, dict):
        raise Refusal(400, 40010000, "request body format is invalid")
    symbol = _text(body, "symbol")
    if symbol is None:
        raise unprocessable("symbol is required")
    side = _text(body, "side")
    if side not in _SIDES:
        raise unprocessable("invalid side (must be buy or sell)")
    order_type = _text(body, "type") or _text(body, "order_type")
    if order_type not in _TYPES:
        raise unprocessable(f"invalid order type for the paper exchange: {order_type}")
    tif = _text(body, "time_in_force")
    if tif not in _TIME_IN_FORCE:
        raise unprocessable(f"invalid time_in_force for the paper exchange: {tif}")
    order_class = _text(body, "order_class")
    if order_class not in (None, "simple"):
        raise unprocessable(f"order_class {order_class} is not supported by the paper exchange")
    client_order_id = _text(body, "client_order_id")
    if client_order_id is not None and len(client_order_id) > _MAX_CLIENT_ORDER_ID:
        raise unprocessable("client_order_id must be no more than 128 characters")
    asset = lookup(symbol.upper())
    if asset is None:
        raise unprocessable(f'asset "{symbol}" not found')
    if not asset.tradable:
        raise unprocessable(f"asset {asset.symbol} is not tradable")

    qty, notional = _amounts(body, asset, order_type, tif)
    limit_price = _limit_price(body, order_type)
    extended_hours = body.get("extended_hours") is True
    if extended_hours and (order_type != "limit" or tif != "day"):
        raise unprocessable("extended hours order must be DAY limit orders")
    return OrderIntent(
        asset=asset,
        side=side,
        type=order_type,
        time_in_force=tif,
        qty=qty,
        notional=notional,
        limit_price=limit_price,
        client_order_id=client_order_id,
        extended_hours=extended_hours,
        position_intent=_text(body, "position_intent"),
    )


def _amounts(
    body: dict[str, Any], asset: Asset, order_type: str, tif: str
) -> tuple[Decimal | None, Decimal | None]:
    """qty or notional, with Alpaca's rules for notional and fractional orders."""
    has_qty = body.get("qty") not in (None, "")
    has_notional = body.get("notional") not in (None, "")
    if has_qty and has_notional:
        raise unprocessable("only one of qty or notional may be specified")
    if not has_qty and not has_notional:
        raise unprocessable("qty or notional is required")
    qty = parse_decimal("qty", body["qty"]) if has_qty else None
    notional = parse_decimal("notional", body["notional"]) if has_notional else None

    if notional is not None:
        if order_type != "market":
            raise unprocessable("notional orders are only supported for market orders")
        if _places(notional) > 2:
            raise unprocessable("notional must be limited to 2 decimal places")
        if notional < 1:
            raise unprocessable("cost basis must be >= 1")
    fractional = notional is not None or (qty is not None and qty != qty.to_integral_value())
    if qty is not None and _places(qty) > _QTY_PLACES:
        raise unprocessable("qty must be limited to 9 decimal places")
    if fractional and not asset.fractionable:
        raise unprocessable(f"requested asset {asset.symbol} is not fractionable")
    if fractional and tif != "day":
        raise unprocessable("fractional orders must be DAY orders")

    return qty, notional


def _limit_price(body: dict[str, Any], order_type: str) -> Decimal | None:
    """The limit price: required (in whole cents above $1) for limit orders, else absent."""
    limit_price: Decimal | None = None
    raw_limit = body.get("limit_price")
    if order_type == "limit":
        if raw_limit in (None, ""):
            raise unprocessable("limit_price is required for limit orders")
        limit_price = parse_decimal("limit_price", raw_limit)
        tick = _CENT if limit_price >= 1 else _HUNDREDTH_CENT
        if limit_price != limit_price.quantize(tick):
            raise unprocessable(
                "invalid limit_price. sub-penny increment does not fulfill minimum pricing criteria"
            )
    elif raw_limit not in (None, ""):
        raise unprocessable("limit_price is only allowed for limit orders")
    if body.get("stop_price") not in (None, ""):
        raise unprocessable("stop_price is only allowed for stop orders")

    return limit_price
