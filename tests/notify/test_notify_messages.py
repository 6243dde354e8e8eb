"""Notices, their wire formats and the configuration: pure, no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cloudevents.core.bindings import http

from alchemiser.errors import ConfigError
from alchemiser.notify import config, formats, notices

NOW = datetime(2026, 12, 1, 15, 45, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
RUN = {
    "job": "trader-29400000",
    "outcome": "Succeeded",
    "ordersSubmitted": 3,
    "ordersRejected": 1,
    "notional": 1234.567,
    "message": "1 order rejected: maxOrderNotional",
    "startedAt": "2026-12-01T15:45:00Z",
    "finishedAt": "2026-12-01T15:45:20Z",
}
HALT = {
    "metadata": {"name": "stop-all", "uid": "u-1", "labels": {}},
    "spec": {"reason": "broker outage", "mode": "Halt", "namespaces": ["a"]},
}
BREAKER_HALT = {
    "metadata": {
        "name": "breaker-a-trader-dailyloss",
        "uid": "u-2",
        "labels": {"alchemiser.io/breaker": "dailyLoss"},
    },
    "spec": {"reason": "equity down 6.1% (limit 5%)", "mode": "ReduceOnly"},
}


def test_run_finished_carries_outcome_orders_notional_rejections_and_message() -> None:
    """A run notice has every figure of status.lastRun and a headline naming them."""
    notice = notices.run_finished("a", "trader", RUN, now=NOW)
    assert notice.kind is notices.Kind.RUN_FINISHED
    assert notice.facts["outcome"] == "Succeeded"
    assert notice.facts["ordersSubmitted"] == 3
    assert notice.facts["ordersRejected"] == 1
    assert notice.facts["notional"] == 1234.57
    assert notice.facts["message"] == RUN["message"]
    assert "3 orders submitted, 1 rejected, $1,234.57 notional" in notice.title
    assert notice.severity == "warning"
    assert notices.run_finished("a", "t", {**RUN, "outcome": "Failed"}, now=NOW).severity == (
        "critical"
    )


def test_keys_identify_the_occurrence_not_the_time() -> None:
    """The same run published later has the same key; another job, strategy or kind differs."""
    first = notices.run_finished("a", "trader", RUN, now=NOW)
    assert notices.run_finished("a", "trader", RUN, now=LATER).key == first.key
    others = {
        notices.run_finished("a", "trader", {**RUN, "job": "trader-2"}, now=NOW).key,
        notices.run_finished("b", "trader", RUN, now=NOW).key,
        notices.halt_created(HALT, affected=1, now=NOW).key,
        notices.halt_cleared(HALT, expired=False, now=NOW).key,
    }
    assert first.key not in others and len(others) == 4


def test_halt_notices_say_who_created_it() -> None:
    """A halt with the breaker label was created by that breaker, any other by a person."""
    by_person = notices.halt_created(HALT, affected=4, now=NOW)
    assert by_person.facts["by"] == "a person" and by_person.namespace is None
    assert "4 strategies halted" in by_person.title
    by_breaker = notices.halt_created(BREAKER_HALT, affected=1, now=NOW)
    assert by_breaker.facts["by"] == "breaker dailyLoss"
    assert by_breaker.facts["mode"] == "ReduceOnly"
    expired = notices.halt_cleared(BREAKER_HALT, expired=True, now=NOW)
    assert expired.facts["cleared"] == "expired" and "expired" in expired.title
    deleted = notices.halt_cleared(HALT, expired=False, now=NOW)
    assert deleted.facts["cleared"] == "deleted"


def test_breaker_and_not_ready_notices() -> None:
    """A trip names strategy, breaker, halt and figures; not-Ready keys follow the transition."""
    trip = notices.breaker_tripped(
        namespace="a",
        strategy="trader",
        breaker="drawdown",
        halt="breaker-a-trader-drawdown",
        reason="equity 8.2% below its high-water mark (limit 8%)",
        mode="ReduceOnly",
        expires_at=None,
        now=NOW,
    )
    assert trip.severity == "critical" and "drawdown" in trip.title and "8.2%" in trip.title
    first = notices.strategy_not_ready(
        "a", "t", reason="CredentialsMissing", message="no Secret", generation=2, since="x",
        now=NOW,
    )  # fmt: skip
    again = notices.strategy_not_ready(
        "a", "t", reason="CredentialsMissing", message="no Secret", generation=2, since="y",
        now=NOW,
    )  # fmt: skip
    assert first.key != again.key
    assert "not Ready (CredentialsMissing)" in first.title


def test_cloudevent_is_structured_json_with_the_key_as_id() -> None:
    """The CloudEvents request parses back with the SDK: id = key, typed, data = the facts."""
    notice = notices.run_finished("a", "trader", RUN, now=NOW)
    request = formats.request(notice, formats.Format.CLOUDEVENTS)
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    assert request.headers["idempotency-key"] == notice.key
    event = http.from_http_event(http.HTTPMessage(request.headers, request.body))
    assert event.get_id() == notice.key
    assert event.get_type() == "io.alchemiser.run.finished"
    assert event.get_subject() == "a/trader"
    assert event.get_specversion() == "1.0"
    data = event.get_data()
    assert isinstance(data, dict)
    assert data["ordersRejected"] == 1 and data["title"] == notice.title


def test_slack_message_has_text_blocks_and_the_key() -> None:
    """Slack gets `text` plus section/context blocks; the key is in a header and the context."""
    notice = notices.run_finished("a", "trader", RUN, now=NOW)
    request = formats.request(notice, formats.Format.SLACK)
    payload = json.loads(request.body)
    assert payload["text"].endswith(notice.title)
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds == ["section", "section", "section", "context"]
    assert len(payload["blocks"][1]["fields"]) <= 10
    assert notice.key in payload["blocks"][-1]["elements"][0]["text"]
    assert request.headers["idempotency-key"] == notice.key


def test_config_parses_and_routes(tmp_path: Path) -> None:
    """Sinks take camelCase fields; events and namespaces filter, halts reach every sink."""
    parsed = config.parse(
        "sinks:\n"
        "  - {name: ops, format: slack, urlFile: /s/ops, events: [run.finished]}\n"
        "  - {name: team-a, urlFile: /s/a, namespaces: [a]}\n"
        "attempts: 3\n"
    )
    ops, team = parsed.sinks
    assert ops.format is formats.Format.SLACK and team.format is formats.Format.CLOUDEVENTS
    assert parsed.attempts == 3 and parsed.queue_limit == 1000
    run_a = notices.run_finished("a", "t", RUN, now=NOW)
    run_b = notices.run_finished("b", "t", RUN, now=NOW)
    halt = notices.halt_created(HALT, affected=1, now=NOW)
    assert ops.wants(run_a) and ops.wants(run_b) and not ops.wants(halt)
    assert team.wants(run_a) and not team.wants(run_b) and team.wants(halt)
    path = tmp_path / "n.yaml"
    path.write_text(json.dumps(json.loads(config.dumps(parsed))))
    assert config.load(path) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sinks: [{name: x, urlFile: /a, format: email}]", "sinks[0].format"),
        ("sinks: [{name: x}]", "sinks[0].urlFile"),
        ("sinks: [{name: Bad_Name, urlFile: /a}]", "sinks[0].name"),
        ("sinks: [{name: x, urlFile: /a, events: [run.started]}]", "sinks[0].events[0]"),
        ("sinks: [{name: x, urlFile: /a, url: 'http://h'}]", "sinks[0].url"),
        ("attempts: 0", "attempts"),
        ("sinks: [{name: x, urlFile: /a}, {name: x, urlFile: /b}]", "duplicate name(s) x"),
        ("- just a list", "must be a mapping"),
        ("sinks: [", "not valid YAML"),
    ],
)
def test_config_errors_name_the_field(text: str, message: str) -> None:
    """Bad configuration fails with the field's path and the reason."""
    with pytest.raises(ConfigError) as raised:
        config.parse(text)
    assert str(raised.value).startswith("notifications config: ")
    assert message in str(raised.value)


def test_config_file_missing_is_a_clear_error(tmp_path: Path) -> None:
    """A configuration file that cannot be read names the path."""
    with pytest.raises(ConfigError, match="cannot be read"):
        config.load(tmp_path / "absent.yaml")
