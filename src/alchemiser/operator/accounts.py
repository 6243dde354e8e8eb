"""One broker account, one strategy: which strategy already drives an account.

Rule: pure. Two strategies are on one account when they reference the same Secret (same
namespace, mode and endpoint), or when their runs reported the same account number in
the same mode at the same endpoint (paper and live accounts differ, so a paper and a
live strategy never collide). dryRun strategies submit nothing and claim no account.
Of two claimants the older one (creationTimestamp, then namespace/name) keeps it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DRY_RUN = "dryRun"


@dataclass(frozen=True)
class Claimant:
    """What decides whose account is whose: identity, age, Secret and reported account."""

    namespace: str
    name: str
    created: str  # creationTimestamp (RFC 3339, sorts as text)
    mode: str  # paper | live | dryRun
    secret: str
    endpoint: str = ""
    account: str | None = None  # account number the last run reported

    @property
    def order(self) -> tuple[str, str, str]:
        """Older first; ties broken by namespace and name."""
        return (self.created or "~", self.namespace, self.name)


def _shares(me: Claimant, other: Claimant) -> str | None:
    if (me.mode, me.endpoint) != (other.mode, other.endpoint):
        return None
    if me.namespace == other.namespace and me.secret == other.secret:
        return f"Secret {me.secret}"
    if me.account is not None and me.account == other.account:
        return f"{me.mode} account {me.account}"
    return None


def conflict(me: Claimant, others: Iterable[Claimant]) -> str | None:
    """Why `me` may not trade (an older strategy drives its account), or None."""
    if me.mode == DRY_RUN:
        return None
    for other in sorted(others, key=lambda c: c.order):
        if (other.namespace, other.name) == (me.namespace, me.name) or other.mode == DRY_RUN:
            continue
        if other.order >= me.order:
            continue
        shared = _shares(me, other)
        if shared is not None:
            return (
                f"{shared} is already driven by TradingStrategy {other.namespace}/{other.name}; "
                "one broker account takes one strategy"
            )
    return None


Key = tuple[str, ...]


def claimant(
    namespace: str, name: str, created: str, spec: Mapping[str, Any], status: Mapping[str, Any]
) -> Claimant:
    """A strategy's claim from its wire spec and status (as kopf's index holds them)."""
    broker = spec.get("broker") or {}
    account = status.get("account") or {}
    return Claimant(
        namespace=namespace,
        name=name,
        created=created,
        mode=str(spec.get("mode") or "paper"),
        secret=str(broker.get("credentialsSecret") or ""),
        endpoint=str(broker.get("endpoint") or ""),
        account=str(account["number"]) if account.get("number") else None,
    )


def _keys(claim: Claimant) -> tuple[Key, ...]:
    if claim.mode == DRY_RUN:
        return ()
    keys: list[Key] = [("secret", claim.namespace, claim.secret, claim.mode, claim.endpoint)]
    if claim.account is not None:
        keys.append(("account", claim.mode, claim.endpoint, claim.account))
    return tuple(keys)


@dataclass
class Claims:
    """Every known claim, indexed by what two strategies can share (so a check is cheap)."""

    _by_key: dict[Key, dict[tuple[str, str], Claimant]] = field(default_factory=dict)
    _keys: dict[tuple[str, str], tuple[Key, ...]] = field(default_factory=dict)

    def update(self, claim: Claimant) -> None:
        """Record a strategy's claim as it is now."""
        self.forget(claim.namespace, claim.name)
        who = (claim.namespace, claim.name)
        keys = _keys(claim)
        self._keys[who] = keys
        for key in keys:
            self._by_key.setdefault(key, {})[who] = claim

    def forget(self, namespace: str, name: str) -> None:
        """Drop a deleted strategy's claim."""
        who = (namespace, name)
        for key in self._keys.pop(who, ()):
            holders = self._by_key.get(key, {})
            holders.pop(who, None)
            if not holders:
                self._by_key.pop(key, None)

    def conflict(self, claim: Claimant) -> str | None:
        """Why `claim` may not trade: an older known strategy shares its account."""
        others = {who: c for key in _keys(claim) for who, c in self._by_key.get(key, {}).items()}
        return conflict(claim, others.values())
