"""Fixtures for the paper exchange's contract tests: an embedded exchange and alpaca-py clients."""

from collections.abc import Iterator

import pytest
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.trading.client import TradingClient
from sim_support import OPEN_NOW

from alchemiser.sim import embedded


@pytest.fixture
def exchange() -> Iterator[embedded.EmbeddedExchange]:
    """A fresh embedded exchange with time fixed while the market is open."""
    with embedded.start(now=OPEN_NOW) as running:
        yield running


@pytest.fixture
def trading(exchange: embedded.EmbeddedExchange) -> TradingClient:
    """alpaca-py's TradingClient pointed at the embedded exchange."""
    return TradingClient(
        exchange.key_id, exchange.secret_key, paper=True, url_override=exchange.base_url
    )


@pytest.fixture
def data(exchange: embedded.EmbeddedExchange) -> StockHistoricalDataClient:
    """alpaca-py's StockHistoricalDataClient pointed at the embedded exchange."""
    return StockHistoricalDataClient(
        exchange.key_id, exchange.secret_key, url_override=exchange.base_url
    )
