"""One broker account, one strategy: which strategy already drives an account.

Rule: pure. Two strategies are on one account when they reference the same Secret (same
namespace, mode and endpoint), or when their runs reported the same account number in
the same mode at the same endpoint (paper and live accounts differ, so a paper and a
live strategy never collide). dryRun strategies submit nothing and claim no account.
Of two claimants the older one (creationTimestamp, then namespace/name) keeps it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

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
