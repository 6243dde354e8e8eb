"""The Alpaca adapter: alpaca-py as published, hardened, translating errors at the boundary."""

from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise

import pytest
from alpaca.trading.client import TradingClient
from run_support import OPEN_NOW, Keys, broker

from alchemiser.errors import BrokerUnavailable, CredentialsError
from alchemiser.sim import embedded
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.worker.broker.alpaca import _harden
from alchemiser.worker.broker.pacing import Pacer
from alchemiser.worker.broker.port import OrderRequest, Side
from alchemiser.worker.credentials import Credentials


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """A paper exchange at an open moment."""
    with embedded.start(now=OPEN_NOW, key_id="adapter-key", secret_key="adapter-secret") as ex:
        yield ex


def test_the_client_attributes_we_configure_still_exist() -> None:
    """alpaca-py still has the session and retry attributes the adapter sets (upgrade guard)."""
    client = TradingClient("id", "secret", url_override="http://127.0.0.1:9")
    assert hasattr(client, "_session") and hasattr(client, "_retry")
    _harden(client, timeout=1.0, pool_size=2, pacer=Pacer())
    assert client._retry == 0
    adapter = client._session.get_adapter("http://127.0.0.1:9/v2/clock")
    assert type(adapter).__name__ == "_TimeoutAdapter"


def test_reads_account_clock_bars_and_prices_in_batches(exchange: EmbeddedExchange) -> None:
    """Account, clock, multi-symbol bars and latest prices come back as port values."""
    adapter = broker(exchange)
    assert adapter.account().equity == pytest.approx(100_000)
    assert adapter.clock().is_open
    bars = adapter.daily_bars(["SPY", "QQQ"], OPEN_NOW - timedelta(days=30), OPEN_NOW)
    assert set(bars) == {"SPY", "QQQ"} and len(bars["SPY"]) > 10
    assert all(a.timestamp < b.timestamp for a, b in pairwise(bars["SPY"]))
    assert set(adapter.latest_prices(["SPY", "QQQ"])) == {"SPY", "QQQ"}
    assert adapter.assets(["SPY"])["SPY"].tradable


def test_a_401_rereads_the_credentials_once_and_retries(exchange: EmbeddedExchange) -> None:
    """When the broker refuses the pair, the source is read again and the call retried once."""

    class RotatingSource:
        def __init__(self) -> None:
            self.reads = 0

        def read(self) -> Credentials:
            self.reads += 1
            # Stale on the first read of the call, current on the re-read after the 401.
            if self.reads == 1:
                return Credentials("adapter-key", "stale-secret")
            return Credentials("adapter-key", "adapter-secret")

    source = RotatingSource()
    assert broker(exchange, source).account().cash == pytest.approx(100_000)
    assert source.reads == 2


def test_refused_credentials_raise_without_the_secret(exchange: EmbeddedExchange) -> None:
    """A pair refused twice raises CredentialsError whose text holds no secret."""
    with pytest.raises(CredentialsError) as raised:
        broker(exchange, Keys("adapter-key", "very-wrong-secret")).account()
    assert "very-wrong-secret" not in str(raised.value)
    assert "401" in str(raised.value)


def test_a_timeout_is_broker_unavailable_and_bounded(exchange: EmbeddedExchange) -> None:
    """A request the server holds longer than the timeout fails as BrokerUnavailable."""
    exchange.set_faults("timeout=1,timeout-hold=3s")
    adapter = broker(exchange, timeout=0.3, read_attempts=2)
    with pytest.raises(BrokerUnavailable, match="timed out"):
        adapter.clock()


def test_an_unknown_client_order_id_is_none_and_a_submit_round_trips(
    exchange: EmbeddedExchange,
) -> None:
    """Looking up an id the broker lacks answers None; a submitted order is found by its id."""
    adapter = broker(exchange)
    assert adapter.order_by_client_id("nope-1") is None
    placed = adapter.submit(OrderRequest("SPY", Side.BUY, "cid-1", notional=1_000.0))
    found = adapter.order_by_client_id("cid-1")
    assert found is not None and found.id == placed.id and found.side is Side.BUY
    assert [o.client_order_id for o in adapter.orders_since(OPEN_NOW - timedelta(hours=1))] == [
        "cid-1"
    ]


def test_reads_pace_themselves_under_the_exchanges_rate_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30 reads against a 10-a-window exchange: every answer 200, the adapter waited instead.

    The exchange's window is shortened to 2 s (in-process) so the test need not wait for
    Alpaca's minute; the adapter reads the exchange's own X-RateLimit headers.
    """
    monkeypatch.setattr("alchemiser.sim.ratelimit.WINDOW_SECONDS", 2.0)
    with embedded.start(now=OPEN_NOW, key_id="k", secret_key="s", rate_limit=10) as paced:
        adapter = broker(paced, read_attempts=1)
        for pacer in adapter.pacers:
            pacer.reserve = 1
        for _ in range(30):
            adapter.account()
        trading = adapter.pacers[0]
        assert trading.refused == 0
        assert trading.waited > 1.0 and trading.paused > 1.0
