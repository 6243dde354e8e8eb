"""The flags the chart passes are ones `alchemiser operator` accepts, with the intended values."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chart_support import ALL_FEATURES, one, render

from alchemiser.cli import build_parser
from alchemiser.operator import settings


def _settings(values: dict[str, Any] | None, tmp: Path) -> settings.OperatorSettings:
    deployment = one(render(values, tmp=tmp), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args: argparse.Namespace = build_parser().parse_args(container["args"])
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    return settings.from_args(args, env)


def test_default_flags_parse_into_safe_settings(tmp_path: Path) -> None:
    """Defaults: all namespaces, live trading off, peering on, ports matching the Service."""
    config = _settings(None, tmp_path)
    assert config.namespaces == ()
    assert config.allow_live_trading is False
    assert config.standalone is False and config.peering_name == "alchemiser"
    assert (config.metrics_port, config.probe_port) == (9090, 8080)
    assert config.worker_service_account == "alchemiser-worker"
    assert config.image == "ghcr.io/alchemiser/alchemiser:0.1.0"
    assert config.log_format == "json" and config.log_level == "INFO"


def test_every_feature_flag_parses(tmp_path: Path) -> None:
    """Namespaces, live trading, worker scheduling and image overrides reach the settings."""
    values = {
        **ALL_FEATURES,
        "workers": {
            "image": {"repository": "registry.example/alchemiser", "tag": "1.2.3"},
            "nodeSelector": {"pool": "trading"},
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        },
        "operator": {**ALL_FEATURES["operator"], "logFormat": "console", "logLevel": "debug"},
    }
    config = _settings(values, tmp_path)
    assert config.namespaces == ("team-a", "team-b")
    assert config.allow_live_trading is True
    assert config.image == "registry.example/alchemiser:1.2.3"
    assert dict(config.node_selector) == {"pool": "trading"}
    assert [dict(t) for t in config.tolerations] == [
        {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert config.log_format == "console" and config.log_level == "DEBUG"


def test_peering_off_runs_standalone(tmp_path: Path) -> None:
    """peering.enabled=false starts the operator with --standalone and creates no peering object."""
    values = {"operator": {"peering": {"enabled": False}}}
    assert _settings(values, tmp_path).standalone is True
    assert not [d for d in render(values, tmp=tmp_path) if d["kind"] == "ClusterKopfPeering"]
