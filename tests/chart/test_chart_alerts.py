"""The chart's alert rules are valid PromQL, pass their promtool unit tests and use real metrics."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from chart_support import (
    ALL_FEATURES,
    CHART,
    PROMETHEUS_SYNTHETIC,
    all_metric_names,
    binary,
    code_metric_names,
    promql_metric_names,
    render,
    rule_groups,
    run,
)

TEST_FILES = sorted((CHART / "tests").glob("*_test.yaml"))
REQUIRED_ALERTS = {
    "AlchemiserHaltActive",
    "AlchemiserRunFailed",
    "AlchemiserNoSuccessfulRunToday",
    "AlchemiserOperatorDown",
    "AlchemiserReconcileErrors",
    "AlchemiserOrdersRejected",
    "AlchemiserHaltPropagationSlow",
    "AlchemiserBreakerTripped",
}


@pytest.fixture(scope="module")
def groups(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The rule groups of the PrometheusRule rendered with every feature on."""
    return rule_groups(render(ALL_FEATURES, tmp=tmp_path_factory.mktemp("values")))


def _rules_file(path: Path, groups: list[dict[str, Any]], *, short: bool = False) -> Path:
    if short:
        groups = [
            {
                **group,
                "rules": [
                    {
                        **rule,
                        "annotations": {"summary": rule["annotations"]["summary"]},
                    }
                    for rule in group["rules"]
                ],
            }
            for group in groups
        ]
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def test_promtool_check_rules_passes(tmp_path: Path, groups: list[dict[str, Any]]) -> None:
    """`promtool check rules` accepts the rendered rules (PromQL parses, templates compile)."""
    rules = _rules_file(tmp_path / "rules.yaml", groups)
    result = run([binary("promtool"), "check", "rules", rules])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_unit_tests_pass(tmp_path: Path, groups: list[dict[str, Any]]) -> None:
    """charts/alchemiser/tests/*_test.yaml pass `promtool test rules` on the rendered rules."""
    _rules_file(tmp_path / "rules.yaml", groups, short=True)
    test_files = []
    for source in TEST_FILES:
        test_files.append(tmp_path / source.name)
        shutil.copy(source, test_files[-1])
    result = run([binary("promtool"), "test", "rules", *test_files])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES) == 2, result.stdout


def test_unit_tests_cover_every_alert(groups: list[dict[str, Any]]) -> None:
    """Each alert in the chart is exercised by at least one firing case in the test files."""
    tests = [test for path in TEST_FILES for test in yaml.safe_load(path.read_text())["tests"]]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    alerts = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    assert alerts >= REQUIRED_ALERTS
    assert alerts == fired


def test_every_alert_has_summary_description_runbook_and_severity(
    groups: list[dict[str, Any]],
) -> None:
    """Alerts carry the annotations an on-call engineer needs and a severity label."""
    for group in groups:
        for rule in group["rules"]:
            annotations = rule["annotations"]
            for key in ("summary", "description", "runbook"):
                assert len(annotations.get(key, "")) > 20, (rule["alert"], key)
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}


def test_alert_thresholds_come_from_values(tmp_path: Path) -> None:
    """noSuccessfulRunByHourUTC and haltPropagationThresholdSeconds change the expressions."""
    values = {
        "metrics": {
            "prometheusRule": {
                "enabled": True,
                "noSuccessfulRunByHourUTC": 20,
                "haltPropagationThresholdSeconds": 0.25,
                "job": "custom-job",
            }
        }
    }
    rules = {r["alert"]: r for g in rule_groups(render(values, tmp=tmp_path)) for r in g["rules"]}
    assert "hour() >= 20" in rules["AlchemiserNoSuccessfulRunToday"]["expr"]
    assert 'le=~"0\\\\.25(\\\\.0)?"' in rules["AlchemiserHaltPropagationSlow"]["expr"]
    assert all('job="custom-job"' in rule["expr"] for rule in rules.values())


def test_metric_name_extraction_finds_selectors_only() -> None:
    """The PromQL name extractor ignores functions, keywords, labels, strings and durations."""
    expr = (
        'sum by (le, job) (rate(a_total{job="x", le=~"5(\\\\.0)?"}[5m] offset 1h)) > 1e3 '
        "and on (namespace) b unless ignoring (mode) c_seconds_bucket or vector(1) "
        "and on () (hour() >= 22) and absent(up{job='y'} == 1)"
    )
    assert promql_metric_names(expr) == {"a_total", "b", "c_seconds_bucket", "up"}


def test_every_metric_in_rules_and_dashboards_is_exported_by_the_code(tmp_path: Path) -> None:
    """Rules and dashboards name only series alchemiser.operator.metrics exports (or `up`)."""
    exported = code_metric_names()
    # Counters export only with _total, histograms only with their suffixes.
    assert {"alchemiser_runs_total", "alchemiser_halt_propagation_seconds_bucket"} <= exported
    assert not {"alchemiser_runs", "alchemiser_halt_propagation_seconds"} & exported
    used = all_metric_names(render(ALL_FEATURES, tmp=tmp_path))
    assert sum(where.startswith("rule ") for where in used) == len(REQUIRED_ALERTS) + 1
    assert sum(where.startswith("dashboard ") for where in used) == 2
    for where, names in used.items():
        unknown = names - exported - PROMETHEUS_SYNTHETIC
        assert not unknown, f"{where} uses {sorted(unknown)}, not exported by the operator"
        assert names, where
    assert set().union(*used.values()) - PROMETHEUS_SYNTHETIC
