"""The Grafana dashboards are well-formed, their queries parse and name only exported metrics.

No Grafana server can be installed here, so nothing renders them: their JSON is decoded
strictly with Grafana's own dashboard types (grafana-foundation-sdk), their structure and
queries are checked here, and promtool parses every query.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from chart_support import (
    CHART,
    binary,
    code_metric_names,
    dashboard_exprs,
    dashboards,
    grafanacheck,
    panels,
    promql_metric_names,
    run,
    variable_metric_names,
)

PANEL_TYPES = {"row", "stat", "timeseries", "table", "bargauge", "gauge"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def test_the_overview_and_the_strategy_drill_down_ship() -> None:
    """Two dashboards with stable uids: the overview and the per-strategy drill-down."""
    uids = {d["uid"] for d in dashboards().values()}
    assert uids == {"alchemiser-overview", "alchemiser-strategy"}


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_dashboard_structure(name: str) -> None:
    """Unique panel ids, grid positions inside 24 columns, no overlaps, one data source variable."""
    dashboard = dashboards()[name]
    assert dashboard["schemaVersion"] >= 36 and dashboard["title"].startswith("Alchemiser")
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels(dashboard):
        assert panel["type"] in PANEL_TYPES, panel["type"]
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24 and pos["h"] > 0
        columns = range(pos["x"], pos["x"] + pos["w"])
        area = {(x, y) for x in columns for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not area & cells, f"panel {panel['title']!r} overlaps another"
        cells |= area
        if panel["type"] != "row":
            assert panel["title"] and panel["description"]
            assert panel["datasource"] == DATASOURCE
            assert panel["targets"]
            refs = [target["refId"] for target in panel["targets"]]
            assert len(refs) == len(set(refs))
            assert all(target["datasource"] == DATASOURCE for target in panel["targets"])
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"


def test_strategy_dashboard_has_namespace_and_strategy_variables() -> None:
    """The drill-down selects by $namespace and $strategy, and every query uses both."""
    dashboard = dashboards()["strategy.json"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["namespace"]["type"] == variables["strategy"]["type"] == "query"
    assert "$namespace" in variables["strategy"]["query"]["query"]
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            assert 'namespace="$namespace"' in target["expr"]
            assert 'strategy="$strategy"' in target["expr"]


def test_overview_shows_what_the_issue_asks_for() -> None:
    """The overview has strategies by state, halts, runs by outcome, orders, notional, last runs."""
    exprs = "\n".join(dashboard_exprs(dashboards()["overview.json"]))
    for needle in (
        "sum by (state) (alchemiser_strategies",
        "alchemiser_halts_active",
        "sum by (outcome) (increase(alchemiser_runs_total",
        "sum by (outcome) (increase(alchemiser_orders_total",
        "alchemiser_notional_usd_total",
        "alchemiser_last_successful_run_timestamp_seconds",
    ):
        assert needle in exprs


def test_every_query_parses_as_promql(tmp_path: Path) -> None:
    """promtool parses every dashboard query (variables substituted) as a recording rule."""
    rules = []
    for name, dashboard in dashboards().items():
        for index, expr in enumerate(dashboard_exprs(dashboard)):
            record = re.sub(r"\W", "_", f"dashboard:{name}:{index}")
            rules.append({"record": record, "expr": expr})
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run([binary("promtool"), "check", "rules", path])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout + result.stderr


def test_dashboards_use_only_exported_metrics() -> None:
    """Every metric in panel queries and variable queries is one the operator exports."""
    exported = code_metric_names()
    for name, dashboard in dashboards().items():
        used: set[str] = variable_metric_names(dashboard)
        for expr in dashboard_exprs(dashboard):
            names = promql_metric_names(expr)
            assert names, expr
            used |= names
        assert used <= exported, f"{name}: {sorted(used - exported)}"


def test_dashboards_decode_strictly_with_grafanas_own_types() -> None:
    """grafana-foundation-sdk's strict decoder and validator accept both dashboards."""
    paths = sorted((CHART / "dashboards").glob("*.json"))
    result = run([grafanacheck(), *paths])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok, ") == len(paths) == 2, result.stdout


def test_strict_decoding_rejects_an_unknown_field(tmp_path: Path) -> None:
    """The same check fails on a dashboard with a misspelt panel field, so it can fail."""
    text = (CHART / "dashboards" / "overview.json").read_text()
    broken = tmp_path / "broken.json"
    broken.write_text(text.replace('"gridPos"', '"gridPosition"', 1))
    result = run([grafanacheck(), broken])
    assert result.returncode == 1
    assert "unexpected field 'gridPosition'" in result.stdout
