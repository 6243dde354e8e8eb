"""Fault injection for the paper exchange: which requests fail, and how.

Rule: pure parsing plus seeded, reproducible draws; the server decides where each
fault applies and names the request it draws for. Spec: comma-separated `kind=value`, e.g.
`429=0.3,5xx=0.2,latency=50ms,lost-response=0.1,partial=0.2,timeout=0.1,reject=0.1`.
Fractions are probabilities in [0, 1]; `latency` and `timeout-hold` are durations
(`50ms`, `2s`, or plain seconds). `lost-response` drops the connection after the
order exists; `lost-response-5xx` answers 500 after the order exists.
"""

import hashlib
from dataclasses import dataclass, fields, replace

from alchemiser.errors import ConfigError

_FRACTIONS = {
    "429": "rate_limited",
    "5xx": "server_error",
    "lost-response": "lost_response",
    "lost-response-5xx": "lost_response_5xx",
    "partial": "partial",
    "timeout": "timeout",
    "reject": "reject",
}
_DURATIONS = {"latency": "latency", "timeout-hold": "timeout_hold"}


@dataclass(frozen=True)
class Faults:
    """Probabilities of each fault kind, and the durations that shape them."""

    rate_limited: float = 0.0
    server_error: float = 0.0
    lost_response: float = 0.0
    lost_response_5xx: float = 0.0
    partial: float = 0.0
    timeout: float = 0.0
    reject: float = 0.0
    latency: float = 0.0
    timeout_hold: float = 10.0

    def spec(self) -> str:
        """The canonical spec string for these faults (empty when none are set)."""
        default = Faults()
        parts = []
        for name, attr in _FRACTIONS.items():
            value = getattr(self, attr)
            if value != getattr(default, attr):
                parts.append(f"{name}={value:g}")
        for name, attr in _DURATIONS.items():
            value = getattr(self, attr)
            if value != getattr(default, attr):
                parts.append(f"{name}={value * 1000:g}ms")
        return ",".join(parts)


def _duration(name: str, text: str) -> float:
    try:
        if text.endswith("ms"):
            seconds = float(text[:-2]) / 1000.0
        elif text.endswith("s"):
            seconds = float(text[:-1])
        else:
            seconds = float(text)
    except ValueError as error:
        raise ConfigError(f"fault {name!r}: {text!r} is not a duration like 50ms or 2s") from error
    if seconds < 0:
        raise ConfigError(f"fault {name!r}: duration must not be negative")
    return seconds


def _fraction(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise ConfigError(f"fault {name!r}: {text!r} is not a number between 0 and 1") from error
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"fault {name!r}: {value} is not between 0 and 1")
    return value


def parse_faults(spec: str) -> Faults:
    """Parse a fault spec; raises ConfigError naming the offending entry."""
    faults = Faults()
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not value:
            raise ConfigError(f"fault {item!r}: expected kind=value")
        if name in _FRACTIONS:
            faults = replace(faults, **{_FRACTIONS[name]: _fraction(name, value)})
        elif name in _DURATIONS:
            faults = replace(faults, **{_DURATIONS[name]: _duration(name, value)})
        else:
            known = ", ".join([*_FRACTIONS, *_DURATIONS])
            raise ConfigError(f"fault {name!r} is unknown; known kinds: {known}")
    return faults


class FaultDice:
    """Seeded draws deciding whether a given fault strikes this time.

    Each (kind, request key) has its own sequence: its n-th draw is a hash of the
    seed, the kind, the key and n. Which request meets a fault thus depends on the
    seed and the requests alone, never on the order concurrent requests arrive in
    (one shared stream let a busy machine's thread scheduling decide, so a seeded
    run was not reproducible).
    """

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self._seed = seed
        self._draws: dict[tuple[str, str], int] = {}

    def strikes(self, kind: str, key: str = "") -> bool:
        """Draw once for the fault attribute `kind` (e.g. "server_error") and request `key`."""
        probability: float = getattr(self.faults, kind)
        if probability <= 0.0:
            return False
        n = self._draws.get((kind, key), 0)
        self._draws[(kind, key)] = n + 1
        text = f"{self._seed}\0{kind}\0{key}\0{n}".encode()
        draw = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") / 2**64
        return draw < probability


FAULT_KINDS = tuple(f.name for f in fields(Faults))
