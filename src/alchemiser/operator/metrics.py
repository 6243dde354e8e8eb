"""Prometheus metrics the operator exports (all prefixed `alchemiser_`).

Labels are bounded: namespace, strategy, outcome, side, reason, state, mode, breaker,
sink (a configured webhook name).
The Helm chart's alert rules and dashboards use exactly these names; a test
checks them against a live /metrics page.
"""

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY: Final = CollectorRegistry(auto_describe=True)

STRATEGIES: Final = Gauge(
    "alchemiser_strategies",
    "Strategies known to the operator, by state (ready, not_ready, halted, suspended).",
    ["state"],
    registry=REGISTRY,
)
STRATEGY_READY: Final = Gauge(
    "alchemiser_strategy_ready",
    "1 when the strategy is Ready, else 0.",
    ["namespace", "strategy"],
    registry=REGISTRY,
)
STRATEGY_HALTED: Final = Gauge(
    "alchemiser_strategy_halted",
    "1 when a TradingHalt matches the strategy, else 0.",
    ["namespace", "strategy"],
    registry=REGISTRY,
)
STRATEGY_SUSPENDED: Final = Gauge(
    "alchemiser_strategy_suspended",
    "1 when the strategy's own spec.suspend is set (its user paused it), else 0.",
    ["namespace", "strategy"],
    registry=REGISTRY,
)
RECONCILES: Final = Counter(
    "alchemiser_reconcile",
    "Strategy reconciliations, by outcome (success, error).",
    ["outcome"],
    registry=REGISTRY,
)
RECONCILE_SECONDS: Final = Histogram(
    "alchemiser_reconcile_duration_seconds",
    "Time spent reconciling one strategy.",
    registry=REGISTRY,
)
RESYNC_SECONDS: Final = Histogram(
    "alchemiser_resync_duration_seconds",
    "Time one resync sweep (drift repair over every strategy) took.",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60),
    registry=REGISTRY,
)
EVENTS_DROPPED: Final = Counter(
    "alchemiser_events_dropped",
    "Kubernetes Events the operator could not post (queue full or API error).",
    registry=REGISTRY,
)
HALTS_ACTIVE: Final = Gauge(
    "alchemiser_halts_active",
    "Unexpired TradingHalts, by mode (Halt, ReduceOnly).",
    ["mode"],
    registry=REGISTRY,
)
HALT_PROPAGATION_SECONDS: Final = Histogram(
    "alchemiser_halt_propagation_seconds",
    "From a halt's creation to the last matching CronJob suspended.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
RUNS: Final = Counter(
    "alchemiser_runs",
    "Finished trading runs, by outcome.",
    ["namespace", "strategy", "outcome"],
    registry=REGISTRY,
)
ORDERS: Final = Counter(
    "alchemiser_orders",
    "Orders from finished runs, by outcome (submitted, rejected).",
    ["namespace", "strategy", "outcome"],
    registry=REGISTRY,
)
NOTIONAL: Final = Counter(
    "alchemiser_notional_usd",
    "USD notional submitted by finished runs.",
    ["namespace", "strategy"],
    registry=REGISTRY,
)
LAST_RUN: Final = Gauge(
    "alchemiser_last_run_timestamp_seconds",
    "Unix time the strategy's last run finished.",
    ["namespace", "strategy"],
    registry=REGISTRY,
)
LAST_SUCCESS: Final = Gauge(
    "alchemiser_last_successful_run_timestamp_seconds",
    "Unix time the strategy's last run with a non-Failed outcome finished.",
    ["namespace", "strategy"],
    registry=REGISTRY,
)
BREAKER_TRIPS: Final = Counter(
    "alchemiser_breaker_trips",
    "Circuit-breaker trips that created (or renewed an expired) TradingHalt, by breaker "
    "(dailyLoss, drawdown, consecutiveFailedRuns, rejectedOrdersPerRun).",
    ["namespace", "strategy", "breaker"],
    registry=REGISTRY,
)
NOTIFICATIONS: Final = Counter(
    "alchemiser_notifications",
    "Notifications by webhook (the configured sink name) and outcome "
    "(sent, failed, dropped; duplicate with an empty sink).",
    ["sink", "outcome"],
    registry=REGISTRY,
)
