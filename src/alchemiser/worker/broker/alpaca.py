"""The Alpaca adapter of the broker port, built on alpaca-py used as published.

Rule: the only module that imports alpaca (and the requests it runs on). Every call
has a timeout; alpaca-py's own sleep-and-retry is switched off so that retries are
ours (tenacity, bounded, retryable errors only, reads only: an order is retried by
the execution layer with the same client order id). Credentials are read from their
source when the clients are built and again after a 401/403. Foreign errors become
BrokerUnavailable, OrderRejected, CredentialsError or DataUnavailable here.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

import requests
from alpaca.common.enums import Sort
from alpaca.common.exceptions import APIError
from alpaca.data.enums import Adjustment
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import GetOrdersRequest, LimitOrderRequest, MarketOrderRequest
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from alchemiser.errors import (
    BrokerUnavailable,
    CredentialsError,
    DataUnavailable,
    OrderRejected,
    Retryable,
)
from alchemiser.logs import get_logger
from alchemiser.worker.broker.pacing import Pacer
from alchemiser.worker.broker.port import (
    Account,
    Asset,
    Bar,
    BrokerClock,
    BrokerOrder,
    OrderKind,
    OrderRequest,
    Position,
    Side,
)
from alchemiser.worker.credentials import Credentials

log = get_logger(__name__)

# Symbols per market-data request: a few requests for any realistic portfolio.
SYMBOLS_PER_REQUEST = 100
ORDERS_PAGE = 500
ASSET_LOOKUPS_IN_FLIGHT = 8
MAX_ORDER_PAGES = 20


class CredentialSource(Protocol):
    """Anything that can read the current key pair (a mounted Secret directory, a test)."""

    def read(self) -> Credentials:
        """Return the key pair as it is now."""
        ...


class _TimeoutAdapter(HTTPAdapter):
    """Applies a default (connect, read) timeout and the rate-limit pacing to every request."""

    def __init__(self, timeout: float, pool_size: int, pacer: Pacer) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self._timeout = timeout
        self._pacer = pacer

    def send(  # noqa: PLR0917 - requests' own signature
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        if timeout is None:
            timeout = (min(self._timeout, 5.0), self._timeout)
        self._pacer.before()
        response = super().send(request, stream, timeout, verify, cert, proxies)
        self._pacer.after(response.status_code, response.headers)
        return response


def _harden(client: Any, timeout: float, pool_size: int, pacer: Pacer) -> None:
    # alpaca-py 0.44 sends without a timeout and sleeps 3 s between its own retries
    # of 429/504; both are configured here, on the client's own attributes, without
    # changing the library. tests/worker/test_alpaca_adapter.py fails if they move.
    adapter = _TimeoutAdapter(timeout, pool_size, pacer)
    client._session.mount("http://", adapter)
    client._session.mount("https://", adapter)
    client._retry = 0


class _Clients:
    # Both clients run with raw_data=True, so their methods return plain JSON values.
    def __init__(self, trading: Any, data: Any) -> None:
        self.trading = trading
        self.data = data


class AlpacaBroker:
    """The broker port over Alpaca's trading and market-data HTTP APIs."""

    def __init__(
        self,
        credentials: CredentialSource,
        *,
        base_url: str,
        data_url: str | None = None,
        timeout: float = 10.0,
        read_attempts: int = 4,
        pool_size: int = 16,
    ) -> None:
        self._source = credentials
        # One pacer per API: Alpaca limits trading and market-data requests separately.
        self.pacers = (Pacer(), Pacer())
        self._base_url = base_url.rstrip("/")
        self._data_url = (data_url or base_url).rstrip("/")
        self._timeout = timeout
        self._read_attempts = read_attempts
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._clients: _Clients | None = None

    # -- clients and error translation -------------------------------------------------

    def _current(self, *, refresh: bool = False) -> _Clients:
        # Credentials are read when the clients are built and again after a 401/403
        # (refresh), never on every call: a key that still works is kept until the
        # broker refuses it, so a Secret updated before the broker accepts the new
        # key does not fail the run.
        with self._lock:
            clients = self._clients
            if refresh or clients is None:
                credentials = self._source.read()
                # Raw dicts, parsed below: stable across alpaca-py releases.
                trading = TradingClient(
                    credentials.key_id,
                    credentials.secret_key,
                    url_override=self._base_url,
                    raw_data=True,
                )
                data = StockHistoricalDataClient(
                    credentials.key_id,
                    credentials.secret_key,
                    url_override=self._data_url,
                    raw_data=True,
                )
                _harden(trading, self._timeout, self._pool_size, self.pacers[0])
                _harden(data, self._timeout, self._pool_size, self.pacers[1])
                clients = _Clients(trading, data)
                self._clients = clients
            return clients

    def _call(self, what: str, fn: Callable[[_Clients], Any], *, order: bool = False) -> Any:
        """Run one broker call, re-reading credentials once after a 401/403."""
        for attempt in (1, 2):
            clients = self._current(refresh=attempt == 2)
            try:
                return fn(clients)
            except APIError as error:
                status = error.status_code
                if status in (401, 403) and attempt == 1:
                    log.warning("broker refused the credentials; re-read them", call=what)
                    continue
                raise _translate(what, error, order=order) from None
            except requests.Timeout:
                raise BrokerUnavailable(f"{what}: timed out after {self._timeout}s") from None
            except requests.RequestException as error:
                raise BrokerUnavailable(f"{what}: {type(error).__name__}") from None
            except ValueError as error:
                # A body that is not the JSON alpaca-py expects (cut-off response).
                raise BrokerUnavailable(f"{what}: malformed response ({error})") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, what: str, fn: Callable[[_Clients], Any]) -> Any:
        """A read: idempotent, so retried on retryable failures, bounded."""
        retrying = Retrying(
            retry=retry_if_exception_type(Retryable),
            stop=stop_after_attempt(self._read_attempts) | stop_after_delay(self._timeout * 3),
            wait=wait_random_exponential(multiplier=0.05, max=1.0),
            reraise=True,
        )
        return retrying(self._call, what, fn)

    # -- the port ----------------------------------------------------------------------

    def account(self) -> Account:
        """Return the account figures."""
        raw = self._read("account", lambda c: c.trading.get_account())
        return Account(
            equity=_num(raw, "equity"),
            cash=_num(raw, "cash"),
            buying_power=_num(raw, "buying_power"),
            trading_blocked=bool(raw.get("trading_blocked") or raw.get("account_blocked")),
            number=str(raw.get("account_number") or ""),
            last_equity=_num(raw, "last_equity"),
        )

    def positions(self) -> Sequence[Position]:
        """Return every open position."""
        raw = self._read("positions", lambda c: c.trading.get_all_positions())
        return [
            Position(
                symbol=str(item["symbol"]),
                qty=_num(item, "qty"),
                market_value=_num(item, "market_value"),
                current_price=_num(item, "current_price"),
            )
            for item in raw
        ]

    def clock(self) -> BrokerClock:
        """Return the broker's market clock."""
        raw = self._read("clock", lambda c: c.trading.get_clock())
        return BrokerClock(
            timestamp=_time(raw["timestamp"]),
            is_open=bool(raw["is_open"]),
            next_open=_time(raw["next_open"]),
            next_close=_time(raw["next_close"]),
        )

    def assets(self, symbols: Sequence[str]) -> Mapping[str, Asset]:
        """Return tradability per symbol: one request each (no batch endpoint), concurrently."""
        if not symbols:
            return {}
        workers = min(len(symbols), self._pool_size, ASSET_LOOKUPS_IN_FLIGHT)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asset") as pool:
            return dict(zip(symbols, pool.map(self._asset, symbols), strict=True))

    def _asset(self, symbol: str) -> Asset:
        try:
            raw = self._read(f"asset {symbol}", _get_asset(symbol))
        except OrderRejected as error:
            raise DataUnavailable(f"asset {symbol} is unknown to the broker") from error
        return Asset(
            symbol=symbol,
            tradable=bool(raw.get("tradable", False)),
            fractionable=bool(raw.get("fractionable", False)),
        )

    def daily_bars(
        self, symbols: Sequence[str], start: datetime, end: datetime
    ) -> Mapping[str, Sequence[Bar]]:
        """Return daily bars per symbol, oldest first, in batches of SYMBOLS_PER_REQUEST."""
        bars: dict[str, list[Bar]] = {}
        ordered = sorted(set(symbols))
        for index in range(0, len(ordered), SYMBOLS_PER_REQUEST):
            chunk = ordered[index : index + SYMBOLS_PER_REQUEST]
            request = StockBarsRequest(
                symbol_or_symbols=chunk,
                timeframe=TimeFrame.Day,
                start=start,
                end=end,
                adjustment=Adjustment.ALL,
            )
            raw = self._read("bars", _calling("data", "get_stock_bars", request))
            for symbol, items in raw.items():
                bars[str(symbol)] = sorted(
                    (Bar(timestamp=_time(item["t"]), close=_num(item, "c")) for item in items),
                    key=lambda bar: bar.timestamp,
                )
        return bars

    def latest_prices(self, symbols: Sequence[str]) -> Mapping[str, float]:
        """Return the latest trade price per symbol, batched."""
        prices: dict[str, float] = {}
        ordered = sorted(set(symbols))
        for index in range(0, len(ordered), SYMBOLS_PER_REQUEST):
            request = StockLatestTradeRequest(
                symbol_or_symbols=ordered[index : index + SYMBOLS_PER_REQUEST]
            )
            raw = self._read("latest trades", _calling("data", "get_stock_latest_trade", request))
            for symbol, trade in raw.items():
                prices[str(symbol)] = _num(trade, "p")
        return prices

    def submit(self, order: OrderRequest) -> BrokerOrder:
        """Submit one order once (no retry here: see the execution layer)."""
        try:
            request = _order_request(order)
        except ValueError as error:  # alpaca-py's request model refused the combination
            raise OrderRejected(f"invalid order {order.client_order_id}: {error}") from None
        raw = self._call(
            f"submit {order.client_order_id}",
            lambda c: c.trading.submit_order(request),
            order=True,
        )
        return _order(raw)

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Return the order with this client order id, or None if the broker has none."""
        try:
            raw = self._read(
                f"look up {client_order_id}",
                lambda c: c.trading.get_order_by_client_id(client_order_id),
            )
        except _NotFound:
            return None
        return _order(raw)

    def orders_since(self, after: datetime) -> Sequence[BrokerOrder]:
        """Return every order submitted after `after`, paging oldest first."""
        orders: list[BrokerOrder] = []
        cursor = after
        for _ in range(MAX_ORDER_PAGES):
            request = GetOrdersRequest(
                status=QueryOrderStatus.ALL, after=cursor, limit=ORDERS_PAGE, direction=Sort.ASC
            )
            raw = self._read("orders", _calling("trading", "get_orders", request))
            page = [_order(item) for item in raw]
            seen = {order.id for order in orders}
            orders.extend(order for order in page if order.id not in seen)
            if len(page) < ORDERS_PAGE or page[-1].submitted_at is None:
                return orders
            cursor = page[-1].submitted_at
        raise DataUnavailable(f"more than {ORDERS_PAGE * MAX_ORDER_PAGES} orders today")

    def cancel(self, order_id: str) -> None:
        """Ask the broker to cancel an open order."""
        self._read(f"cancel {order_id}", lambda c: c.trading.cancel_order_by_id(order_id))


def _get_asset(symbol: str) -> Callable[[_Clients], Any]:
    return _calling("trading", "get_asset", symbol)


def _calling(client: str, method: str, argument: Any) -> Callable[[_Clients], Any]:
    """A call bound to its argument now (not a loop variable captured late)."""

    def call(clients: _Clients) -> Any:
        return getattr(getattr(clients, client), method)(argument)

    return call


class _NotFound(OrderRejected):
    """Raised inside the adapter for a 404, so look-ups can answer None."""


def _translate(what: str, error: APIError, *, order: bool) -> Exception:
    status = error.status_code
    detail = _detail(error)
    if status == 401 or (status == 403 and not order):
        return CredentialsError(f"{what}: the broker refused the credentials (HTTP {status})")
    if status == 429 or status is None or status >= 500:
        return BrokerUnavailable(f"{what}: HTTP {status} {detail}")
    if status == 404:
        return _NotFound(f"{what}: not found")
    return OrderRejected(f"{what}: HTTP {status} {detail}")


def _detail(error: APIError) -> str:
    try:
        message = str(error.message)
    except (ValueError, KeyError, TypeError):
        message = str(error)
    return message[:200]


def _order_request(order: OrderRequest) -> MarketOrderRequest | LimitOrderRequest:
    side = OrderSide.BUY if order.side is Side.BUY else OrderSide.SELL
    common: dict[str, Any] = {
        "symbol": order.symbol,
        "side": side,
        "time_in_force": TimeInForce.DAY,
        "client_order_id": order.client_order_id,
    }
    if order.qty is not None:
        common["qty"] = order.qty
    else:
        common["notional"] = order.notional
    if order.kind is OrderKind.LIMIT:
        return LimitOrderRequest(limit_price=order.limit_price, **common)
    return MarketOrderRequest(**common)


def _order(raw: Mapping[str, Any]) -> BrokerOrder:
    try:
        return BrokerOrder(
            id=str(raw["id"]),
            client_order_id=str(raw["client_order_id"]),
            symbol=str(raw["symbol"]),
            side=Side(str(raw["side"])),
            status=str(raw["status"]),
            qty=_opt(raw.get("qty")),
            notional=_opt(raw.get("notional")),
            filled_qty=_opt(raw.get("filled_qty")) or 0.0,
            filled_avg_price=_opt(raw.get("filled_avg_price")),
            limit_price=_opt(raw.get("limit_price")),
            submitted_at=_time(raw["submitted_at"]) if raw.get("submitted_at") else None,
        )
    except (KeyError, ValueError, TypeError) as error:
        raise BrokerUnavailable(f"malformed order from the broker: {error!r}") from None


def _num(raw: Mapping[str, Any], name: str) -> float:
    try:
        return float(raw[name])
    except (KeyError, ValueError, TypeError):
        raise DataUnavailable(f"broker response lacks a numeric {name!r}") from None


def _opt(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise DataUnavailable(f"broker sent a malformed time {value!r}") from None
