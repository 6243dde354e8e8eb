"""Alpaca's JSON shapes: records of the paper exchange rendered as the API returns them.

Rule: pure functions from records to JSON-ready dicts. Trading amounts are
strings (as Alpaca sends them), market data numbers are numbers, trading
timestamps are RFC 3339 in UTC with a `Z`, the clock speaks New York time.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from alchemiser.sim.assets import Asset
from alchemiser.sim.book import AccountView, Valuation
from alchemiser.sim.calendar import NEW_YORK, ClockState, MarketCalendar, Session
from alchemiser.sim.prices import Bar, LastTrade, round_price
from alchemiser.sim.records import Order, Position

_CENT = Decimal("0.01")


def number(value: Decimal | None) -> str | None:
    """A decimal as Alpaca's plain decimal string (no exponent), or None."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def money(value: Decimal) -> str:
    """An amount of dollars with cents."""
    return format(value.quantize(_CENT), "f")


def stamp(value: datetime | None) -> str | None:
    """An instant as RFC 3339 UTC with microseconds and a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def data_stamp(value: datetime) -> str:
    """A market-data timestamp as RFC 3339 UTC, second precision unless finer."""
    moment = value.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_york(value: datetime) -> str:
    """An instant in New York time with its offset, as /v2/clock reports it."""
    return value.astimezone(NEW_YORK).isoformat(timespec="microseconds")


def order(record: Order) -> dict[str, Any]:
    """An order as GET /v2/orders/{id} returns it."""
    return {
        "id": record.id,
        "client_order_id": record.client_order_id,
        "created_at": stamp(record.created_at),
        "updated_at": stamp(record.updated_at),
        "submitted_at": stamp(record.submitted_at),
        "filled_at": stamp(record.filled_at),
        "expired_at": stamp(record.expired_at),
        "canceled_at": stamp(record.canceled_at),
        "failed_at": stamp(record.failed_at),
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": record.asset_id,
        "symbol": record.symbol,
        "asset_class": "us_equity",
        "notional": number(record.notional),
        "qty": number(record.qty),
        "filled_qty": number(record.filled_qty),
        "filled_avg_price": number(record.filled_avg_price),
        "order_class": "simple",
        "order_type": record.type,
        "type": record.type,
        "side": record.side,
        "position_intent": record.position_intent,
        "time_in_force": record.time_in_force,
        "limit_price": number(record.limit_price),
        "stop_price": None,
        "status": record.status,
        "extended_hours": record.extended_hours,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "subtag": None,
        "source": None,
        "expires_at": stamp(record.expires_at),
    }


def asset(record: Asset) -> dict[str, Any]:
    """An asset as GET /v2/assets/{symbol} returns it."""
    return {
        "id": record.id,
        "class": "us_equity",
        "exchange": record.exchange,
        "symbol": record.symbol,
        "name": record.name,
        "status": "active" if record.tradable else "inactive",
        "tradable": record.tradable,
        "marginable": record.marginable,
        "maintenance_margin_requirement": 30,
        "margin_requirement_long": "30",
        "margin_requirement_short": "100",
        "shortable": record.shortable,
        "easy_to_borrow": record.shortable,
        "fractionable": record.fractionable,
        "attributes": ["fractional_eh_enabled"] if record.fractionable else [],
    }


def position(
    record: Position, prices: Valuation, qty_available: Decimal, exchange: str
) -> dict[str, Any]:
    """A position as GET /v2/positions/{symbol} returns it."""
    market_value = record.qty * prices.current_price
    pl = market_value - record.cost_basis
    intraday_base = record.qty * prices.lastday_price
    intraday_pl = market_value - intraday_base
    return {
        "asset_id": record.asset_id,
        "symbol": record.symbol,
        "exchange": exchange,
        "asset_class": "us_equity",
        "asset_marginable": True,
        "qty": number(record.qty),
        "qty_available": number(qty_available),
        "side": "long",
        "avg_entry_price": number((record.cost_basis / record.qty).quantize(Decimal("0.0001"))),
        "market_value": money(market_value),
        "cost_basis": money(record.cost_basis),
        "unrealized_pl": money(pl),
        "unrealized_plpc": _ratio(pl, record.cost_basis),
        "unrealized_intraday_pl": money(intraday_pl),
        "unrealized_intraday_plpc": _ratio(intraday_pl, intraday_base),
        "current_price": number(prices.current_price),
        "lastday_price": number(prices.lastday_price),
        "change_today": _ratio(prices.current_price - prices.lastday_price, prices.lastday_price),
    }


def _ratio(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "0"
    return format((part / whole).quantize(Decimal("0.0000000001")).normalize(), "f")


def account(view: AccountView) -> dict[str, Any]:
    """The account as GET /v2/account returns it (a cash account: multiplier 1)."""
    record = view.account
    equity = money(view.equity)
    buying_power = money(view.buying_power)
    return {
        "id": record.id,
        "account_number": record.account_number,
        "status": "ACTIVE",
        "crypto_status": "INACTIVE",
        "currency": "USD",
        "buying_power": buying_power,
        "regt_buying_power": buying_power,
        "daytrading_buying_power": "0",
        "effective_buying_power": buying_power,
        "non_marginable_buying_power": buying_power,
        "options_buying_power": buying_power,
        "bod_dtbp": "0",
        "cash": money(record.cash),
        "accrued_fees": "0",
        "pending_transfer_in": "0",
        "pending_transfer_out": "0",
        "portfolio_value": equity,
        "pattern_day_trader": False,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "created_at": stamp(record.created_at),
        "trade_suspended_by_user": False,
        "multiplier": "1",
        "shorting_enabled": False,
        "equity": equity,
        "last_equity": money(view.last_equity),
        "long_market_value": money(view.long_market_value),
        "short_market_value": "0",
        "position_market_value": money(view.long_market_value),
        "initial_margin": money(view.long_market_value),
        "maintenance_margin": money(view.long_market_value * Decimal("0.3")),
        "last_maintenance_margin": "0",
        "sma": "0",
        "daytrade_count": 0,
        "balance_asof": view.account.created_at.date().isoformat(),
        "options_approved_level": 0,
        "options_trading_level": 0,
    }


def configurations() -> dict[str, Any]:
    """GET /v2/account/configurations (fixed: fractional on, no shorting)."""
    return {
        "dtbp_check": "entry",
        "trade_confirm_email": "none",
        "suspend_trade": False,
        "no_shorting": True,
        "fractional_trading": True,
        "max_margin_multiplier": "1",
        "max_options_trading_level": 0,
        "pdt_check": "entry",
        "ptp_no_exception_entry": False,
    }


def clock(state: ClockState) -> dict[str, Any]:
    """GET /v2/clock."""
    return {
        "timestamp": new_york(state.timestamp),
        "is_open": state.is_open,
        "next_open": new_york(state.next_open),
        "next_close": new_york(state.next_close),
    }


def calendar_day(session: Session, settlement: date | None) -> dict[str, Any]:
    """One entry of GET /v2/calendar (times are New York wall-clock HH:MM)."""
    early = session.close.astimezone(NEW_YORK).hour < 16
    return {
        "date": session.day.isoformat(),
        "open": session.open.astimezone(NEW_YORK).strftime("%H:%M"),
        "close": session.close.astimezone(NEW_YORK).strftime("%H:%M"),
        "session_open": "0400",
        "session_close": "1700" if early else "2000",
        "settlement_date": (settlement or session.day).isoformat(),
    }


def calendar(calendar: MarketCalendar, start: date, end: date) -> list[dict[str, Any]]:
    """GET /v2/calendar between two dates, settlement on the next session (T+1)."""
    sessions = calendar.between(start, end)
    following = {
        s.day: n.day for s, n in zip(calendar.sessions, calendar.sessions[1:], strict=False)
    }
    return [calendar_day(s, following.get(s.day)) for s in sessions]


def bar(record: Bar) -> dict[str, Any]:
    """One bar in the market data API's short keys."""
    return {
        "t": data_stamp(record.timestamp),
        "o": record.open,
        "h": record.high,
        "l": record.low,
        "c": record.close,
        "v": record.volume,
        "n": record.trade_count,
        "vw": record.vwap,
    }


def trade(record: LastTrade, trade_id: int) -> dict[str, Any]:
    """A latest trade in the market data API's short keys."""
    return {
        "t": stamp(record.timestamp),
        "x": "V",
        "p": record.price,
        "s": 100,
        "c": ["@"],
        "i": trade_id,
        "z": "B",
    }


def quote(record: LastTrade, spread_bps: float) -> dict[str, Any]:
    """A latest quote around the last trade, in the market data API's short keys."""
    half = record.price * spread_bps / 20000.0
    return {
        "t": stamp(record.timestamp),
        "ax": "V",
        "ap": round_price(record.price + half),
        "as": 2,
        "bx": "V",
        "bp": round_price(record.price - half),
        "bs": 3,
        "c": ["R"],
        "z": "B",
    }
