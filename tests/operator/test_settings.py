"""Operator settings: flags override environment variables, which override defaults."""

import argparse
from datetime import UTC, datetime

import pytest

from alchemiser import __version__
from alchemiser.errors import ConfigError
from alchemiser.operator import settings
from alchemiser.operator.cli import halt_manifest, register


def build_parser():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser


def _parse(argv, env=None):
    parser = argparse.ArgumentParser()
    settings.add_arguments(parser)
    return settings.from_args(parser.parse_args(argv), env or {})


def test_defaults_are_safe():
    """By default: versioned image, all namespaces, live trading off, worker SA."""
    config = _parse([])
    assert config.image == f"ghcr.io/alchemiser/alchemiser:{__version__}"
    assert config.allow_live_trading is False
    assert config.namespaces == ()
    assert config.worker_service_account == "alchemiser-worker"
    assert config.resync_seconds < 60


def test_flags_beat_environment():
    """A flag wins over its environment variable; the variable wins over the default."""
    env = {"ALCHEMISER_WORKER_IMAGE": "env/image:1", "ALCHEMISER_ALLOW_LIVE_TRADING": "true"}
    assert _parse([], env).image == "env/image:1"
    assert _parse([], env).allow_live_trading is True
    assert (
        _parse(["--worker-image", "flag/image:2", "--no-allow-live-trading"], env).image
        == "flag/image:2"
    )
    assert _parse(["--no-allow-live-trading"], env).allow_live_trading is False


def test_node_selector_and_tolerations_parse():
    """KEY=VALUE selectors and KEY[=VALUE]:EFFECT tolerations become pod fields."""
    config = _parse(
        [
            "--worker-node-selector",
            "alchemiser.io/local-runner=true",
            "--worker-toleration",
            "alchemiser.io/local-runner=true:NoSchedule",
            "--worker-toleration",
            "dedicated:NoExecute",
        ]
    )
    assert config.node_selector == {"alchemiser.io/local-runner": "true"}
    assert config.tolerations == (
        {
            "key": "alchemiser.io/local-runner",
            "operator": "Equal",
            "value": "true",
            "effect": "NoSchedule",
        },
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"},
    )


def test_environment_lists_and_json_tolerations():
    """Comma lists and a JSON toleration list are accepted from the environment."""
    env = {
        "ALCHEMISER_NAMESPACES": "a, b",
        "ALCHEMISER_WORKER_TOLERATIONS": '[{"key": "k", "operator": "Exists"}]',
    }
    config = _parse([], env)
    assert config.namespaces == ("a", "b")
    assert config.tolerations == ({"key": "k", "operator": "Exists"},)


@pytest.mark.parametrize(
    "argv",
    [
        ["--worker-image-pull-policy", "Sometimes"],
        ["--resync-seconds", "90"],
        ["--metrics-port", "0"],
        ["--worker-toleration", "novalue"],
        ["--worker-node-selector", "nokey"],
    ],
)
def test_invalid_settings_are_refused(argv):
    """Bad values raise ConfigError naming the setting."""
    with pytest.raises(ConfigError):
        _parse(argv)


def test_namespace_flags():
    """--namespace restricts; --all-namespaces with --namespace is refused."""
    assert _parse(["--namespace", "a", "--namespace", "b"]).namespaces == ("a", "b")
    assert _parse(["--all-namespaces"]).namespaces == ()
    with pytest.raises(ConfigError):
        _parse(["--all-namespaces", "--namespace", "a"])


def test_halt_command_builds_a_limited_expiring_halt():
    """`alchemiser halt` turns its flags into a TradingHalt with namespaces, selector, expiry."""
    args = build_parser().parse_args(
        ["halt", "outage", "--reason", "broker outage", "-n", "prod", "-l", "team=quant",
         "--expires-in", "30m", "--mode", "ReduceOnly"]
    )  # fmt: skip
    manifest = halt_manifest(args, datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert manifest["metadata"] == {"name": "outage"}
    assert manifest["spec"] == {
        "reason": "broker outage",
        "mode": "ReduceOnly",
        "namespaces": ["prod"],
        "strategySelector": {"matchLabels": {"team": "quant"}},
        "expiresAt": "2026-11-27T15:30:00Z",
    }
    with pytest.raises(ConfigError):
        halt_manifest(
            build_parser().parse_args(["halt", "x", "--reason", "r", "--expires-in", "soon"]),
            datetime(2026, 11, 27, tzinfo=UTC),
        )
