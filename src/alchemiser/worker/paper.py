"""The CLI's `--broker sim` path: the built-in paper exchange, started in this process.

Rule: the only worker module that imports `alchemiser.sim` (an import-linter contract),
and nothing imports this one at the top: `alchemiser run` loads it by name for
`--broker sim` only, so a run against a real broker never loads the exchange's
twenty modules and aiohttp's server.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from alchemiser.logs import get_logger
from alchemiser.sim import embedded
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.credentials import Credentials

log = get_logger(__name__)


class _Generated:
    """The paper exchange's throwaway key pair, made for this process only."""

    def __init__(self) -> None:
        self._credentials = Credentials(secrets.token_hex(8), secrets.token_hex(16))

    def read(self) -> Credentials:
        return self._credentials


@contextmanager
def serve(*, now: datetime | None, faults: str, cash: float) -> Iterator[AlpacaBroker]:
    """Start the paper exchange on a loopback port; yield an adapter that trades on it."""
    source = _Generated()
    keys = source.read()
    with embedded.start(
        now=now, faults=faults, cash=cash, key_id=keys.key_id, secret_key=keys.secret_key
    ) as exchange:
        log.info("started the built-in paper exchange", url=exchange.base_url)
        yield AlpacaBroker(source, base_url=exchange.base_url)
