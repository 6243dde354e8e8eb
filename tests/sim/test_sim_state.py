"""The SQLite state file: one exchange at a time, and the book as it was left."""

from pathlib import Path

import pytest
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import MarketOrderRequest
from sim_support import OPEN_NOW

from alchemiser.errors import ConfigError
from alchemiser.sim import embedded


def test_a_state_file_serves_one_exchange_at_a_time(tmp_path: Path) -> None:
    """A second exchange on a state file in use is refused; after stop() it may open it."""
    state = tmp_path / "book.sqlite"
    first = embedded.start(now=OPEN_NOW, state=state)
    try:
        with pytest.raises(ConfigError, match="in use"):
            embedded.start(now=OPEN_NOW, state=state)
    finally:
        first.stop()
    with embedded.start(now=OPEN_NOW, state=state):
        pass


def test_embedded_restart_keeps_fills_and_partial_remainders(tmp_path: Path) -> None:
    """A partially filled order and its position read back the same after a restart."""
    state = tmp_path / "book.sqlite"
    with embedded.start(now=OPEN_NOW, state=state, faults="partial=1") as running:
        client = TradingClient(
            running.key_id, running.secret_key, paper=True, url_override=running.base_url
        )
        order = client.submit_order(
            MarketOrderRequest(symbol="SPY", qty=8, side="buy", time_in_force="day")
        )
        before = running.orders()
    with embedded.start(now=OPEN_NOW, state=state) as running:
        client = TradingClient(
            running.key_id, running.secret_key, paper=True, url_override=running.base_url
        )
        assert running.orders() == before
        again = client.get_order_by_id(order.id)
        assert again.status == "partially_filled" and again.filled_qty == "4"
        assert client.get_open_position("SPY").qty == "4"
