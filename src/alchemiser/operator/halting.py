"""Which TradingHalts apply to which strategy, and when they expire.

Rule: pure. Works on the wire form of TradingHalt objects (as kopf hands them
over, already validated by the CRD schema); time is passed in. Halt state is
always derived from the halts that exist, never remembered.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MODE_HALT = "Halt"
MODE_REDUCE_ONLY = "ReduceOnly"


@dataclass(frozen=True)
class Requirement:
    """One label-selector expression: key, operator (In, NotIn, Exists, DoesNotExist), values."""

    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Apply Kubernetes label-selector semantics (NotIn also matches an absent key)."""
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        return False  # unknown operators match nothing: fail closed for the selected set


@dataclass(frozen=True)
class Selector:
    """A label selector; the empty selector matches every strategy."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when every matchLabels pair and every expression holds."""
        return all(labels.get(key) == value for key, value in self.match_labels) and all(
            requirement.matches(labels) for requirement in self.match_expressions
        )


@dataclass(frozen=True)
class HaltView:
    """What the operator needs of one TradingHalt."""

    name: str
    mode: str = MODE_HALT
    namespaces: frozenset[str] = frozenset()
    selector: Selector = Selector()
    expires_at: datetime | None = None
    created_at: datetime | None = None
    deleting: bool = False  # deletionTimestamp set: the halt is on its way out

    def is_active(self, now: datetime) -> bool:
        """A halt is active until it expires or is being deleted."""
        return not self.deleting and (self.expires_at is None or now < self.expires_at)

    def matches(self, namespace: str, labels: Mapping[str, str]) -> bool:
        """True when the strategy's namespace and labels fall under this halt."""
        in_namespace = not self.namespaces or namespace in self.namespaces
        return in_namespace and self.selector.matches(labels)


@dataclass(frozen=True)
class HaltDecision:
    """The halts that apply to one strategy right now, by mode (names sorted)."""

    halting: tuple[str, ...] = ()
    reduce_only: tuple[str, ...] = ()

    @property
    def halted(self) -> bool:
        """True when scheduling must stop (at least one Halt-mode halt applies)."""
        return bool(self.halting)

    @property
    def halted_by(self) -> list[str]:
        """Every applying halt, for `status.haltedBy`."""
        return sorted(self.halting + self.reduce_only)


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp as Kubernetes writes it; None stays None."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def selector_from_wire(selector: Mapping[str, Any] | None) -> Selector:
    """Build a Selector from a `strategySelector` object."""
    selector = selector or {}
    labels = tuple(sorted((selector.get("matchLabels") or {}).items()))
    expressions = tuple(
        Requirement(
            key=item["key"],
            operator=item["operator"],
            values=frozenset(item.get("values") or ()),
        )
        for item in selector.get("matchExpressions") or ()
    )
    return Selector(match_labels=labels, match_expressions=expressions)


def halt_from_body(body: Mapping[str, Any]) -> HaltView:
    """Build a HaltView from a TradingHalt object in wire form."""
    spec = body.get("spec") or {}
    metadata = body.get("metadata") or {}
    return HaltView(
        name=metadata["name"],
        mode=spec.get("mode") or MODE_HALT,
        namespaces=frozenset(spec.get("namespaces") or ()),
        selector=selector_from_wire(spec.get("strategySelector")),
        expires_at=parse_time(spec.get("expiresAt")),
        created_at=parse_time(metadata.get("creationTimestamp")),
        deleting=bool(metadata.get("deletionTimestamp")),
    )


def decide(
    halts: Iterable[HaltView], namespace: str, labels: Mapping[str, str], now: datetime
) -> HaltDecision:
    """Which active halts apply to the strategy in `namespace` with `labels`."""
    halting: list[str] = []
    reduce_only: list[str] = []
    for halt in halts:
        if halt.is_active(now) and halt.matches(namespace, labels):
            (reduce_only if halt.mode == MODE_REDUCE_ONLY else halting).append(halt.name)
    return HaltDecision(halting=tuple(sorted(halting)), reduce_only=tuple(sorted(reduce_only)))


def next_expiry(halts: Iterable[HaltView], now: datetime) -> datetime | None:
    """The earliest future expiry among the halts, if any."""
    future = [h.expires_at for h in halts if h.expires_at is not None and h.expires_at > now]
    return min(future, default=None)
