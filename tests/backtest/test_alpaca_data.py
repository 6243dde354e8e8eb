"""`--alpaca` data: Alpaca's daily bars through the worker's adapter (alpaca-py over HTTP), cached.

There are no Alpaca keys on these machines, so the market-data API is the paper
exchange's implementation of it (GET /v2/stocks/bars, paginated like Alpaca's): the
same client code, requests and pagination a backtest with keys runs, against a real
HTTP server whose answers are known (the exchange's own deterministic series).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alchemiser.backtest import data
from alchemiser.errors import AlchemiserError
from alchemiser.sim import embedded
from alchemiser.sim.calendar import nyse
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.sim.prices import PriceModel

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
START, END = date(2020, 1, 2), date(2023, 12, 29)  # 1006 sessions
# 11 symbols x 1006 bars: more than alpaca-py asks for in one page (10,000), so two pages.
SYMBOLS = ["SPY", "TLT", "QQQ", "IEF", "GLD", "XLK", "XLF", "XLE", "XLV", "BIL", "SHY"]


@pytest.fixture
def exchange() -> Iterator[EmbeddedExchange]:
    """The paper exchange serving Alpaca's market-data API, seed 0."""
    with embedded.start(now=NOW, key_id="data-key", secret_key="data-secret") as ex:
        yield ex


def keys(directory: Path) -> Path:
    """A mounted-Secret-like directory holding the exchange's key pair."""
    directory.mkdir()
    (directory / "APCA_API_KEY_ID").write_text("data-key")
    (directory / "APCA_API_SECRET_KEY").write_text("data-secret")
    return directory


def test_closes_are_the_servers_daily_bars_by_new_york_session(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """Every session in the period, over several pages, with the close the server has for it."""
    closes = data.alpaca_closes(
        SYMBOLS,
        START,
        END,
        credentials_dir=keys(tmp_path / "keys"),
        cache_dir=tmp_path / "cache",
        data_url=exchange.base_url,
    )
    model = PriceModel(nyse(), 0)
    served = data.sim_closes(model, SYMBOLS)
    sessions = [s.day for s in model.calendar.sessions if START <= s.day <= END]
    assert len(sessions) == 1006
    for symbol in SYMBOLS:
        assert list(closes[symbol]) == sessions
        assert closes[symbol] == {day: served[symbol][day] for day in sessions}


def test_a_second_backtest_of_the_period_reads_the_cache_only(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """Once fetched, the period's bars come from the cache: no keys, no request needed."""
    cache = tmp_path / "cache"
    first = data.alpaca_closes(
        ["SPY"], START, END,
        credentials_dir=keys(tmp_path / "keys"), cache_dir=cache, data_url=exchange.base_url,
    )  # fmt: skip
    again = data.alpaca_closes(
        ["SPY"], START, END,
        credentials_dir=tmp_path / "no-keys", cache_dir=cache, data_url="http://127.0.0.1:1",
    )  # fmt: skip
    assert again == first
    assert (cache / "alpaca" / f"SPY_{START}_{END}.csv").is_file()


def test_refused_keys_fail_the_fetch_and_cache_nothing(
    exchange: EmbeddedExchange, tmp_path: Path
) -> None:
    """Wrong keys: an error naming no key, and no cache file to be mistaken for data later."""
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "APCA_API_KEY_ID").write_text("not-the-key")
    (wrong / "APCA_API_SECRET_KEY").write_text("not-the-secret")
    with pytest.raises(AlchemiserError) as raised:
        data.alpaca_closes(
            ["SPY"], START, END,
            credentials_dir=wrong, cache_dir=tmp_path / "cache", data_url=exchange.base_url,
        )  # fmt: skip
    assert "not-the-secret" not in str(raised.value)
    assert not (tmp_path / "cache" / "alpaca").exists()
