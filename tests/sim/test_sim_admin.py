"""The embedded exchange's admin operations and the /admin routes' loopback rule."""

import time
from datetime import UTC, datetime
from unittest import mock

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from sim_support import AFTER_EARLY_CLOSE

from alchemiser.errors import ConfigError
from alchemiser.sim import embedded
from alchemiser.sim.admin_routes import is_loopback


def test_rotate_keys_updates_the_handle_and_refuses_the_old_pair(
    exchange: embedded.EmbeddedExchange,
) -> None:
    """After rotate_keys the handle carries the new pair and the old pair gets 401."""
    old = TradingClient(exchange.key_id, exchange.secret_key, url_override=exchange.base_url)
    exchange.rotate_keys("new-id", "new-secret")
    assert (exchange.key_id, exchange.secret_key) == ("new-id", "new-secret")
    with pytest.raises(APIError) as refused:
        old.get_account()
    assert refused.value.status_code == 401
    fresh = TradingClient("new-id", "new-secret", url_override=exchange.base_url)
    assert fresh.get_account().status == "ACTIVE"


def test_set_faults_rejects_a_bad_spec(exchange: embedded.EmbeddedExchange) -> None:
    """A malformed spec raises ConfigError in the caller's thread."""
    with pytest.raises(ConfigError):
        exchange.set_faults("5xx=lots")


def test_set_now_moves_the_clock_and_none_returns_to_real_time(
    exchange: embedded.EmbeddedExchange, trading: TradingClient
) -> None:
    """set_now fixes /v2/clock's timestamp; set_now(None) follows the wall clock again."""
    exchange.set_now(AFTER_EARLY_CLOSE)
    assert trading.get_clock().timestamp == AFTER_EARLY_CLOSE
    exchange.set_now(None)
    drift = abs((trading.get_clock().timestamp - datetime.now(UTC)).total_seconds())
    assert drift < 60


def test_admin_orders_over_http_match_the_embedded_view(
    exchange: embedded.EmbeddedExchange,
) -> None:
    """GET /admin/orders needs no key and lists what `.orders()` lists."""
    headers = {"APCA-API-KEY-ID": exchange.key_id, "APCA-API-SECRET-KEY": exchange.secret_key}
    body = {"symbol": "SPY", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
    requests.post(f"{exchange.base_url}/v2/orders", json=body, headers=headers, timeout=10)
    listed = requests.get(f"{exchange.base_url}/admin/orders", timeout=10).json()
    assert listed == exchange.orders()
    assert len(listed) == 1


@pytest.mark.parametrize(
    ("remote", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.0.0.7", False),
        ("192.168.1.2", False),
        (None, False),
    ],
)
def test_admin_answers_loopback_only(remote: str | None, allowed: bool) -> None:
    """Only loopback peers may use /admin."""
    request = mock.Mock(remote=remote)
    assert is_loopback(request) is allowed


def test_simulated_time_outside_the_calendar_is_refused(
    exchange: embedded.EmbeddedExchange,
) -> None:
    """set_now before 2016 or after 2030 raises ConfigError and keeps the previous time."""
    with pytest.raises(ConfigError, match="outside the calendar"):
        exchange.set_now(datetime(2040, 1, 2, 15, 0, tzinfo=UTC))
    response = requests.post(
        f"{exchange.base_url}/admin/now", json={"now": "2001-01-02T15:00:00Z"}, timeout=10
    )
    assert response.status_code == 400
    assert requests.get(f"{exchange.base_url}/admin/now", timeout=10).json()["now"] == (
        "2026-11-27T15:00:00.000000Z"
    )


def test_stop_does_not_wait_out_a_held_timeout_fault() -> None:
    """stop() returns within a couple of seconds even while a `timeout` fault holds a request."""
    running = embedded.start(now=AFTER_EARLY_CLOSE, faults="timeout=1,timeout-hold=30s")
    headers = {"APCA-API-KEY-ID": running.key_id, "APCA-API-SECRET-KEY": running.secret_key}
    with pytest.raises(requests.Timeout):
        requests.get(f"{running.base_url}/v2/clock", headers=headers, timeout=0.3)
    began = time.monotonic()
    running.stop()
    assert time.monotonic() - began < 5


def test_rate_limit_answers_429_with_counting_headers() -> None:
    """With rate_limit=3 the headers count down 2, 1, 0 and the fourth request is 429."""
    with embedded.start(now=AFTER_EARLY_CLOSE, rate_limit=3) as running:
        headers = {"APCA-API-KEY-ID": running.key_id, "APCA-API-SECRET-KEY": running.secret_key}
        answers = [
            requests.get(f"{running.base_url}/v2/clock", headers=headers, timeout=10)
            for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
    assert int(answers[3].headers["X-RateLimit-Reset"]) > time.time()
    assert answers[3].json()["code"] == 42910000


def test_admin_prices_move_the_latest_trade_and_the_equity_but_not_last_equity(
    exchange: embedded.EmbeddedExchange,
) -> None:
    """A 0.8 move on a held symbol lowers its quote and the equity; last_equity stays put."""
    headers = {"APCA-API-KEY-ID": exchange.key_id, "APCA-API-SECRET-KEY": exchange.secret_key}
    base = exchange.base_url
    order = {
        "symbol": "SPY",
        "notional": 50_000,
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
    }
    requests.post(f"{base}/v2/orders", json=order, headers=headers, timeout=10)
    before = requests.get(f"{base}/v2/account", headers=headers, timeout=10).json()
    trade = f"{base}/v2/stocks/trades/latest?symbols=SPY"
    price = requests.get(trade, headers=headers, timeout=10).json()["trades"]["SPY"]["p"]
    moved = requests.post(f"{base}/admin/prices", json={"moves": {"SPY": 0.8}}, timeout=10)
    assert moved.json() == {"moves": {"SPY": 0.8}}
    after = requests.get(f"{base}/v2/account", headers=headers, timeout=10).json()
    assert requests.get(trade, headers=headers, timeout=10).json()["trades"]["SPY"][
        "p"
    ] == pytest.approx(price * 0.8, abs=0.01)
    assert float(after["equity"]) < float(before["equity"]) - 9_000
    assert after["last_equity"] == before["last_equity"]
    cleared = requests.post(f"{base}/admin/prices", json={"moves": {"SPY": 1}}, timeout=10)
    assert cleared.json() == {"moves": {}}
    refused = requests.post(f"{base}/admin/prices", json={"moves": {"SPY": -1}}, timeout=10)
    assert refused.status_code == 400
