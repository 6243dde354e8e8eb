"""The chart lints, renders for every feature set, validates its values, is least-privilege."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from chart_support import (
    ALL_FEATURES,
    CHART,
    NAMESPACE,
    ROOT,
    binary,
    find,
    helm_template,
    one,
    render,
    render_notes,
    run,
)

from alchemiser.operator.kube import Kube


def test_helm_lint_strict_passes() -> None:
    """`helm lint --strict` reports no warning or error, with defaults and all features on."""
    result = run([binary("helm"), "lint", "--strict", CHART])
    assert result.returncode == 0, result.stdout + result.stderr
    on = ["--set", "metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true"]
    on += ["--set", "grafana.dashboards.enabled=true,allowLiveTrading=true"]
    result = run([binary("helm"), "lint", "--strict", CHART, *on])
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_render_has_the_operator_and_no_optional_objects() -> None:
    """Defaults render the CRDs, operator, RBAC and metrics Service, but no monitoring CRs."""
    docs = render()
    kinds = sorted({doc["kind"] for doc in docs})
    assert kinds == [
        "ClusterKopfPeering",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]
    assert not find(docs, "ConfigMap")
    peering = one(docs, "ClusterKopfPeering")
    assert peering["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert "--peering-name=alchemiser" in _container(docs)["args"]
    assert all(doc["metadata"].get("namespace", NAMESPACE) == NAMESPACE for doc in docs)


def test_every_optional_feature_renders(tmp_path: Path) -> None:
    """With every option on, the ServiceMonitor, PrometheusRule and dashboard ConfigMaps render."""
    docs = render(ALL_FEATURES, tmp=tmp_path)
    monitor = one(docs, "ServiceMonitor")
    service = one(docs, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert one(docs, "PrometheusRule")["spec"]["groups"]
    configmaps = find(docs, "ConfigMap")
    assert len(configmaps) == 2
    for configmap in configmaps:
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
        (body,) = configmap["data"].values()
        assert yaml.safe_load(body)["uid"].startswith("alchemiser-")


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def test_operator_deployment_is_single_recreate_and_probed() -> None:
    """One replica, Recreate, liveness and readiness on the kopf probe port, resources set."""
    docs = render()
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    container = _container(docs)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "health"
    assert ports["health"] != ports["metrics"]
    assert container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]
    assert container["args"][0] == "operator"


def test_operator_pod_runs_non_root_with_a_read_only_root() -> None:
    """The pod and container security contexts are restrictive by default."""
    docs = render()
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = _container(docs)["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}


def test_allow_live_trading_reaches_the_operator(tmp_path: Path) -> None:
    """allowLiveTrading (default false) reaches the operator as an explicit flag."""
    default = _container(render())["args"]
    assert "--no-allow-live-trading" in default and "--allow-live-trading" not in default
    live = _container(render({"allowLiveTrading": True}, tmp=tmp_path))["args"]
    assert "--allow-live-trading" in live and "--no-allow-live-trading" not in live


BACKTEST_ROLE = "alchemiser-backtest"


def test_watch_namespaces_scope_the_operator(tmp_path: Path) -> None:
    """Watching namespaces gives the operator RoleBindings there instead of a cluster-wide one."""
    docs = render({"operator": {"watchNamespaces": ["team-a", "team-b"]}}, tmp=tmp_path)
    args = _container(docs)["args"]
    assert "--namespace=team-a" in args and "--namespace=team-b" in args
    assert "--all-namespaces" not in args
    bindings = [b for b in find(docs, "RoleBinding") if b["roleRef"]["name"] != BACKTEST_ROLE]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == [
        "default",  # kopf posts events about cluster-scoped halts there
        "team-a",
        "team-b",
    ]
    # Backtest pods may write ConfigMaps in the worker namespaces only (a RoleBinding each).
    backtest = [b for b in find(docs, "RoleBinding") if b["roleRef"]["name"] == BACKTEST_ROLE]
    assert sorted((b["metadata"]["namespace"], b["subjects"][0]["name"]) for b in backtest) == [
        ("team-a", "alchemiser-backtest"),
        ("team-b", "alchemiser-backtest"),
    ]
    assert one(docs, "Role")["rules"] == [
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}
    ]
    cluster_bindings = [b["roleRef"]["name"] for b in find(docs, "ClusterRoleBinding")]
    assert "alchemiser-operator" not in cluster_bindings
    workers = [
        sa for sa in find(docs, "ServiceAccount") if sa["metadata"]["name"] == "alchemiser-worker"
    ]
    assert sorted(sa["metadata"]["namespace"] for sa in workers) == ["team-a", "team-b"]


def _rules(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        rule for role in find(docs, "ClusterRole") + find(docs, "Role") for rule in role["rules"]
    ]


def test_rbac_has_no_wildcards_and_secrets_are_only_read_one_by_one(tmp_path: Path) -> None:
    """No `*` in any rule; only the operator may `get` a Secret, and nobody may list them."""
    for docs in (render(), render(ALL_FEATURES, tmp=tmp_path)):
        for role in find(docs, "ClusterRole") + find(docs, "Role"):
            for rule in role["rules"]:
                for field in ("apiGroups", "resources", "verbs"):
                    assert "*" not in rule.get(field, []), rule
                assert "nonResourceURLs" not in rule and "resourceNames" not in rule, rule
                if "secrets" in rule["resources"]:
                    assert role["metadata"]["name"] == "alchemiser-operator"
                    assert rule["resources"] == ["secrets"] and rule["verbs"] == ["get"]


def test_worker_role_only_reads_halts() -> None:
    """The worker ClusterRole allows exactly get/list/watch on tradinghalts."""
    role = one(render(), "ClusterRole", "alchemiser-worker")
    assert role["rules"] == [
        {
            "apiGroups": ["alchemiser.io"],
            "resources": ["tradinghalts"],
            "verbs": ["get", "list", "watch"],
        }
    ]


def test_every_operator_rule_is_justified_by_a_comment() -> None:
    """Each rule in the RBAC templates is preceded by a comment saying which code needs it."""
    for name in ("rbac-operator.yaml", "rbac-worker.yaml"):
        lines = (CHART / "templates" / name).read_text().splitlines()
        for index, line in enumerate(lines):
            if line.strip().startswith("- apiGroups:"):
                assert lines[index - 1].strip().startswith("#"), f"{name}:{index + 1} {line}"


def test_rbac_justifications_name_code_that_exists() -> None:
    """Every `Kube.method` a rule's comment cites is a method of alchemiser.operator.kube.Kube."""
    text = (CHART / "templates" / "rbac-operator.yaml").read_text()
    cited = set(re.findall(r"\bKube\.([a-z_]+)", text))
    assert len(cited) >= 10
    missing = sorted(name for name in cited if not callable(getattr(Kube, name, None)))
    assert not missing, f"rbac-operator.yaml cites Kube methods that no longer exist: {missing}"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"allowLiveTrading": "yes"}, "/allowLiveTrading"),
        ({"alowLiveTrading": True}, "'alowLiveTrading' not allowed"),
        ({"operator": {"replicas": 2}}, "'replicas' not allowed"),
        ({"metrics": {"serviceMonitor": {"enabeld": True}}}, "'enabeld' not allowed"),
        ({"metrics": {"port": 70000}}, "/metrics/port"),
        (
            {"metrics": {"prometheusRule": {"noSuccessfulRunByHourUTC": 24}}},
            "noSuccessfulRunByHourUTC",
        ),
        (
            {"metrics": {"prometheusRule": {"haltPropagationThresholdSeconds": 3}}},
            "haltPropagationThresholdSeconds",
        ),
        ({"operator": {"watchNamespaces": ["Not_A_Namespace"]}}, "/operator/watchNamespaces/0"),
        ({"operator": {"logLevel": "verbose"}}, "/operator/logLevel"),
    ],
)
def test_schema_rejects_misspelt_keys_and_wrong_types(
    tmp_path: Path, values: dict[str, Any], message: str
) -> None:
    """values.schema.json makes helm fail with a message naming the bad value."""
    result = helm_template(values, tmp=tmp_path)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert message in result.stderr, result.stderr


def test_schema_is_strict_at_every_level() -> None:
    """Every object in values.schema.json with fixed properties forbids unknown ones."""
    schema = yaml.safe_load((CHART / "values.schema.json").read_text())

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                assert node.get("additionalProperties") is False, path
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}/{index}")

    walk(schema, "")


def test_chart_crds_are_the_repository_crds() -> None:
    """The chart reads crds/ through a symlink and renders it unchanged apart from metadata."""
    link = CHART / "files" / "crds"
    assert link.is_symlink() and link.resolve() == (ROOT / "crds").resolve()
    rendered = {crd["metadata"]["name"]: crd for crd in find(render(), "CustomResourceDefinition")}
    crds = [
        crd
        for path in sorted((ROOT / "crds").glob("*.yaml"))
        for crd in yaml.safe_load_all(path.read_text())
        if crd
    ]
    assert {crd["spec"]["names"]["kind"] for crd in crds} >= {
        "TradingStrategy",
        "TradingHalt",
        "ClusterKopfPeering",
    }
    assert len(rendered) == len(crds)
    for crd in crds:
        out = rendered[crd["metadata"]["name"]]
        assert out["spec"] == crd["spec"]
        assert out["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_crds_can_be_left_out_and_unkept(tmp_path: Path) -> None:
    """crds.install=false renders no CRD; crds.keep=false drops the keep policy."""
    assert not find(render({"crds": {"install": False}}, tmp=tmp_path), "CustomResourceDefinition")
    for crd in find(render({"crds": {"keep": False}}, tmp=tmp_path), "CustomResourceDefinition"):
        assert "helm.sh/resource-policy" not in crd["metadata"].get("annotations", {})


def test_notes_tell_the_user_what_to_do_next(tmp_path: Path) -> None:
    """NOTES.txt names the rollout check, worker accounts, credentials, the halt, and live state."""
    notes = render_notes(tmp_path / "default")
    for expected in ("rollout status", "create secret generic", "kind: TradingHalt", "not allowed"):
        assert expected in notes
    assert "kubectl -n NS create serviceaccount alchemiser-worker" in notes
    notes = render_notes(tmp_path / "all", ALL_FEATURES)
    assert "Live trading: ALLOWED" in notes
    assert "in: team-a, team-b" in notes
    assert "PrometheusRule alchemiser" in notes and 'grafana_dashboard="1"' in notes
