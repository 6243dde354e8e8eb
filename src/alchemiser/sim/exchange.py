"""The paper exchange's state: calendar, prices, book, clock, credentials and faults.

Rule: no HTTP here; the server and the embedded runner both drive this object.
The asyncio lock serialises every read and change of the book.
"""

import asyncio
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from alchemiser.errors import ConfigError
from alchemiser.sim.book import Book
from alchemiser.sim.calendar import MarketCalendar, nyse
from alchemiser.sim.faults import FaultDice, Faults, parse_faults
from alchemiser.sim.history import load_directory
from alchemiser.sim.prices import PriceModel
from alchemiser.sim.ratelimit import RateWindow
from alchemiser.sim.store import MemoryStore, SqliteStore, Store


@dataclass(frozen=True)
class ExchangeConfig:
    """Everything `alchemiser sim` and `embedded.start` can set."""

    key_id: str = "sim-key-id"
    secret_key: str = "sim-secret-key"
    cash: float = 100_000.0
    now: datetime | None = None
    seed: int = 0
    faults: str = ""
    state: Path | None = None
    slippage_bps: float = 0.0
    spread_bps: float = 2.0
    bars_dir: Path | None = None
    rate_limit: int = 0


@dataclass
class Credentials:
    """The one key pair the exchange currently accepts."""

    key_id: str
    secret_key: str

    def accepts(self, key_id: str | None, secret_key: str | None) -> bool:
        """Constant-time check of a presented key pair."""
        if key_id is None or secret_key is None:
            return False
        same_id = hmac.compare_digest(key_id.encode(), self.key_id.encode())
        same_secret = hmac.compare_digest(secret_key.encode(), self.secret_key.encode())
        return same_id and same_secret


@dataclass
class SimClock:
    """Real time, or a fixed simulated instant."""

    fixed: datetime | None = None

    def now(self) -> datetime:
        """The simulated current instant (UTC)."""
        if self.fixed is not None:
            return self.fixed
        return datetime.now(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _within(calendar: MarketCalendar, moment: datetime | None) -> datetime | None:
    sessions = calendar.sessions
    if moment is not None and not sessions[0].open <= moment < sessions[-2].close:
        raise ConfigError(
            f"simulated time {moment.isoformat()} is outside the calendar "
            f"({sessions[0].day} to {sessions[-2].day})"
        )
    return moment


@dataclass
class Exchange:
    """One paper account behind one key pair, with switchable faults."""

    calendar: MarketCalendar
    prices: PriceModel
    book: Book
    clock: SimClock
    credentials: Credentials
    dice: FaultDice
    store: Store
    spread_bps: float
    rate: RateWindow
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def create(cls, config: ExchangeConfig) -> "Exchange":
        """Build the exchange (loads the NYSE calendar and, if given, the state file)."""
        calendar = nyse()
        history = load_directory(config.bars_dir) if config.bars_dir is not None else {}
        prices = PriceModel(calendar, config.seed, history)
        clock = SimClock(_within(calendar, _utc(config.now)))
        store: Store = SqliteStore(config.state) if config.state is not None else MemoryStore()
        book = Book.open(
            calendar=calendar,
            prices=prices,
            store=store,
            cash=Decimal(str(config.cash)),
            now=clock.now(),
            slippage_bps=Decimal(str(config.slippage_bps)),
        )
        book.spread_bps = Decimal(str(config.spread_bps))
        return cls(
            calendar=calendar,
            prices=prices,
            book=book,
            clock=clock,
            credentials=Credentials(config.key_id, config.secret_key),
            dice=FaultDice(parse_faults(config.faults), config.seed),
            store=store,
            spread_bps=config.spread_bps,
            rate=RateWindow(config.rate_limit),
        )

    @property
    def faults(self) -> Faults:
        """The faults currently switched on."""
        return self.dice.faults

    def set_faults(self, spec: str) -> Faults:
        """Replace the fault spec (raises ConfigError on a bad spec)."""
        faults = parse_faults(spec)
        self.dice.faults = faults
        return faults

    def rotate_keys(self, key_id: str, secret_key: str) -> None:
        """Accept only the new key pair from now on."""
        self.credentials = Credentials(key_id, secret_key)

    def set_now(self, now: datetime | None) -> None:
        """Fix the simulated time, or return to real time with None; ConfigError if out of range."""
        self.clock.fixed = _within(self.calendar, _utc(now))

    def close(self) -> None:
        """Release the state file."""
        self.store.close()
