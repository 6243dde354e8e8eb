"""A refused document is described one way everywhere: `path: reason`, in its own field names."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from alchemiser.api import TradingBacktestSpec, TradingStrategySpec, problems
from alchemiser.backtest import job


def refusal(
    model: type[TradingStrategySpec] | type[TradingBacktestSpec], raw: object
) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(raw)
    return caught.value


def test_paths_use_the_documents_names_dots_and_list_indexes() -> None:
    """pydantic's loc ('allocations', 0, 'weight') reads as the user wrote it."""
    assert problems.field_path(("allocations", 0, "weight"), "spec") == "spec.allocations[0].weight"
    assert problems.field_path(("sinks", 1, "format")) == "sinks[1].format"
    assert problems.field_path((), "spec") == "spec"
    assert problems.field_path(()) == ""


def test_a_strategy_spec_names_each_field_in_camel_case() -> None:
    """Field names are the CRD's (camelCase aliases), not Python's."""
    error = refusal(
        TradingStrategySpec,
        {
            "schedule": "0 15 * * 1-5",
            "broker": {"credentialsSecret": "s"},
            "allocations": [{"strategy": "static", "weight": 2}],
        },
    )
    found = problems.problems(error, "spec")
    assert [problem.path for problem in found] == ["spec.allocations[0].weight"]
    assert str(found[0]) == "spec.allocations[0].weight: Input should be less than or equal to 1"


def test_our_validators_messages_lose_pydantics_prefix() -> None:
    """A model validator's ValueError reads as its own sentence, without 'Value error, '."""
    error = refusal(
        TradingBacktestSpec,
        {"strategyRef": {"name": "s"}, "start": "2024-02-01", "end": "2024-01-01"},
    )
    text = problems.summary(error, "spec")
    assert text.startswith("spec")
    assert "Value error" not in text
    assert "https://" not in text  # no pydantic documentation links in a status message


def test_a_summary_lists_five_and_counts_the_rest() -> None:
    """Seven problems: five shown, then 'and 2 more'."""
    error = refusal(
        TradingStrategySpec,
        {"allocations": [{"strategy": "nope", "weight": 2}] * 3, "a": 1, "b": 2, "c": 3},
    )
    assert len(problems.problems(error)) > problems.SHOWN
    text = problems.summary(error)
    assert text.count("; ") == problems.SHOWN
    assert text.endswith(f"; and {len(problems.problems(error)) - problems.SHOWN} more")


def test_a_backtest_pod_names_the_field_of_its_refused_spec(tmp_path: Path) -> None:
    """A backtest pod given a spec it cannot read fails naming the field, not only the reason."""
    spec = {
        "strategyRef": {"name": "s"},
        "start": "2024-01-01",
        "end": "2024-06-01",
        "variants": [{"name": "a", "start": "soon"}],
    }
    log = tmp_path / "termination-log"
    assert job.run({"ALCHEMISER_BACKTEST_SPEC": json.dumps(spec)}, log) == 1
    message = json.loads(log.read_text())["message"]
    assert "spec.variants[0].start: String should match pattern" in message
