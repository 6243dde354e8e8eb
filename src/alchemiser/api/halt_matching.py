"""Which TradingHalts apply to a strategy: the one rule the operator and the worker share.

Rule: pure; no I/O and no clock (`now` is passed in). Both sides turn what they
read into HaltRules with `rule_from_wire` (the operator from kopf's bodies, the
worker from its validated TradingHaltSpec via `rule_from_spec`) and ask `match`.

A halt applies to a strategy when all of these hold:
- it exists: a halt being deleted (metadata.deletionTimestamp set while a finalizer
  holds it) still applies, so nothing trades in the moment between "asked to go" and
  "gone" (fail closed). Once the object is gone it applies nowhere: the operator
  releases the CronJobs on the DELETED event, whose body kopf has already dropped
  from its index, and the worker no longer lists it;
- it has not expired: `now < expiresAt` (or no expiresAt);
- its namespaces are empty or name the strategy's namespace;
- its strategySelector selects the strategy's labels (Kubernetes semantics; the empty
  selector selects all). Labels that are unknown (None) are selected by every
  selector, and an operator this module does not know selects too: both fail closed.

`HaltMatch.halted_by` means what status.haltedBy means: every halt that applies,
Halt and ReduceOnly alike. `halting` and `reduce_only` split them by mode.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from alchemiser.api.v1alpha1 import TradingHaltSpec

MODE_HALT: Final = "Halt"
MODE_REDUCE_ONLY: Final = "ReduceOnly"


@dataclass(frozen=True)
class Requirement:
    """One label-selector expression: key, operator (In, NotIn, Exists, DoesNotExist), values."""

    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Kubernetes label-selector semantics (NotIn also matches an absent key)."""
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        return True  # an operator the schema would not admit: select (fail closed)


@dataclass(frozen=True)
class Selector:
    """A label selector; the empty selector matches every strategy."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """True when every matchLabels pair and every expression holds; unknown labels match."""
        if labels is None:
            return True
        return all(labels.get(key) == value for key, value in self.match_labels) and all(
            requirement.matches(labels) for requirement in self.match_expressions
        )


@dataclass(frozen=True)
class StrategyScope:
    """What halts are matched against: a strategy's namespace and labels (None: unknown)."""

    namespace: str
    labels: Mapping[str, str] | None


@dataclass(frozen=True)
class HaltRule:
    """What matching needs of one TradingHalt (plus its creation time, for the operator)."""

    name: str
    mode: str = MODE_HALT
    namespaces: frozenset[str] = frozenset()
    selector: Selector = Selector()
    expires_at: datetime | None = None
    created_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """A halt is in force until it expires (or is gone: then there is no rule)."""
        return self.expires_at is None or now < self.expires_at

    def selects(self, scope: StrategyScope) -> bool:
        """True when the strategy's namespace and labels fall under this halt (expiry aside)."""
        in_namespace = not self.namespaces or scope.namespace in self.namespaces
        return in_namespace and self.selector.matches(scope.labels)

    def applies(self, scope: StrategyScope, now: datetime) -> bool:
        """True when the halt is in force at `now` and selects the strategy."""
        return self.is_active(now) and self.selects(scope)


@dataclass(frozen=True)
class HaltMatch:
    """The halts that apply to one strategy at one moment, by mode (names sorted)."""

    halting: tuple[str, ...] = ()  # mode Halt: no new orders, scheduling stops
    reduce_only: tuple[str, ...] = ()  # mode ReduceOnly: only position-reducing orders

    @property
    def halted(self) -> bool:
        """True when a Halt-mode halt applies (scheduling stops, every new order is refused)."""
        return bool(self.halting)

    @property
    def halted_by(self) -> list[str]:
        """Every halt that applies, both modes: what status.haltedBy reports."""
        return sorted(self.halting + self.reduce_only)


def match(halts: Iterable[HaltRule], scope: StrategyScope, now: datetime) -> HaltMatch:
    """Which of `halts` apply to the strategy at `now`."""
    halting: list[str] = []
    reduce_only: list[str] = []
    for halt in halts:
        if halt.applies(scope, now):
            (reduce_only if halt.mode == MODE_REDUCE_ONLY else halting).append(halt.name)
    return HaltMatch(halting=tuple(sorted(halting)), reduce_only=tuple(sorted(reduce_only)))


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp as Kubernetes writes it; None stays None."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def selector_from_wire(selector: Mapping[str, Any] | None) -> Selector:
    """Build a Selector from a `strategySelector` object in wire form."""
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


def rule_from_wire(body: Mapping[str, Any]) -> HaltRule:
    """Build a HaltRule from a TradingHalt object in wire form (metadata and spec)."""
    spec = body.get("spec") or {}
    metadata = body.get("metadata") or {}
    return HaltRule(
        name=metadata["name"],
        mode=spec.get("mode") or MODE_HALT,
        namespaces=frozenset(spec.get("namespaces") or ()),
        selector=selector_from_wire(spec.get("strategySelector")),
        expires_at=parse_time(spec.get("expiresAt")),
        created_at=parse_time(metadata.get("creationTimestamp")),
    )


def rule_from_spec(name: str, spec: TradingHaltSpec) -> HaltRule:
    """Build a HaltRule from a validated spec (the worker's path), through its wire form."""
    wire = spec.model_dump(by_alias=True, mode="json", exclude_none=True)
    return rule_from_wire({"metadata": {"name": name}, "spec": wire})
