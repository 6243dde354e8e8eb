"""The table of invalid manifests: each breaks one rule of the API and names the field.

Shared by tests/api (the pydantic models must refuse each) and tests/kube/test_crds.py
(the real apiserver must refuse each at admission, naming the field). A case starts from
an example manifest and applies edits: `(path, value)` sets, `(path, DELETE)` removes.
"""

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

EXAMPLES: Final = Path(__file__).resolve().parents[2] / "examples"
DELETE: Final = object()

Edit = tuple[str, Any]


@dataclass(frozen=True)
class Case:
    """One invalid manifest: which example it starts from, what it breaks, which field."""

    name: str
    example: str
    edits: tuple[Edit, ...]
    field: str  # the field path the apiserver reports, e.g. spec.allocations[2].weight

    def manifest(self) -> dict[str, Any]:
        """The broken manifest, with metadata.name set to the case name."""
        document = copy.deepcopy(load_example(self.example))
        document["metadata"]["name"] = self.name
        for path, value in self.edits:
            _edit(document, path.split("."), value)
        return document


def load_example(name: str) -> dict[str, Any]:
    """One example manifest as a dict."""
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return loaded


def _edit(node: Any, parts: list[str], value: Any) -> None:
    *parents, last = parts
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        del node[last]
    else:
        node[last] = value


STRATEGY: Final = "strategy-paper.yaml"
STATIC: Final = "strategy-static.yaml"
HALT: Final = "halt-everything.yaml"
SELECTOR: Final = "halt-live-by-label.yaml"


def _s(name: str, field_name: str, *edits: Edit) -> Case:
    return Case(name, STRATEGY, edits, field_name)


def _st(name: str, field_name: str, *edits: Edit) -> Case:
    return Case(name, STATIC, edits, field_name)


def _h(name: str, field_name: str, *edits: Edit, example: str = HALT) -> Case:
    return Case(name, example, edits, field_name)


def _symbols(count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"S{letters[i // 26]}{letters[i % 26]}" for i in range(count)]


_THREE = "spec.allocations"

CASES: Final[tuple[Case, ...]] = (
    # spec
    _s("spec-missing", "spec", ("spec", DELETE)),
    # schedule
    _s("schedule-missing", "spec.schedule", ("spec.schedule", DELETE)),
    _s("schedule-words", "spec.schedule", ("spec.schedule", "every weekday at close")),
    _s("schedule-minute-60", "spec.schedule", ("spec.schedule", "60 15 * * 1-5")),
    _s("schedule-hour-24", "spec.schedule", ("spec.schedule", "45 24 * * 1-5")),
    _s("schedule-four-fields", "spec.schedule", ("spec.schedule", "45 15 * *")),
    _s("schedule-six-fields", "spec.schedule", ("spec.schedule", "0 45 15 * * 1-5")),
    _s("schedule-bad-macro", "spec.schedule", ("spec.schedule", "@fortnightly")),
    _s("schedule-weekday-9", "spec.schedule", ("spec.schedule", "45 15 * * 9")),
    _s("schedule-weekday-7", "spec.schedule", ("spec.schedule", "45 15 * * 7")),
    _s("schedule-step-zero", "spec.schedule", ("spec.schedule", "*/0 15 * * 1-5")),
    _s("schedule-range-reversed", "spec.schedule", ("spec.schedule", "45 17-9 * * 1-5")),
    _s(
        "schedule-too-long",
        "spec.schedule",
        ("spec.schedule", "0 " + ",".join(["1"] * 60) + " * * *"),
    ),
    # timeZone, suspend, mode
    _s("timezone-spaces", "spec.timeZone", ("spec.timeZone", "New York")),
    _s("timezone-unknown", "spec.timeZone", ("spec.timeZone", "Mars/Olympus")),
    _s("timezone-local", "spec.timeZone", ("spec.timeZone", "Local")),
    _s("timezone-too-long", "spec.timeZone", ("spec.timeZone", "America/" + "A" * 60)),
    _s("suspend-string", "spec.suspend", ("spec.suspend", "yes")),
    _s("mode-unknown", "spec.mode", ("spec.mode", "sandbox")),
    # allocations
    _s("allocations-empty", "spec.allocations", ("spec.allocations", [])),
    _s("allocations-missing", "spec.allocations", ("spec.allocations", DELETE)),
    _s("weights-sum-low", "spec.allocations", (f"{_THREE}.1.weight", 0.4)),
    _s("weights-sum-high", "spec.allocations", (f"{_THREE}.1.weight", 0.6)),
    _s(
        "strategy-duplicate",
        "spec.allocations",
        (f"{_THREE}.1.strategy", "nuclear"),
    ),
    _s(
        "weight-zero",
        "spec.allocations[2].weight",
        (f"{_THREE}.0.weight", 0.5),
        (f"{_THREE}.2.weight", 0),
    ),
    _s("weight-string", "spec.allocations[0].weight", (f"{_THREE}.0.weight", "high")),
    _s("strategy-unknown", "spec.allocations[0].strategy", (f"{_THREE}.0.strategy", "moonshot")),
    _s("strategy-missing", "spec.allocations[0].strategy", (f"{_THREE}.0.strategy", DELETE)),
    _s(
        "weights-on-nuclear",
        "spec.allocations[0].parameters.weights",
        (f"{_THREE}.0.parameters", {"weights": {"SPY": 1.0}}),
    ),
    # static weights
    _st(
        "static-weights-missing",
        "spec.allocations[0].parameters.weights",
        (f"{_THREE}.0.parameters", {}),
    ),
    _st(
        "static-weights-sum",
        "spec.allocations[0].parameters.weights",
        (f"{_THREE}.0.parameters.weights", {"SPY": 0.6, "TLT": 0.2}),
    ),
    _st(
        "static-weights-lowercase",
        "spec.allocations[0].parameters.weights",
        (f"{_THREE}.0.parameters.weights", {"spy": 0.6, "TLT": 0.4}),
    ),
    _st(
        "static-weights-zero",
        "spec.allocations[0].parameters.weights.TLT",
        (f"{_THREE}.0.parameters.weights", {"SPY": 1.0, "TLT": 0}),
    ),
    _st(
        "static-weights-too-many",
        "spec.allocations[0].parameters.weights",
        (f"{_THREE}.0.parameters.weights", dict.fromkeys(_symbols(51), 1 / 51)),
    ),
    # broker
    _s("broker-missing", "spec.broker", ("spec.broker", DELETE)),
    _s(
        "secret-missing", "spec.broker.credentialsSecret", ("spec.broker.credentialsSecret", DELETE)
    ),
    _s(
        "secret-not-dns",
        "spec.broker.credentialsSecret",
        ("spec.broker.credentialsSecret", "Alpaca_Paper"),
    ),
    _s(
        "secret-too-long",
        "spec.broker.credentialsSecret",
        ("spec.broker.credentialsSecret", "a" * 64),
    ),
    _s("endpoint-ftp", "spec.broker.endpoint", ("spec.broker.endpoint", "ftp://paper.example.com")),
    _s("endpoint-no-scheme", "spec.broker.endpoint", ("spec.broker.endpoint", "localhost:8080")),
    _s(
        "endpoint-too-long",
        "spec.broker.endpoint",
        ("spec.broker.endpoint", "http://paper.example.com/" + "a" * 2030),
    ),
    # risk
    _s("order-notional-zero", "spec.risk.maxOrderNotional", ("spec.risk.maxOrderNotional", 0)),
    _s(
        "order-notional-huge",
        "spec.risk.maxOrderNotional",
        ("spec.risk.maxOrderNotional", 2e9),
        ("spec.risk.maxDailyNotional", 5e9),
    ),
    _s(
        "position-fraction-high",
        "spec.risk.maxPositionFraction",
        ("spec.risk.maxPositionFraction", 1.5),
    ),
    _s(
        "position-fraction-zero",
        "spec.risk.maxPositionFraction",
        ("spec.risk.maxPositionFraction", 0),
    ),
    _s("daily-below-order", "spec.risk.maxDailyNotional", ("spec.risk.maxDailyNotional", 5000)),
    _s("daily-huge", "spec.risk.maxDailyNotional", ("spec.risk.maxDailyNotional", 2e10)),
    _s("orders-per-day-zero", "spec.risk.maxOrdersPerDay", ("spec.risk.maxOrdersPerDay", 0)),
    _s("runs-per-day-huge", "spec.risk.maxRunsPerDay", ("spec.risk.maxRunsPerDay", 1441)),
    # breakers
    _s(
        "daily-loss-zero",
        "spec.breakers.dailyLossPercent",
        ("spec.breakers", {"dailyLossPercent": 0}),
    ),
    _s(
        "drawdown-hundred",
        "spec.breakers.drawdownPercent",
        ("spec.breakers", {"drawdownPercent": 100}),
    ),
    _s(
        "failed-runs-zero",
        "spec.breakers.consecutiveFailedRuns",
        ("spec.breakers", {"consecutiveFailedRuns": 0}),
    ),
    _s(
        "rejected-orders-string",
        "spec.breakers.rejectedOrdersPerRun",
        ("spec.breakers", {"rejectedOrdersPerRun": "many"}),
    ),
    _s("breaker-mode-unknown", "spec.breakers.mode", ("spec.breakers", {"mode": "Pause"})),
    _s("cooldown-words", "spec.breakers.cooldown", ("spec.breakers", {"cooldown": "an hour"})),
    _s("cooldown-zero", "spec.breakers.cooldown", ("spec.breakers", {"cooldown": "0m"})),
    _s("orders-per-run-zero", "spec.risk.maxOrdersPerRun", ("spec.risk.maxOrdersPerRun", 0)),
    _s("orders-per-run-huge", "spec.risk.maxOrdersPerRun", ("spec.risk.maxOrdersPerRun", 1001)),
    _s("orders-per-run-fraction", "spec.risk.maxOrdersPerRun", ("spec.risk.maxOrdersPerRun", 2.5)),
    _s("collar-zero", "spec.risk.priceCollarPercent", ("spec.risk.priceCollarPercent", 0)),
    _s("collar-huge", "spec.risk.priceCollarPercent", ("spec.risk.priceCollarPercent", 75)),
    _s("allowed-lowercase", "spec.risk.allowedSymbols[0]", ("spec.risk.allowedSymbols", ["spy"])),
    _s(
        "allowed-duplicate",
        "spec.risk.allowedSymbols[1]",
        ("spec.risk.allowedSymbols", ["SPY", "SPY"]),
    ),
    _s("allowed-too-many", "spec.risk.allowedSymbols", ("spec.risk.allowedSymbols", _symbols(501))),
    _s(
        "rebalance-negative", "spec.risk.rebalanceThreshold", ("spec.risk.rebalanceThreshold", -0.1)
    ),
    _s("rebalance-huge", "spec.risk.rebalanceThreshold", ("spec.risk.rebalanceThreshold", 0.6)),
    _s(
        "cash-reserve-huge", "spec.risk.cashReserveFraction", ("spec.risk.cashReserveFraction", 0.9)
    ),
    _s(
        "cash-reserve-negative",
        "spec.risk.cashReserveFraction",
        ("spec.risk.cashReserveFraction", -0.01),
    ),
    # execution and deadlines
    _s("order-type-stop", "spec.execution.orderType", ("spec.execution.orderType", "stop")),
    _s("run-deadline-short", "spec.runDeadlineSeconds", ("spec.runDeadlineSeconds", 10)),
    _s("run-deadline-long", "spec.runDeadlineSeconds", ("spec.runDeadlineSeconds", 7200)),
    _s("run-deadline-string", "spec.runDeadlineSeconds", ("spec.runDeadlineSeconds", "600")),
    _s("start-deadline-short", "spec.startingDeadlineSeconds", ("spec.startingDeadlineSeconds", 5)),
    _s(
        "start-deadline-long",
        "spec.startingDeadlineSeconds",
        ("spec.startingDeadlineSeconds", 4000),
    ),
    # TradingHalt
    _h("halt-spec-missing", "spec", ("spec", DELETE)),
    _h("halt-reason-missing", "spec.reason", ("spec.reason", DELETE)),
    _h("halt-reason-empty", "spec.reason", ("spec.reason", "")),
    _h("halt-reason-blank", "spec.reason", ("spec.reason", "   ")),
    _h("halt-reason-too-long", "spec.reason", ("spec.reason", "x" * 1025)),
    _h("halt-mode-unknown", "spec.mode", ("spec.mode", "Pause")),
    _h("halt-namespace-not-dns", "spec.namespaces[0]", ("spec.namespaces", ["Prod_NS"])),
    _h(
        "halt-namespace-duplicate",
        "spec.namespaces[1]",
        ("spec.namespaces", ["trading", "trading"]),
    ),
    _h(
        "halt-namespaces-too-many",
        "spec.namespaces",
        ("spec.namespaces", [f"ns-{i}" for i in range(101)]),
    ),
    _h(
        "halt-label-key-bad",
        "spec.strategySelector.matchLabels",
        ("spec.strategySelector.matchLabels", {"bad key!": "x"}),
    ),
    _h(
        "halt-label-value-bad",
        "spec.strategySelector.matchLabels.app",
        ("spec.strategySelector.matchLabels", {"app": "bad value!"}),
    ),
    _h(
        "halt-labels-too-many",
        "spec.strategySelector.matchLabels",
        ("spec.strategySelector.matchLabels", {f"k{i}": "v" for i in range(33)}),
    ),
    _h(
        "halt-operator-unknown",
        "spec.strategySelector.matchExpressions[0].operator",
        ("spec.strategySelector.matchExpressions.0.operator", "Like"),
        example=SELECTOR,
    ),
    _h(
        "halt-in-without-values",
        "spec.strategySelector.matchExpressions[0].values",
        ("spec.strategySelector.matchExpressions.0.operator", "In"),
        example=SELECTOR,
    ),
    _h(
        "halt-exists-with-values",
        "spec.strategySelector.matchExpressions[0].values",
        ("spec.strategySelector.matchExpressions.0.values", ["yes"]),
        example=SELECTOR,
    ),
    _h(
        "halt-expression-key-bad",
        "spec.strategySelector.matchExpressions[0].key",
        ("spec.strategySelector.matchExpressions.0.key", "-bad"),
        example=SELECTOR,
    ),
    _h(
        "halt-expression-key-missing",
        "spec.strategySelector.matchExpressions[0].key",
        ("spec.strategySelector.matchExpressions.0.key", DELETE),
        example=SELECTOR,
    ),
    _h(
        "halt-expressions-too-many",
        "spec.strategySelector.matchExpressions",
        (
            "spec.strategySelector.matchExpressions",
            [{"key": f"k{i}", "operator": "Exists"} for i in range(17)],
        ),
        example=SELECTOR,
    ),
    _h(
        "halt-expression-value-bad",
        "spec.strategySelector.matchExpressions[0].values[0]",
        ("spec.strategySelector.matchExpressions.0.operator", "In"),
        ("spec.strategySelector.matchExpressions.0.values", ["bad value!"]),
        example=SELECTOR,
    ),
    _h(
        "halt-expression-values-duplicate",
        "spec.strategySelector.matchExpressions[0].values[1]",
        ("spec.strategySelector.matchExpressions.0.operator", "NotIn"),
        ("spec.strategySelector.matchExpressions.0.values", ["a", "a"]),
        example=SELECTOR,
    ),
    _h(
        "halt-expression-values-too-many",
        "spec.strategySelector.matchExpressions[0].values",
        ("spec.strategySelector.matchExpressions.0.operator", "In"),
        ("spec.strategySelector.matchExpressions.0.values", [f"v{i}" for i in range(65)]),
        example=SELECTOR,
    ),
    _h("halt-expires-words", "spec.expiresAt", ("spec.expiresAt", "tomorrow")),
    _h("halt-expires-no-offset", "spec.expiresAt", ("spec.expiresAt", "2026-11-27T18:00:00")),
    _h("halt-expires-space", "spec.expiresAt", ("spec.expiresAt", "2026-11-27 18:00:00Z")),
    _h("halt-expires-impossible", "spec.expiresAt", ("spec.expiresAt", "2026-13-45T25:61:00Z")),
    _h("halt-expires-ancient", "spec.expiresAt", ("spec.expiresAt", "1999-12-31T23:59:59Z")),
    _h("halt-expires-number", "spec.expiresAt", ("spec.expiresAt", 1764266400)),
)
