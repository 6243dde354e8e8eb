"""Whether this replica is the active one, from kopf's peering object (pure).

kopf pauses its handlers while a live peer has a higher or equal priority; work
the operator does outside kopf's handlers (the resync sweep) follows the same
rule, read from the same object, so a passive replica never writes.
"""

import getpass
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alchemiser.api.halt_matching import parse_time

DEFAULT_LIFETIME = 60  # seconds; kopf's default for a peer that does not say


@dataclass(frozen=True)
class Peer:
    """This process as kopf's peering knows it."""

    identity: str
    priority: int


def own_identity() -> str:
    """The pod name in a cluster (POD_ID, as kopf reads it), else user@host/random."""
    pod = os.environ.get("POD_ID")
    if pod:
        return pod
    return f"{getpass.getuser()}@{socket.gethostname()}/{secrets.token_hex(4)}"


def paused(peers: Mapping[str, Any] | None, me: Peer, now: datetime) -> bool:
    """True while another live peer has a priority >= ours (kopf's rule)."""
    for identity, info in (peers or {}).items():
        if identity == me.identity or not isinstance(info, Mapping):
            continue
        seen = parse_time(info.get("lastseen"))
        lifetime = timedelta(seconds=int(info.get("lifetime") or DEFAULT_LIFETIME))
        if seen is None or seen + lifetime <= now:
            continue  # dead: kopf ignores it (and cleans it up)
        if int(info.get("priority") or 0) >= me.priority:
            return True
    return False
