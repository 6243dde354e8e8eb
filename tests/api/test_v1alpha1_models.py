"""The v1alpha1 models: the contract others code against (names, defaults, wire form)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from alchemiser.api import (
    Allocation,
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
    StrategyName,
    TradingHalt,
    TradingHaltSpec,
    TradingHaltStatus,
    TradingStrategy,
    TradingStrategySpec,
    TradingStrategyStatus,
)
from alchemiser.api.result import Outcome


def _spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "schedule": "45 15 * * 1-5",
        "allocations": [{"strategy": "nuclear", "weight": 1.0}],
        "broker": {"credentialsSecret": "alpaca-paper"},
    }
    spec.update(overrides)
    return spec


def test_strategy_spec_defaults_are_the_documented_ones() -> None:
    """A minimal spec gets exactly the defaults written in TEAM.md and ARCHITECTURE.md."""
    spec = TradingStrategySpec.model_validate(_spec())
    assert spec.time_zone == "America/New_York"
    assert spec.suspend is False
    assert spec.mode is Mode.PAPER
    assert spec.risk == RiskLimits(
        max_order_notional=10000.0,
        max_position_fraction=0.5,
        max_daily_notional=100000.0,
        max_orders_per_run=40,
        price_collar_percent=5.0,
        allowed_symbols=[],
        rebalance_threshold=0.01,
        cash_reserve_fraction=0.01,
    )
    assert spec.execution.order_type is OrderType.MARKET
    assert spec.run_deadline_seconds == 600
    assert spec.starting_deadline_seconds == 300
    assert spec.broker.endpoint is None
    assert spec.allocations[0].parameters == {}


def test_enum_values_are_the_wire_spellings() -> None:
    """The enums carry the exact strings users write in manifests."""
    assert [m.value for m in Mode] == ["paper", "live", "dryRun"]
    assert [s.value for s in StrategyName] == ["nuclear", "tecl", "klm", "static", "symphony"]
    assert [o.value for o in OrderType] == ["market", "limit"]
    assert [h.value for h in HaltMode] == ["Halt", "ReduceOnly"]


def test_wire_form_is_camel_case_and_python_names_also_parse() -> None:
    """Dumps use camelCase; snake_case keyword construction gives an equal model."""
    by_wire = TradingStrategySpec.model_validate(_spec(runDeadlineSeconds=120))
    by_name = TradingStrategySpec(
        schedule="45 15 * * 1-5",
        allocations=[Allocation(strategy=StrategyName.NUCLEAR, weight=1.0)],
        broker=BrokerSpec(credentials_secret="alpaca-paper"),
        run_deadline_seconds=120,
    )
    assert by_wire == by_name
    dumped = by_wire.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert dumped["runDeadlineSeconds"] == 120
    assert dumped["broker"] == {"credentialsSecret": "alpaca-paper"}
    assert dumped["risk"]["maxOrdersPerRun"] == 40
    assert "endpoint" not in dumped["broker"]


def test_spec_survives_the_worker_env_json_round_trip() -> None:
    """The spec as JSON (how it reaches the worker) parses back into an equal model."""
    spec = TradingStrategySpec.model_validate(
        _spec(
            allocations=[
                {"strategy": "static", "weight": 0.4, "parameters": {"weights": {"SPY": 1}}},
                {"strategy": "tecl", "weight": 0.6},
            ],
            mode="dryRun",
        )
    )
    text = spec.model_dump_json(by_alias=True, exclude_none=True)
    assert TradingStrategySpec.model_validate_json(text) == spec


def test_misspelt_field_is_refused_not_dropped() -> None:
    """An unknown key (a typo) is an error naming it, at every level."""
    with pytest.raises(ValidationError, match="maxOrderNotionl"):
        TradingStrategySpec.model_validate(_spec(risk={"maxOrderNotionl": 5}))
    with pytest.raises(ValidationError, match="wieght"):
        Allocation.model_validate({"strategy": "klm", "weight": 1, "wieght": 1})
    with pytest.raises(ValidationError, match="reasn"):
        TradingHaltSpec.model_validate({"reason": "x", "reasn": "y"})


def test_models_are_immutable() -> None:
    """Parsed specs cannot be changed by accident after validation."""
    spec = TradingStrategySpec.model_validate(_spec())
    with pytest.raises(ValidationError):
        spec.suspend = True  # type: ignore[misc]


@pytest.mark.parametrize(
    "schedule",
    [
        "45 15 * * 1-5",
        "*/15 9-16 * * MON-FRI",
        "0 0 1,15 * *",
        "30 15 ? jan-mar mon",
        "0 12 * * 0",
        "5 4 * * sun",
        "@daily",
        "@hourly",
        "@weekly",
    ],
)
def test_plausible_schedules_are_accepted(schedule: str) -> None:
    """Five-field cron expressions (with names, ranges, steps, lists) and macros parse."""
    assert TradingStrategySpec.model_validate(_spec(schedule=schedule)).schedule == schedule


def test_integral_json_numbers_are_accepted_for_fractions() -> None:
    """`weight: 1` in YAML is a number like 1.0, as the apiserver treats it."""
    spec = TradingStrategySpec.model_validate(_spec(allocations=[{"strategy": "klm", "weight": 1}]))
    assert spec.allocations[0].weight == 1.0


def test_weight_tolerance_is_one_thousandth() -> None:
    """Weights summing to 1 within 0.001 pass; a little more than that fails."""
    ok = [{"strategy": "nuclear", "weight": 0.3333}, {"strategy": "tecl", "weight": 0.6664}]
    assert TradingStrategySpec.model_validate(_spec(allocations=ok))
    off = [{"strategy": "nuclear", "weight": 0.3}, {"strategy": "tecl", "weight": 0.6985}]
    with pytest.raises(ValidationError, match="allocations"):
        TradingStrategySpec.model_validate(_spec(allocations=off))


def test_halt_defaults_and_expiry() -> None:
    """A halt defaults to mode Halt over everything; expiresAt parses to an aware time."""
    halt = TradingHalt.model_validate(
        {
            "metadata": {"name": "x"},
            "spec": {"reason": "outage", "expiresAt": "2026-11-27T18:00:00Z"},
        }
    )
    assert halt.spec.mode is HaltMode.HALT
    assert halt.spec.namespaces == []
    assert halt.spec.strategy_selector == LabelSelector()
    assert halt.spec.expires_at == datetime(2026, 11, 27, 18, tzinfo=UTC)
    dumped = halt.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert dumped["spec"]["expiresAt"] == "2026-11-27T18:00:00Z"
    assert dumped["apiVersion"] == "alchemiser.io/v1alpha1"
    assert dumped["kind"] == "TradingHalt"


def test_expires_at_accepts_a_datetime_from_python() -> None:
    """Code building a halt may pass an aware datetime instead of a string."""
    when = datetime(2026, 11, 27, 18, tzinfo=UTC)
    assert TradingHaltSpec(reason="x", expires_at=when).expires_at == when


def test_selector_requirement_values_follow_the_operator() -> None:
    """In/NotIn need values; Exists/DoesNotExist take none."""
    assert LabelSelectorRequirement(key="tier", operator="In", values=["live"])  # type: ignore[arg-type]
    assert LabelSelectorRequirement(key="tier", operator="Exists")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="values"):
        LabelSelectorRequirement(key="tier", operator="NotIn")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="values"):
        LabelSelectorRequirement(key="tier", operator="DoesNotExist", values=["x"])  # type: ignore[arg-type]


def test_strategy_status_round_trips_in_the_metav1_condition_shape() -> None:
    """A full status (conditions, last run) dumps to the wire shape and parses back equal."""
    wire = {
        "observedGeneration": 3,
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "InvalidParameters",
                "message": "nuclear: parameters.topN: unknown parameter for strategy nuclear",
                "lastTransitionTime": "2026-11-27T15:45:00Z",
                "observedGeneration": 3,
            }
        ],
        "cronJobName": "nuclear-trader",
        "haltedBy": ["everything"],
        "lastScheduleTime": "2026-11-27T15:45:00Z",
        "lastRun": {
            "job": "nuclear-trader-29400000",
            "startedAt": "2026-11-27T15:45:01Z",
            "finishedAt": "2026-11-27T15:45:09Z",
            "outcome": "Succeeded",
            "ordersSubmitted": 3,
            "ordersRejected": 1,
            "notional": 9000.5,
            "message": "3 orders filled",
        },
    }
    status = TradingStrategyStatus.model_validate(wire)
    assert status.conditions[0] == Condition(
        type="Ready",
        status=ConditionStatus.FALSE,
        reason="InvalidParameters",
        message="nuclear: parameters.topN: unknown parameter for strategy nuclear",
        last_transition_time=datetime(2026, 11, 27, 15, 45, tzinfo=UTC),
        observed_generation=3,
    )
    assert status.last_run == LastRun.model_validate(wire["lastRun"])
    assert status.last_run is not None and status.last_run.outcome is Outcome.SUCCEEDED
    assert status.model_dump(by_alias=True, mode="json", exclude_none=True) == wire


def test_halt_status_round_trips() -> None:
    """TradingHalt status carries Active, the affected count and propagation time."""
    wire = {
        "conditions": [
            {
                "type": "Active",
                "status": "True",
                "reason": "Matching",
                "message": "",
                "lastTransitionTime": "2026-11-27T15:45:00Z",
            }
        ],
        "affectedStrategies": 12,
        "propagationSeconds": 0.4,
    }
    status = TradingHaltStatus.model_validate(wire)
    assert status.affected_strategies == 12
    assert status.model_dump(by_alias=True, mode="json", exclude_none=True) == wire


def test_resource_models_reject_the_wrong_kind() -> None:
    """A TradingHalt manifest does not parse as a TradingStrategy (or vice versa)."""
    with pytest.raises(ValidationError, match="kind"):
        TradingStrategy.model_validate({"kind": "TradingHalt", "spec": _spec()})
    with pytest.raises(ValidationError, match="apiVersion"):
        TradingHalt.model_validate({"apiVersion": "alchemiser.io/v1", "spec": {"reason": "x"}})


def test_execution_and_broker_models_validate_alone() -> None:
    """Sub-models enforce their own field rules when built directly."""
    assert ExecutionSpec(order_type=OrderType.LIMIT).order_type is OrderType.LIMIT
    with pytest.raises(ValidationError, match="endpoint"):
        BrokerSpec(credentials_secret="ok", endpoint="tcp://x")
    assert BrokerSpec(credentials_secret="ok", endpoint="http://127.0.0.1:8080").endpoint
    assert BrokerSpec(credentials_secret="ok", endpoint="").endpoint == ""
