"""Helpers for the chart tests: the pinned helm/promtool binaries, rendering, metric names.

Shared by tests/chart (no cluster) and tests/kube/test_chart.py (live checks).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

import toolchain_support
from alchemiser.operator import metrics

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "alchemiser"
RELEASE = "alchemiser"
NAMESPACE = "alchemiser-system"
KUBE_VERSION = "1.35.4"
# The Prometheus job of the operator for release "alchemiser": the metrics Service name.
JOB = "alchemiser-metrics"

# Every optional feature switched on (and the namespace-scoped RBAC variant).
ALL_FEATURES = {
    "allowLiveTrading": True,
    "operator": {"watchNamespaces": ["team-a", "team-b"]},
    "metrics": {
        "serviceMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
    },
    "grafana": {"dashboards": {"enabled": True}},
}

# Series that Prometheus itself creates for every target, not the operator.
PROMETHEUS_SYNTHETIC = frozenset({"up"})


binary = toolchain_support.binary  # helm and promtool, as the chart tests run them


def grafanacheck() -> Path:
    """tests/chart/grafanacheck built (once per source version) into the tool cache.

    It decodes dashboards strictly with grafana-foundation-sdk, Grafana's own dashboard
    types: the closest check to loading them into Grafana that works without a server.
    """
    source = Path(__file__).resolve().parent / "grafanacheck"
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((source / name).read_bytes())
    target = (
        toolchain_support.toolchain().cache_root()
        / "bin"
        / f"grafanacheck-{digest.hexdigest()[:8]}"
    )
    path = target / "grafanacheck"
    if path.is_file():
        return path
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
    env["GOFLAGS"] = "-buildvcs=false -trimpath -mod=readonly"
    partial = target / f"grafanacheck.partial-{os.getpid()}"
    result = subprocess.run(
        ["go", "build", "-o", str(partial), "."],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr
    partial.rename(path)
    return path


def run(argv: list[str | Path], *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run(
        [str(a) for a in argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


def helm_template(
    values: Mapping[str, Any] | None = None,
    *,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
    kube_version: str = KUBE_VERSION,
    tmp: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`helm template` the chart with the given values (as a values file)."""
    argv: list[str | Path] = [
        binary("helm"),
        "template",
        release,
        CHART,
        "--namespace",
        namespace,
        "--kube-version",
        kube_version,
    ]
    if values is not None:
        if tmp is None:
            raise ValueError("values need a tmp directory")
        values_file = tmp / f"values-{abs(hash(json.dumps(values, sort_keys=True)))}.yaml"
        values_file.write_text(yaml.safe_dump(dict(values)))
        argv += ["--values", values_file]
    return run(argv)


def render(
    values: Mapping[str, Any] | None = None, *, tmp: Path | None = None
) -> list[dict[str, Any]]:
    """Rendered manifests as dicts; fails with helm's message if rendering fails."""
    result = helm_template(values, tmp=tmp)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_notes(tmp: Path, values: Mapping[str, Any] | None = None) -> str:
    """NOTES.txt as `helm install` would print it.

    `helm template` does not print notes and a dry-run install needs a cluster, so a copy
    of the chart renders NOTES.txt through `tpl` in a template of its own.
    """
    copy = tmp / "notes-chart"
    shutil.copytree(CHART, copy)
    shutil.copy(copy / "templates" / "NOTES.txt", copy / "notes.src")
    (copy / "templates" / "zz-notes.yaml").write_text(
        'notes: {{ tpl (.Files.Get "notes.src") . | toJson }}\n'
    )
    argv: list[str | Path] = [binary("helm"), "template", RELEASE, copy, "-n", NAMESPACE]
    argv += ["--kube-version", KUBE_VERSION, "--show-only", "templates/zz-notes.yaml"]
    if values is not None:
        values_file = tmp / "notes-values.yaml"
        values_file.write_text(yaml.safe_dump(dict(values)))
        argv += ["--values", values_file]
    result = run(argv)
    assert result.returncode == 0, result.stderr
    notes: str = yaml.safe_load(result.stdout)["notes"]
    return notes


def find(docs: Iterable[Mapping[str, Any]], kind: str, name: str | None = None) -> list[Any]:
    """Manifests of a kind (and name)."""
    return [
        doc
        for doc in docs
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


def one(docs: Iterable[Mapping[str, Any]], kind: str, name: str | None = None) -> Any:
    """The single manifest of a kind (and name)."""
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


# ---------------------------------------------------------------- metric names


def exported_names(exposition: str) -> set[str]:
    """Every series name a /metrics page can carry, from its families' names and types.

    Labelled metrics without children print only HELP/TYPE, so the names come from the
    family type, not from the samples: counter -> _total/_created, histogram ->
    _bucket/_count/_sum/_created, gauge -> the name itself.
    """
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "info": ("_info",),
        "stateset": ("",),
        "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
        "unknown": ("",),
    }
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.update(family.name + suffix for suffix in suffixes[family.type])
        names.update(sample.name for sample in family.samples)
    return names


def code_metric_names() -> set[str]:
    """Series names alchemiser.operator.metrics can export."""
    return exported_names(generate_latest(metrics.REGISTRY).decode())


_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "atan2",
        "inf",
        "nan",
        # aggregation operators (may be followed by `by (...)` rather than `(`)
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)


def promql_metric_names(expr: str) -> set[str]:
    """Metric names a (valid) PromQL expression selects.

    Strips strings, label matchers, grouping label lists and ranges, then keeps the
    identifiers that are neither functions (followed by `(`) nor keywords. Run it only on
    expressions promtool has parsed.
    """
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", r" \1 ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    names = set()
    for match in re.finditer(r"(?<![0-9A-Za-z_:.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        name = match.group(0)
        if text[match.end() :].lstrip().startswith("("):
            continue
        if name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


# Grafana's built-in and template variables, replaced before promtool parses an expression.
GRAFANA_SUBSTITUTIONS = {
    "$__rate_interval": "5m",
    "$__interval": "1h",
    "$__range": "1d",
}


def grafana_expr_to_promql(expr: str, variables: Iterable[str]) -> str:
    """Substitute Grafana variables so the expression is plain PromQL."""
    for key, value in GRAFANA_SUBSTITUTIONS.items():
        expr = expr.replace(key, value)
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", "value").replace("$" + name, "value")
    assert "$" not in expr, f"undefined variable in {expr!r}"
    return expr


# ---------------------------------------------------------------- dashboards


def dashboards() -> dict[str, dict[str, Any]]:
    """The dashboards shipped in the chart, by file name."""
    return {
        path.name: json.loads(path.read_text())
        for path in sorted((CHART / "dashboards").glob("*.json"))
    }


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(dashboard: Mapping[str, Any]) -> list[str]:
    """Every target expression of a dashboard, variables substituted."""
    variables = [v["name"] for v in dashboard["templating"]["list"]]
    return [
        grafana_expr_to_promql(target["expr"], variables)
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]


def variable_metric_names(dashboard: Mapping[str, Any]) -> set[str]:
    """Metric names the query variables (`label_values(metric{...}, label)`) use."""
    names = set()
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query = variable["query"]["query"]
        match = re.fullmatch(
            r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)(\{[^{}]*\})?\s*,\s*\w+\s*\)", query
        )
        assert match, f"unexpected variable query {query!r}"
        names.add(match.group(1))
    return names


def rule_groups(docs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rule groups of the rendered PrometheusRule."""
    rule = one(docs, "PrometheusRule")
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def all_metric_names(docs: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Metric names used by the rules and the dashboards, keyed by where they are used."""
    used: dict[str, set[str]] = {}
    for group in rule_groups(docs):
        for rule in group["rules"]:
            used[f"rule {rule.get('alert') or rule.get('record')}"] = promql_metric_names(
                rule["expr"]
            )
    for name, dashboard in dashboards().items():
        found: set[str] = set()
        for expr in dashboard_exprs(dashboard):
            found |= promql_metric_names(expr)
        used[f"dashboard {name}"] = found | variable_metric_names(dashboard)
    return used
