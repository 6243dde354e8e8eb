"""The CRDs on the real apiserver: installed, examples accepted, invalid manifests refused.

Everything is checked server-side (`kubectl apply --dry-run=server`, or real objects),
never against a local copy of the schema. The invalid table is tests/api/invalid_cases.py,
shared with the pure model tests so the models and admission refuse the same manifests.
"""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubetest import KubeCluster
from pydantic import ValidationError

from alchemiser.api import RiskLimits, TradingHalt, TradingStrategy, TradingStrategySpec

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GENERATED = (
    REPO / "crds" / "alchemiser.io_tradingstrategies.yaml",
    REPO / "crds" / "alchemiser.io_tradinghalts.yaml",
)
MODELS: dict[str, Any] = {"TradingStrategy": TradingStrategy, "TradingHalt": TradingHalt}


def _load_cases() -> ModuleType:
    path = REPO / "tests" / "api" / "invalid_cases.py"
    spec = importlib.util.spec_from_file_location("api_invalid_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module by name
    spec.loader.exec_module(module)
    return module


CASES: tuple[Any, ...] = _load_cases().CASES


@pytest.fixture(scope="module")
def crds(kube_cluster: KubeCluster) -> None:
    """The generated CRDs applied server-side and Established."""
    files = [arg for path in GENERATED for arg in ("-f", str(path))]
    kube_cluster.kubectl("apply", "--server-side", "--force-conflicts", *files)
    kube_cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/tradingstrategies.alchemiser.io",
        "crd/tradinghalts.alchemiser.io",
    )


@pytest.fixture(scope="module")
def api_namespace(kube_cluster: KubeCluster, crds: None) -> Iterator[str]:
    """One namespace for this module's many server-side dry runs."""
    name = f"t-api-crds-{secrets.token_hex(3)}"
    kube_cluster.kubectl("create", "namespace", name)
    yield name
    kube_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def _dry_run(kube_cluster: KubeCluster, namespace: str, manifest: dict[str, Any]) -> Any:
    return kube_cluster.kubectl(
        "apply",
        "--dry-run=server",
        "--validate=strict",
        "-n",
        namespace,
        "-o",
        "json",
        "-f",
        "-",
        input=yaml.safe_dump(manifest),
        check=False,
    )


def _without_empty(value: Any) -> Any:
    """Drop empty lists and maps (absent and empty mean the same on the wire), recursively."""
    if isinstance(value, dict):
        pruned = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ([], {})}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def _examples() -> list[str]:
    return sorted(path.name for path in EXAMPLES.glob("*.yaml"))


def test_crds_are_established_with_their_names(kube_cluster: KubeCluster, crds: None) -> None:
    """Both CRDs are Established (CEL cost accepted) and their short names are served."""
    for name, short in (("tradingstrategies", "tstrat"), ("tradinghalts", "halt")):
        crd = kube_cluster.get_json(f"crd/{name}.alchemiser.io")
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions["Established"] == "True"
        assert conditions["NamesAccepted"] == "True"
        assert crd["status"]["acceptedNames"]["shortNames"] == [short]
    resources = kube_cluster.kubectl("api-resources", "--api-group=alchemiser.io", "-o", "wide")
    assert re.search(
        r"tradingstrategies\s+tstrat\s+alchemiser.io/v1alpha1\s+true\s", resources.stdout
    )
    assert re.search(r"tradinghalts\s+halt\s+alchemiser.io/v1alpha1\s+false\s", resources.stdout)


@pytest.mark.parametrize("name", _examples())
def test_example_is_accepted_and_defaulted_like_the_model(
    kube_cluster: KubeCluster, api_namespace: str, name: str
) -> None:
    """The apiserver accepts the example; its defaulted object parses equal to the model's."""
    manifest = yaml.safe_load((EXAMPLES / name).read_text())
    result = _dry_run(kube_cluster, api_namespace, manifest)
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    if manifest["kind"] in MODELS:
        model = MODELS[manifest["kind"]]
        served.pop("metadata")
        local = model.model_validate({**manifest, "metadata": {}})
        assert model.model_validate({**served, "metadata": {}}) == local
        # The server filled in every default the model has (nothing left to the model).
        dumped = local.model_dump(by_alias=True, mode="json", exclude_none=True)
        assert _without_empty(served["spec"]) == _without_empty(dumped["spec"])


def test_the_invalid_table_is_big_enough() -> None:
    """At least 40 distinct invalid manifests are checked against the apiserver."""
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_invalid_manifest_is_rejected_naming_the_field(
    kube_cluster: KubeCluster, api_namespace: str, case: Any
) -> None:
    """Admission refuses the manifest and the error names the broken field's path."""
    result = _dry_run(kube_cluster, api_namespace, case.manifest())
    assert result.returncode != 0, f"accepted: {case.name}"
    assert "is invalid" in result.stderr, result.stderr
    assert f"{case.field}:" in result.stderr, result.stderr


def test_misspelt_fields_are_rejected_not_dropped(
    kube_cluster: KubeCluster, api_namespace: str, crds: None
) -> None:
    """Strict field validation reports a typo at any depth instead of pruning it silently."""
    strategy = yaml.safe_load((EXAMPLES / "strategy-paper.yaml").read_text())
    strategy["spec"]["risk"]["maxOrderNotionl"] = 500
    strategy["spec"]["allocations"][0]["wieght"] = 0.3
    strategy["spec"]["breakers"] = {"maxLossPercent": 5}
    result = _dry_run(kube_cluster, api_namespace, strategy)
    assert result.returncode != 0
    assert 'unknown field "spec.risk.maxOrderNotionl"' in result.stderr
    assert 'unknown field "spec.allocations[0].wieght"' in result.stderr
    assert 'unknown field "spec.breakers.maxLossPercent"' in result.stderr
    halt = yaml.safe_load((EXAMPLES / "halt-everything.yaml").read_text())
    halt["spec"]["namespace"] = ["trading"]
    result = _dry_run(kube_cluster, api_namespace, halt)
    assert result.returncode != 0
    assert 'unknown field "spec.namespace"' in result.stderr


def test_strategy_parameters_stay_open(kube_cluster: KubeCluster, api_namespace: str) -> None:
    """Unknown keys in allocation parameters are kept for the operator to judge."""
    strategy = yaml.safe_load((EXAMPLES / "strategy-paper.yaml").read_text())
    strategy["spec"]["allocations"][0]["parameters"] = {"topN": 3}
    result = _dry_run(kube_cluster, api_namespace, strategy)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["spec"]["allocations"][0]["parameters"] == {"topN": 3}


def _table(output: str) -> list[list[str]]:
    """`kubectl get` output split on runs of 2+ spaces (column values may contain one)."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.strip().splitlines()]


def test_printer_columns_and_field_selector(kube_cluster: KubeCluster, api_namespace: str) -> None:
    """`kubectl get tstrat` / `get halt` show the columns; `--field-selector spec.mode` works."""
    kubectl = kube_cluster.kubectl
    for name in ("strategy-paper.yaml", "strategy-dry-run.yaml"):
        kubectl("apply", "-n", api_namespace, "-f", str(EXAMPLES / name))
    status = {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Scheduled",
                    "message": "",
                    "lastTransitionTime": "2026-11-27T15:00:00Z",
                },
                {
                    "type": "Halted",
                    "status": "False",
                    "reason": "NoHalt",
                    "message": "",
                    "lastTransitionTime": "2026-11-27T15:00:00Z",
                },
            ],
            "lastRun": {"job": "nuclear-trader-1", "outcome": "NoTrades"},
        }
    }
    kubectl(
        "patch", "tstrat", "nuclear-trader", "-n", api_namespace,
        "--subresource=status", "--type=merge", "-p", json.dumps(status),
    )  # fmt: skip
    rows = _table(kubectl("get", "tstrat", "-n", api_namespace).stdout)
    assert rows[0] == ["NAME", "MODE", "SCHEDULE", "READY", "HALTED", "LAST RUN", "AGE"]
    paper = next(row for row in rows if row[0] == "nuclear-trader")
    assert paper[:6] == ["nuclear-trader", "paper", "45 15 * * 1-5", "True", "False", "NoTrades"]
    dry = next(row for row in rows if row[0] == "dry-run-trader")
    assert dry[:3] == ["dry-run-trader", "dryRun", "@daily"]

    selected = kubectl(
        "get", "tstrat", "-n", api_namespace, "--field-selector", "spec.mode=dryRun", "-o", "name"
    )
    assert selected.stdout.split() == ["tradingstrategy.alchemiser.io/dry-run-trader"]

    # A halt scoped to this test's namespace, so a running operator elsewhere is unaffected.
    halt_name = f"columns-{secrets.token_hex(3)}"
    halt = {
        "apiVersion": "alchemiser.io/v1alpha1",
        "kind": "TradingHalt",
        "metadata": {"name": halt_name},
        "spec": {
            "reason": "column test",
            "mode": "ReduceOnly",
            "namespaces": [api_namespace],
            "expiresAt": "2026-11-27T18:00:00Z",
        },
    }
    kubectl("apply", "-f", "-", input=yaml.safe_dump(halt))
    try:
        kubectl(
            "patch", "halt", halt_name, "--subresource=status", "--type=merge",
            "-p", json.dumps({"status": {"affectedStrategies": 2}}),
        )  # fmt: skip
        rows = _table(kubectl("get", "halt", halt_name).stdout)
        assert rows[0] == ["NAME", "MODE", "REASON", "AFFECTED", "EXPIRES", "AGE"]
        assert rows[1][:4] == [halt_name, "ReduceOnly", "column test", "2"]
        wide = kubectl("get", "alchemiser", "-n", api_namespace, "-o", "name").stdout.split()
        assert "tradingstrategy.alchemiser.io/nuclear-trader" in wide
    finally:
        kubectl("delete", "halt", halt_name, "--wait=false", check=False)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_explain_describes_risk_down_to_the_leaves(kube_cluster: KubeCluster, crds: None) -> None:
    """`kubectl explain tradingstrategy.spec.risk` shows every limit with its description."""
    output = _flat(kube_cluster.kubectl("explain", "tradingstrategy.spec.risk").stdout)
    risk = TradingStrategySpec.model_fields["risk"].description
    assert risk is not None and _flat(risk) in output
    for name, info in RiskLimits.model_fields.items():
        assert info.alias is not None and info.description is not None, name
        assert info.alias in output
        assert _flat(info.description) in output, name
    leaf = _flat(
        kube_cluster.kubectl("explain", "tradingstrategy.spec.risk.maxOrderNotional").stdout
    )
    assert "Largest value of a single order, in USD." in leaf


def _undescribed(node: dict[str, Any], path: str) -> Iterator[str]:
    for name, sub in node.get("properties", {}).items():
        if path == "" and name == "metadata":
            continue  # standard ObjectMeta, described by Kubernetes itself
        if not sub.get("description"):
            yield f"{path}.{name}"
        yield from _undescribed(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _undescribed(node[key], f"{path}[]")


def test_published_openapi_describes_every_field(kube_cluster: KubeCluster, crds: None) -> None:
    """The apiserver's OpenAPI v3 (what explain reads) has a description on every field."""
    document = json.loads(
        kube_cluster.kubectl("get", "--raw", "/openapi/v3/apis/alchemiser.io/v1alpha1").stdout
    )
    schemas = document["components"]["schemas"]
    for kind in ("TradingStrategy", "TradingHalt"):
        schema = schemas[f"io.alchemiser.v1alpha1.{kind}"]
        assert schema["properties"]["spec"]["properties"], kind
        assert list(_undescribed(schema, "")) == [], kind


@pytest.mark.parametrize(
    "path",
    [
        "tradingstrategy.spec.schedule",
        "tradingstrategy.spec.allocations.strategy",
        "tradingstrategy.spec.allocations.parameters.weights",
        "tradingstrategy.spec.broker.credentialsSecret",
        "tradingstrategy.spec.execution.orderType",
        "tradingstrategy.status.lastRun.outcome",
        "tradingstrategy.status.conditions.reason",
        "tradinghalt.spec.expiresAt",
        "tradinghalt.spec.strategySelector.matchExpressions.operator",
        "tradinghalt.status.propagationSeconds",
    ],
)
def test_explain_reaches_every_kind_of_leaf(
    kube_cluster: KubeCluster, crds: None, path: str
) -> None:
    """Deep fields (in lists, maps, status) have a non-empty description in explain."""
    output = kube_cluster.kubectl("explain", path).stdout
    description = output.split("DESCRIPTION:", 1)[1].strip()
    assert description and "<empty>" not in description


# Schedules a person might write, good and bad. Whatever the CRD admits, the CronJob the
# operator builds from it must admit too, or an accepted strategy could never run.
SCHEDULES = (
    "45 15 * * 1-5",
    "*/15 9-16 * * MON-FRI",
    "0 9-17/2 * * mon-fri",
    "30 15 ? jan-mar sun",
    "0 0 1,15 * *",
    "0 0 31 2 *",
    "00 09 * * *",
    "0  9 * * *",
    "@daily",
    "@hourly",
    "@midnight",
    "*/0 * * * *",
    "0 0 0 * *",
    "0 0 * 0 *",
    "0 0 * 13 *",
    "0 0 * * 7",
    "0 0 * * SUN-7",
    "5-1 * * * *",
    "0 17-9 * * *",
    "0 0 L * *",
    "0 0 * * 1#2",
    "@reboot",
    "@every 1h",
    "TZ=UTC 0 0 * * *",
    "60 * * * *",
    "0 24 * * *",
    "0 0 32 * *",
    "* * * *",
    "* * * * * *",
)


def _cronjob(schedule: str) -> dict[str, Any]:
    container = {"name": "worker", "image": "example.invalid/worker:1"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "schedule-probe"},
        "spec": {
            "schedule": schedule,
            "timeZone": "America/New_York",
            "jobTemplate": {
                "spec": {
                    "template": {"spec": {"restartPolicy": "Never", "containers": [container]}}
                }
            },
        },
    }


def test_admitted_schedules_are_valid_cronjob_schedules(
    kube_cluster: KubeCluster, api_namespace: str
) -> None:
    """No schedule passes TradingStrategy admission that the CronJob API would refuse."""
    strategy = yaml.safe_load((EXAMPLES / "strategy-paper.yaml").read_text())
    admitted, disagreements = [], []
    for schedule in SCHEDULES:
        strategy["spec"]["schedule"] = schedule
        ours = _dry_run(kube_cluster, api_namespace, strategy).returncode == 0
        theirs = _dry_run(kube_cluster, api_namespace, _cronjob(schedule)).returncode == 0
        if ours:
            admitted.append(schedule)
            if not theirs:
                disagreements.append(schedule)
    assert disagreements == []
    assert len(admitted) == 11  # the first eleven; the rest are refused by both or by us
    assert admitted == list(SCHEDULES[:11])


# Values per field, valid and invalid, near the edges. A drawn manifest mixes several;
# the apiserver and the models must agree on whether it is acceptable.
STRATEGY_POOLS: dict[str, list[Any]] = {
    "schedule": ["45 15 * * 1-5", "@daily", "*/0 * * * *", "0 17-9 * * *", "0 0 * * 7", "x"],
    "timeZone": ["UTC", "Europe/London", "America/Argentina/Buenos_Aires", "Mars/Olympus", "Local"],
    "allocations.0.weight": [0.3, 0.3333, 0.0, 1, 1.5, -0.1],
    "allocations.1.weight": [0.5, 0.3333, 0.4994, 0.502],
    "allocations.2.strategy": ["klm", "static", "nuclear", "crypto"],
    "broker.credentialsSecret": ["alpaca-paper", "a", "A", "a-", "a" * 63, "a" * 64, "a.b"],
    "broker.endpoint": ["", "http://127.0.0.1:8080", "https://paper.example.com/v2", "ftp://x"],
    "risk.maxOrderNotional": [1, 10000, 1e9, 1e9 + 1, 0, -5, 200000],
    "risk.maxDailyNotional": [100000, 5000, 1e10, 2e10],
    "risk.maxOrdersPerRun": [1, 1000, 1001, 0, 2.5],
    "risk.maxPositionFraction": [0.5, 1, 1.0001, 0],
    "risk.allowedSymbols": [[], ["SPY"], ["BRK.B", "SPY"], ["spy"], ["SPY", "SPY"], ["BRK.BBB"]],
    "risk.cashReserveFraction": [0, 0.5, 0.51, -0.01],
    "runDeadlineSeconds": [30, 3600, 29, 3601, "600"],
    "suspend": [True, False, "true"],
}
HALT_POOLS: dict[str, list[Any]] = {
    "reason": ["outage", " x ", "", "  ", "r" * 1024, "r" * 1025],
    "mode": ["Halt", "ReduceOnly", "halt"],
    "namespaces": [[], ["trading"], ["a", "b"], ["a", "a"], ["Trading"], ["x" * 64]],
    "strategySelector.matchLabels": [{}, {"tier": "live"}, {"a/b/c": "x"}, {"tier": "-x"}],
    "strategySelector.matchExpressions": [
        [],
        [{"key": "tier", "operator": "In", "values": ["live"]}],
        [{"key": "tier", "operator": "In"}],
        [{"key": "tier", "operator": "Exists", "values": ["x"]}],
        [{"key": "tier", "operator": "Gt", "values": ["1"]}],
    ],
    "expiresAt": [
        "2026-11-27T18:00:00Z",
        "2026-11-27T13:00:00-05:00",
        "2026-11-27T18:00:00.5Z",
        "2026-11-27T18:00:00",
        "1999-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
    ],
}


def _drawn(draw: Any, example: str, pools: dict[str, list[Any]]) -> dict[str, Any]:
    manifest = yaml.safe_load((EXAMPLES / example).read_text())
    fields = draw(st.sets(st.sampled_from(sorted(pools)), min_size=1, max_size=3))
    for path in sorted(fields):
        node = manifest["spec"]
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        value = draw(st.sampled_from(pools[path]))
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return manifest  # type: ignore[no-any-return]


def _model_accepts(manifest: dict[str, Any]) -> bool:
    try:
        MODELS[manifest["kind"]].model_validate(manifest)
    except ValidationError:
        return False
    return True


PARITY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PARITY
@given(data=st.data())
def test_models_and_admission_agree_on_strategies(
    kube_cluster: KubeCluster, api_namespace: str, data: st.DataObject
) -> None:
    """For drawn strategy manifests, the model accepts exactly what the apiserver accepts."""
    manifest = data.draw(st.composite(_drawn)("strategy-paper.yaml", STRATEGY_POOLS))
    server = _dry_run(kube_cluster, api_namespace, manifest)
    assert _model_accepts(manifest) == (server.returncode == 0), server.stderr


@PARITY
@given(data=st.data())
def test_models_and_admission_agree_on_halts(
    kube_cluster: KubeCluster, api_namespace: str, data: st.DataObject
) -> None:
    """For drawn halt manifests, the model accepts exactly what the apiserver accepts."""
    manifest = data.draw(st.composite(_drawn)("halt-live-by-label.yaml", HALT_POOLS))
    server = _dry_run(kube_cluster, api_namespace, manifest)
    assert _model_accepts(manifest) == (server.returncode == 0), server.stderr
