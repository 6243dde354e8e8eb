"""The Alchemiser API: CRD models (pure data), CRD generation, and the operator/worker contract.

Rule: no I/O at import, nothing from operator, worker or sim.

    from alchemiser.api import TradingStrategy, TradingStrategySpec, TradingHalt, ...

Parse with `TradingStrategy.model_validate(obj)`; dump with
`model_dump(by_alias=True, mode="json", exclude_none=True)`.
"""

from alchemiser.api.v1alpha1 import (
    AccountClaim,
    Allocation,
    Breakers,
    BreakerStatus,
    BreakerTripRecord,
    BrokerSpec,
    Condition,
    ConditionStatus,
    ExecutionSpec,
    HaltMode,
    LabelSelector,
    LabelSelectorRequirement,
    LastRun,
    Mode,
    OrderType,
    RiskLimits,
    RunsToday,
    SelectorOperator,
    StrategyName,
    TradingBacktest,
    TradingBacktestSpec,
    TradingBacktestStatus,
    TradingHalt,
    TradingHaltSpec,
    TradingHaltStatus,
    TradingStrategy,
    TradingStrategySpec,
    TradingStrategyStatus,
    duration_seconds,
)

__all__ = [
    "AccountClaim",
    "Allocation",
    "BreakerStatus",
    "BreakerTripRecord",
    "Breakers",
    "BrokerSpec",
    "Condition",
    "ConditionStatus",
    "ExecutionSpec",
    "HaltMode",
    "LabelSelector",
    "LabelSelectorRequirement",
    "LastRun",
    "Mode",
    "OrderType",
    "RiskLimits",
    "RunsToday",
    "SelectorOperator",
    "StrategyName",
    "TradingBacktest",
    "TradingBacktestSpec",
    "TradingBacktestStatus",
    "TradingHalt",
    "TradingHaltSpec",
    "TradingHaltStatus",
    "TradingStrategy",
    "TradingStrategySpec",
    "TradingStrategyStatus",
    "duration_seconds",
]
