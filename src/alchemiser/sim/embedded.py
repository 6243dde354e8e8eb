"""The paper exchange in a background thread, for tests, demos and `run --broker sim`.

Rule: one event loop per embedded exchange, bound to 127.0.0.1 on a free port;
every operation from the caller's thread is handed to that loop and awaited.
"""

import asyncio
import threading
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from alchemiser.sim import wire
from alchemiser.sim.exchange import Exchange, ExchangeConfig
from alchemiser.sim.server import build_app

T = TypeVar("T")
_START_TIMEOUT = 30.0
_CALL_TIMEOUT = 30.0
# In-flight requests (a held `timeout` fault) get this long to finish when stopping.
_SHUTDOWN_GRACE = 1.0


class EmbeddedExchange:
    """A running paper exchange; use as a context manager or call `stop()`."""

    def __init__(self, config: ExchangeConfig) -> None:
        self.key_id = config.key_id
        self.secret_key = config.secret_key
        self.exchange = Exchange.create(config)
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._port = 0
        self._thread = threading.Thread(target=self._serve, name="alchemiser-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            raise RuntimeError("the embedded paper exchange did not start in time")
        if self._failure is not None:
            raise self._failure

    @property
    def base_url(self) -> str:
        """The URL to give alpaca-py as `url_override` (trading and market data)."""
        return f"http://127.0.0.1:{self._port}"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except Exception as error:  # noqa: BLE001 -- thread top level: re-raised by __init__
            self._failure = error
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        self._loop.run_forever()
        # Requests still held (a `timeout` fault) outlived the grace period: end them.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    async def _start(self) -> None:
        # The lock must belong to this loop, so it is created here.
        self.exchange.lock = asyncio.Lock()
        runner = web.AppRunner(
            build_app(self.exchange), access_log=None, shutdown_timeout=_SHUTDOWN_GRACE
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self._port = int(server.sockets[0].getsockname()[1])

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_CALL_TIMEOUT)

    async def _locked(self, action: Any, *args: Any) -> Any:
        async with self.exchange.lock:
            return action(*args)

    def set_faults(self, spec: str) -> None:
        """Switch faults at run time (raises ConfigError on a bad spec)."""
        self._call(self._locked(self.exchange.set_faults, spec))

    def rotate_keys(self, key_id: str, secret_key: str) -> None:
        """Accept only the new key pair from now on."""
        self._call(self._locked(self.exchange.rotate_keys, key_id, secret_key))
        self.key_id, self.secret_key = key_id, secret_key

    def set_now(self, now: datetime | None) -> None:
        """Fix the simulated time, or go back to real time with None."""
        self._call(self._locked(self.exchange.set_now, now))

    def orders(self) -> list[dict[str, Any]]:
        """Every order, oldest first, as the API returns them (with timestamps)."""

        async def collect() -> list[dict[str, Any]]:
            async with self.exchange.lock:
                book = self.exchange.book
                book.advance(self.exchange.clock.now())
                return [wire.order(o) for o in book.sorted_orders()]

        return self._call(collect())

    def stop(self) -> None:
        """Stop serving and release the state file; safe to call twice."""
        if not self._thread.is_alive():
            return
        if self._runner is not None:
            self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_START_TIMEOUT)
        self.exchange.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def start(
    *,
    cash: float = 100_000.0,
    now: datetime | None = None,
    seed: int = 0,
    faults: str = "",
    key_id: str = "sim-key-id",
    secret_key: str = "sim-secret-key",
    state: Path | None = None,
    slippage_bps: float = 0.0,
    bars_dir: Path | None = None,
    rate_limit: int = 0,
) -> EmbeddedExchange:
    """Start a paper exchange on a free 127.0.0.1 port in a background thread.

    Additions to the agreed signature: `slippage_bps` moves market fills against
    the taker; `bars_dir` replays daily bars from `SYMBOL.csv` files; `rate_limit`
    answers 429 past that many requests per minute (0: unlimited).
    """
    config = ExchangeConfig(
        key_id=key_id,
        secret_key=secret_key,
        cash=cash,
        now=now,
        seed=seed,
        faults=faults,
        state=state,
        slippage_bps=slippage_bps,
        bars_dir=bars_dir,
        rate_limit=rate_limit,
    )
    return EmbeddedExchange(config)
