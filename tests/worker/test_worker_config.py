"""Run configuration: from a manifest locally, from the operator's env vars in a pod."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alchemiser.errors import ConfigError
from alchemiser.worker.config import load

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SPEC = {
    "schedule": "45 15 * * 1-5",
    "allocations": [{"strategy": "static", "weight": 1, "parameters": {"weights": {"SPY": 1}}}],
    "broker": {"credentialsSecret": "alpaca-paper"},
}


def test_a_manifest_gives_spec_identity_and_labels(tmp_path: Path) -> None:
    """A TradingStrategy YAML file supplies the spec, namespace, name and labels (plus the
    alchemiser.io/strategy=<name> label every strategy carries as halts see it)."""
    manifest = tmp_path / "s.yaml"
    manifest.write_text(
        json.dumps(
            {
                "apiVersion": "alchemiser.io/v1alpha1",
                "kind": "TradingStrategy",
                "metadata": {"name": "demo", "namespace": "team-a", "labels": {"tier": "prod"}},
                "spec": SPEC,
            }
        )
    )
    config = load(manifest=manifest, run_id=None, environ={}, now=NOW)
    labels = {"tier": "prod", "alchemiser.io/strategy": "demo"}
    assert (config.namespace, config.name, config.labels) == ("team-a", "demo", labels)
    assert config.run_id.startswith("local-20261127T150000")


def test_a_manifest_that_is_not_yaml_names_its_line_and_column(tmp_path: Path) -> None:
    """A YAML syntax error in --manifest is a ConfigError saying where, as PATH:LINE:COL."""
    manifest = tmp_path / "s.yaml"
    manifest.write_text("kind: TradingStrategy\nspec: [unclosed\n")
    expected = (
        rf"--manifest {manifest}:3:1: did not find expected ',' or '\]' "
        r"\(while parsing a flow sequence opened at 2:7\)"
    )
    with pytest.raises(ConfigError, match=expected):
        load(manifest=manifest, run_id=None, environ={}, now=NOW)


def test_the_pod_environment_gives_everything() -> None:
    """In a pod the spec JSON, downward-API identity and the labels JSON are read."""
    environ = {
        "ALCHEMISER_STRATEGY_SPEC": json.dumps(SPEC),
        "ALCHEMISER_STRATEGY_NAMESPACE": "team-a",
        "ALCHEMISER_STRATEGY_NAME": "demo",
        "ALCHEMISER_STRATEGY_UID": "uid-1",
        "ALCHEMISER_JOB_NAME": "demo-29123456",
        "ALCHEMISER_STRATEGY_LABELS": '{"tier": "prod"}',
    }
    config = load(manifest=None, run_id=None, environ=environ, now=NOW)
    assert (config.uid, config.run_id, config.labels) == (
        "uid-1",
        "demo-29123456",
        {"tier": "prod", "alchemiser.io/strategy": "demo"},
    )
    del environ["ALCHEMISER_STRATEGY_LABELS"]
    assert load(manifest=None, run_id="r", environ=environ, now=NOW).labels is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "ALCHEMISER_STRATEGY_SPEC"),
        ({"ALCHEMISER_STRATEGY_SPEC": "{}"}, "schedule"),
        ({"ALCHEMISER_STRATEGY_SPEC": json.dumps(SPEC)}, "ALCHEMISER_STRATEGY_NAMESPACE"),
    ],
)
def test_missing_or_invalid_configuration_names_the_field(
    environ: dict[str, str], message: str
) -> None:
    """A ConfigError says which variable or field is wrong."""
    with pytest.raises(ConfigError, match=message):
        load(manifest=None, run_id=None, environ=environ, now=NOW)
