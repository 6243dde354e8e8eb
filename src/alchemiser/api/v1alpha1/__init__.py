"""The alchemiser.io/v1alpha1 API: TradingStrategy and TradingHalt. Pure data, no I/O."""

from alchemiser.api.v1alpha1.conditions import Condition, ConditionStatus
from alchemiser.api.v1alpha1.halt import (
    HaltMode,
    LabelSelector,
    LabelSelectorRequirement,
    SelectorOperator,
    TradingHalt,
    TradingHaltSpec,
    TradingHaltStatus,
)
from alchemiser.api.v1alpha1.strategy import (
    Allocation,
    BrokerSpec,
    ExecutionSpec,
    LastRun,
    Mode,
    OrderType,
    RiskLimits,
    StrategyName,
    TradingStrategy,
    TradingStrategySpec,
    TradingStrategyStatus,
)

__all__ = [
    "Allocation",
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
    "SelectorOperator",
    "StrategyName",
    "TradingHalt",
    "TradingHaltSpec",
    "TradingHaltStatus",
    "TradingStrategy",
    "TradingStrategySpec",
    "TradingStrategyStatus",
]
