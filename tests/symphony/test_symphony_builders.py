"""The operator's builders mount referenced symphony ConfigMaps; results carry symphony digests."""

from alchemiser.api import TradingStrategySpec, runtime
from alchemiser.api.result import Outcome, RunResult, SymphonyReport
from alchemiser.operator import builders, results
from alchemiser.operator.builders import StrategyIdentity
from alchemiser.operator.settings import OperatorSettings

IDENTITY = StrategyIdentity(namespace="team-a", name="rotation", uid="u-1")
INLINE = '(defsymphony "i" {} (asset "SPY"))'


def spec(parameters: dict[str, object]) -> TradingStrategySpec:
    """A spec with a symphony allocation (these parameters) beside a static one."""
    return TradingStrategySpec.model_validate(
        {
            "schedule": "45 15 * * 1-5",
            "allocations": [
                {"strategy": "symphony", "weight": 0.5, "parameters": parameters},
                {"strategy": "static", "weight": 0.5, "parameters": {"weights": {"SPY": 1}}},
            ],
            "broker": {"credentialsSecret": "alpaca-paper"},
        }
    )


def test_referenced_configmaps_are_mounted_optional_and_read_only() -> None:
    """One volume per referenced ConfigMap, mounted at SYMPHONY_DIR/<name>."""
    wanted = spec({"configMapRef": {"name": "syms", "key": "a.clj"}})
    pod = builders.pod_template(IDENTITY, wanted, OperatorSettings())["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["symphony-0"] == {
        "name": "symphony-0",
        "configMap": {"name": "syms", "optional": True, "defaultMode": 0o444},
    }
    (container,) = pod["containers"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["symphony-0"] == {
        "name": "symphony-0",
        "mountPath": f"{runtime.SYMPHONY_DIR}/syms",
        "readOnly": True,
    }
    assert not any(name.startswith("symphony-") and name != "symphony-0" for name in volumes)


def test_no_symphony_no_extra_volume() -> None:
    """Inline text needs no volume."""
    pod = builders.pod_template(IDENTITY, spec({"source": INLINE}), OperatorSettings())["spec"]
    assert builders.symphony_config_maps(spec({"source": INLINE})) == []
    assert not [v for v in pod["volumes"] if v["name"].startswith("symphony-")]


def test_last_run_shows_each_symphony_and_its_digest() -> None:
    """The run result's symphonies (name, digest of the text used) reach status.lastRun."""
    report = SymphonyReport(allocation=0, name="rotation", digest="sha256:" + "ab" * 32)
    result = RunResult(outcome=Outcome.SUCCEEDED, run_id="r1", symphonies=[report])
    finish = results.job_finish(
        {"status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    )
    assert finish is not None
    pod = {
        "status": {
            "containerStatuses": [
                {"name": "worker", "state": {"terminated": {"message": result.to_json()}}}
            ]
        }
    }
    last_run, _ = results.last_run("job-1", finish, [pod])
    assert last_run["symphonies"] == [
        {"allocation": 0, "name": "rotation", "digest": "sha256:" + "ab" * 32}
    ]
    plain, _ = results.last_run("job-2", finish, [{"status": {"containerStatuses": []}}])
    assert "symphonies" not in plain
