"""Deterministic client order ids: the same strategy, run and leg always give the same id.

Rule: pure. The id is how a re-run, a retry or a lost response is recognised, so it
depends on nothing but (strategy uid, run id, leg), fits Alpaca's 128-character limit
and starts with a per-strategy prefix (the day's orders of this strategy, for
risk.maxOrdersPerDay) followed by a per-run part (a run's own orders, found again).
"""

import hashlib
import re

MAX_LENGTH = 128
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def strategy_prefix(strategy_uid: str) -> str:
    """Return the prefix every client order id of this strategy starts with."""
    return f"alc-{hashlib.sha256(strategy_uid.encode()).hexdigest()[:10]}-"


def run_prefix(strategy_uid: str, run_id: str) -> str:
    """Return the prefix every client order id of this run starts with."""
    digest = hashlib.sha256(f"{strategy_uid}\x00{run_id}".encode()).hexdigest()[:16]
    return f"{strategy_prefix(strategy_uid)}{digest}-"


def client_order_id(strategy_uid: str, run_id: str, leg: str) -> str:
    """Return the client order id of `leg` (e.g. "sell-SPY") in this run."""
    readable = _UNSAFE.sub("_", leg)
    prefix = run_prefix(strategy_uid, run_id)
    leg_digest = hashlib.sha256(leg.encode()).hexdigest()[:8]
    room = MAX_LENGTH - len(prefix) - len(leg_digest) - 1
    return f"{prefix}{readable[:room]}-{leg_digest}"


def leg(side: str, symbol: str) -> str:
    """Return the leg name of an order: at most one order per side and symbol per run."""
    return f"{side}-{symbol}"


def repeg(leg_name: str, attempt: int) -> str:
    """Return the leg name of a leg's `attempt`-th re-peg, e.g. "buy-SPY-r1".

    Tickers are upper case, so the lower-case suffix never names an ordinary leg.
    """
    return f"{leg_name}-r{attempt}"
