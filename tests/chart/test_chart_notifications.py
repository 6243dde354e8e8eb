"""The chart's notification values become the operator's notifications file and mounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chart_support import helm_template, one, render

from alchemiser.notify import config

WEBHOOKS = {
    "notifications": {
        "secretName": "alchemiser-webhooks",
        "webhooks": [
            {"name": "ops-slack", "format": "slack", "urlKey": "ops-slack"},
            {
                "name": "team-a",
                "urlKey": "team-a",
                "events": ["run.finished", "breaker.tripped"],
                "namespaces": ["team-a"],
            },
        ],
        "attempts": 3,
    }
}


def _pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return one(docs, "Deployment")["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_no_webhooks_means_no_notification_objects(tmp_path: Path) -> None:
    """By default nothing about notifications is rendered and the operator gets no flag."""
    docs = render({}, tmp=tmp_path)
    pod = _pod(docs)
    assert not [d for d in docs if d["metadata"]["name"].endswith("-notifications")]
    assert not [a for a in pod["containers"][0]["args"] if "notifications" in a]
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]


def test_webhooks_render_a_config_the_operator_parses(tmp_path: Path) -> None:
    """The ConfigMap parses with alchemiser.notify.config; URLs come from the mounted Secret."""
    docs = render(WEBHOOKS, tmp=tmp_path)
    configmap = one(docs, "ConfigMap", "alchemiser-notifications")
    parsed = config.parse(configmap["data"]["notifications.yaml"])
    assert parsed.attempts == 3 and parsed.queue_limit == 1000
    slack, team = parsed.sinks
    assert (slack.name, slack.format.value, slack.events) == ("ops-slack", "slack", ())
    assert str(team.url_file) == "/etc/alchemiser/notifications/urls/team-a"
    assert [kind.value for kind in team.events] == ["run.finished", "breaker.tripped"]
    assert team.namespaces == ("team-a",)
    pod = _pod(docs)
    (container,) = pod["containers"]
    flag = "--notifications-config=/etc/alchemiser/notifications/config/notifications.yaml"
    assert flag in container["args"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["notifications-urls"]["secret"]["secretName"] == "alchemiser-webhooks"
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["notifications-urls"]["readOnly"] is True
    assert mounts["notifications-urls"]["mountPath"] == "/etc/alchemiser/notifications/urls"


def test_webhooks_without_a_secret_fail_with_the_value_named(tmp_path: Path) -> None:
    """Webhooks need notifications.secretName: helm fails saying so."""
    values = {"notifications": {**WEBHOOKS["notifications"], "secretName": ""}}
    result = helm_template(values, tmp=tmp_path)
    assert result.returncode != 0
    assert "notifications.secretName: required" in result.stderr


def test_schema_refuses_a_url_in_values(tmp_path: Path) -> None:
    """A webhook given as `url` (a credential in values) is refused by the schema."""
    hook = {"name": "x", "urlKey": "x", "url": "https://hooks.example/T0KEN"}
    values = {"notifications": {"secretName": "s", "webhooks": [hook]}}
    result = helm_template(values, tmp=tmp_path)
    assert result.returncode != 0
    assert "/notifications/webhooks/0" in result.stderr
