"""Where the book lives between restarts: memory only, or a SQLite file.

Rule: the store only saves and loads records; the book decides what changes.
Records are JSON rows keyed by id, written on every change (SQLite in WAL mode).
"""

import dataclasses
import fcntl
import json
import sqlite3
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from alchemiser.errors import ConfigError
from alchemiser.sim.records import Account, Order, Position

Loaded = tuple[Account, list[Order], list[Position]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (symbol TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


class Store(Protocol):
    """Persistence of the single paper account."""

    def load(self) -> Loaded | None:
        """The saved account, orders and positions, or None for a fresh book."""
        ...

    def save_account(self, account: Account) -> None:
        """Write the account row."""
        ...

    def save_order(self, order: Order) -> None:
        """Insert or replace one order."""
        ...

    def save_position(self, position: Position) -> None:
        """Insert or replace one position."""
        ...

    def delete_position(self, symbol: str) -> None:
        """Remove a closed position."""
        ...

    def close(self) -> None:
        """Release the underlying file, if any."""
        ...


class MemoryStore:
    """Keeps nothing: the book in memory is the only copy."""

    def load(self) -> Loaded | None:
        """Always a fresh book."""
        return None

    def save_account(self, account: Account) -> None:
        """Nothing to do."""

    def save_order(self, order: Order) -> None:
        """Nothing to do."""

    def save_position(self, position: Position) -> None:
        """Nothing to do."""

    def delete_position(self, symbol: str) -> None:
        """Nothing to do."""

    def close(self) -> None:
        """Nothing to do."""


def _encode(record: Any) -> str:
    out: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if isinstance(value, Decimal):
            value = {"decimal": str(value)}
        elif isinstance(value, datetime):
            value = {"datetime": value.isoformat()}
        out[item.name] = value
    return json.dumps(out, separators=(",", ":"))


def _decode(text: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(text)
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, dict) and "decimal" in value:
            out[name] = Decimal(value["decimal"])
        elif isinstance(value, dict) and "datetime" in value:
            out[name] = datetime.fromisoformat(value["datetime"])
        else:
            out[name] = value
    return out


class SqliteStore:
    """Keeps the book in a SQLite file so a restarted exchange sees the same orders."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # Two exchanges on one file would each keep their own copy of the book and
        # overwrite each other, so the file is held exclusively while open.
        self._holder = path.with_name(path.name + ".lock").open("w")
        try:
            fcntl.flock(self._holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            self._holder.close()
            raise ConfigError(f"state file {path} is in use by another paper exchange") from error
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def load(self) -> Loaded | None:
        """Read every row back into records."""
        with self._lock:
            row = self._db.execute("SELECT body FROM account WHERE id = 1").fetchone()
            if row is None:
                return None
            account = Account(**_decode(row[0]))
            orders = [Order(**_decode(r[0])) for r in self._db.execute("SELECT body FROM orders")]
            positions = [
                Position(**_decode(r[0])) for r in self._db.execute("SELECT body FROM positions")
            ]
        return account, orders, positions

    def _write(self, sql: str, *args: str) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def save_account(self, account: Account) -> None:
        """Write the account row."""
        self._write("INSERT OR REPLACE INTO account (id, body) VALUES (1, ?)", _encode(account))

    def save_order(self, order: Order) -> None:
        """Insert or replace one order."""
        self._write(
            "INSERT OR REPLACE INTO orders (id, body) VALUES (?, ?)", order.id, _encode(order)
        )

    def save_position(self, position: Position) -> None:
        """Insert or replace one position."""
        self._write(
            "INSERT OR REPLACE INTO positions (symbol, body) VALUES (?, ?)",
            position.symbol,
            _encode(position),
        )

    def delete_position(self, symbol: str) -> None:
        """Remove a closed position."""
        self._write("DELETE FROM positions WHERE symbol = ?", symbol)

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()
            fcntl.flock(self._holder, fcntl.LOCK_UN)
            self._holder.close()
