"""The operator's notification wiring: loading the file, counting outcomes."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alchemiser.errors import ConfigError
from alchemiser.notify import notices
from alchemiser.operator import metrics, notifying, settings
from alchemiser.operator.tripping import TripNotice


def test_no_file_means_no_notifications() -> None:
    """Without --notifications-config nothing is loaded."""
    assert notifying.load("") is None


def test_a_file_without_webhooks_is_refused(tmp_path: Path) -> None:
    """A notifications file naming no webhook is a configuration error, not silence."""
    path = tmp_path / "n.yaml"
    path.write_text("sinks: []\n")
    with pytest.raises(ConfigError, match="at least one webhook"):
        notifying.load(str(path))


def test_a_valid_file_is_loaded(tmp_path: Path) -> None:
    """The file named by the setting is parsed into the webhooks."""
    path = tmp_path / "n.yaml"
    path.write_text("sinks: [{name: ops, format: slack, urlFile: /u/ops}]\n")
    parsed = notifying.load(str(path))
    assert parsed is not None and [s.name for s in parsed.sinks] == ["ops"]


def test_outcomes_are_counted_per_sink() -> None:
    """record() feeds alchemiser_notifications_total{sink,outcome}."""
    before = metrics.REGISTRY.get_sample_value(
        "alchemiser_notifications_total", {"sink": "ops", "outcome": "sent"}
    )
    notifying.record("ops", "sent")
    after = metrics.REGISTRY.get_sample_value(
        "alchemiser_notifications_total", {"sink": "ops", "outcome": "sent"}
    )
    assert after == (before or 0.0) + 1


def test_the_setting_comes_from_the_flag_or_the_environment() -> None:
    """--notifications-config, else ALCHEMISER_NOTIFICATIONS_CONFIG."""
    parser = argparse.ArgumentParser()
    settings.add_arguments(parser)
    flag = settings.from_args(parser.parse_args(["--notifications-config=/a.yaml"]), {})
    env = settings.from_args(parser.parse_args([]), {"ALCHEMISER_NOTIFICATIONS_CONFIG": "/b"})
    assert (flag.notifications_config, env.notifications_config) == ("/a.yaml", "/b")
    assert settings.from_args(parser.parse_args([]), {}).notifications_config == ""


def test_a_breaker_trip_becomes_a_breaker_notice() -> None:
    """tripping's TripNotice maps field for field onto a breaker.tripped notice."""
    trip = TripNotice(
        namespace="a",
        strategy="trader",
        breaker="dailyLoss",
        halt="breaker.a.trader.daily-loss",
        reason="equity 6.0% below the session start (limit 5%)",
        mode="ReduceOnly",
        expires_at="2026-12-02T00:00:00Z",
    )
    notice = notifying.breaker_notice(trip, datetime(2026, 12, 1, tzinfo=UTC))
    assert notice.kind is notices.Kind.BREAKER_TRIPPED
    assert notice.facts["halt"] == trip.halt and notice.facts["mode"] == "ReduceOnly"
    assert notice.facts["expiresAt"] == trip.expires_at
    assert "dailyLoss tripped" in notice.title and "6.0%" in notice.title
