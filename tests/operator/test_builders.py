"""The pure builder: strategy spec and settings in, CronJob and run-now Job manifests out."""

import json

from alchemiser.api import TradingStrategySpec, runtime
from alchemiser.operator import builders
from alchemiser.operator.builders import StrategyIdentity
from alchemiser.operator.settings import OperatorSettings


def _container(cronjob: dict) -> dict:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def _env(cronjob: dict) -> dict:
    return {item["name"]: item for item in _container(cronjob)["env"]}


def test_cronjob_carries_schedule_policy_deadlines_and_owner(identity, spec, settings):
    """The CronJob takes schedule and time zone from the spec, forbids overlap and is owned."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    body = cronjob["spec"]
    assert cronjob["metadata"]["name"] == "nuclear-trader"
    assert body["schedule"] == "45 15 * * 1-5"
    assert body["timeZone"] == "America/New_York"
    assert body["concurrencyPolicy"] == "Forbid"
    assert body["startingDeadlineSeconds"] == 300
    assert body["suspend"] is False
    assert body["successfulJobsHistoryLimit"] <= 3
    assert body["jobTemplate"]["spec"]["backoffLimit"] <= 2
    assert body["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 600
    owner = cronjob["metadata"]["ownerReferences"][0]
    assert owner["controller"] is True
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "TradingStrategy",
        "nuclear-trader",
        "uid-1",
    )


def test_labels_are_standard_and_select_the_strategy(identity, spec, settings):
    """CronJob, Job and pod carry app.kubernetes.io labels and the strategy label and uid."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    for labels in (
        cronjob["metadata"]["labels"],
        cronjob["spec"]["jobTemplate"]["metadata"]["labels"],
        cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
    ):
        assert labels[runtime.LABEL_STRATEGY] == "nuclear-trader"
        assert labels[runtime.LABEL_STRATEGY_UID] == "uid-1"
        assert labels["app.kubernetes.io/managed-by"] == "alchemiser-operator"
        assert labels["app.kubernetes.io/name"] == "alchemiser"


def test_pod_runs_image_with_run_and_spec_as_json(identity, spec, settings):
    """The worker runs the configured image with `run`; the full spec is JSON in the env."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    container = _container(cronjob)
    assert container["image"] == "example/alchemiser:test"
    assert container["args"] == ["run"]
    env = _env(cronjob)
    rendered = TradingStrategySpec.model_validate_json(env[runtime.ENV_SPEC]["value"])
    assert rendered == spec
    assert json.loads(env[runtime.ENV_STRATEGY_LABELS]["value"]) == {"team": "quant"}


def test_identity_comes_from_the_downward_api(identity, spec, settings):
    """Namespace, name, uid, Job and pod name are downward-API field refs, not literals."""
    env = _env(builders.build_cronjob(identity, spec, settings, suspend=False))
    paths = {
        name: item["valueFrom"]["fieldRef"]["fieldPath"]
        for name, item in env.items()
        if "valueFrom" in item
    }
    assert paths[runtime.ENV_STRATEGY_NAMESPACE] == "metadata.namespace"
    assert paths[runtime.ENV_STRATEGY_NAME] == f"metadata.labels['{runtime.LABEL_STRATEGY}']"
    assert paths[runtime.ENV_STRATEGY_UID] == f"metadata.labels['{runtime.LABEL_STRATEGY_UID}']"
    assert paths[runtime.ENV_JOB_NAME] == f"metadata.labels['{runtime.LABEL_JOB_NAME}']"
    assert paths[runtime.ENV_POD_NAME] == "metadata.name"


def test_credentials_are_a_read_only_secret_volume_never_env(identity, spec, settings):
    """The Secret is mounted read-only at the contract path and never referenced from env."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if "secret" in v)
    assert volume["secret"]["secretName"] == "alpaca-paper"
    mount = next(m for m in _container(cronjob)["volumeMounts"] if m["name"] == volume["name"])
    assert mount == {"name": volume["name"], "mountPath": runtime.CREDENTIALS_DIR, "readOnly": True}
    text = json.dumps(_container(cronjob)["env"])
    assert "secretKeyRef" not in text and "envFrom" not in _container(cronjob)


def test_pod_is_locked_down(identity, spec, settings):
    """Non-root, read-only root, no capabilities, RuntimeDefault seccomp, limits, dedicated SA."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = _container(cronjob)
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"]["limits"] and container["resources"]["requests"]
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert pod["serviceAccountName"] == "alchemiser-worker"
    assert pod["restartPolicy"] == "Never"


def test_settings_route_workers_with_node_selector_and_tolerations(identity, spec, settings):
    """Extra nodeSelector and tolerations from the settings land on the pod."""
    pod = builders.build_cronjob(identity, spec, settings, suspend=False)["spec"]["jobTemplate"][
        "spec"
    ]["template"]["spec"]
    assert pod["nodeSelector"] == {"alchemiser.io/local-runner": "true"}
    assert pod["tolerations"][0]["key"] == "alchemiser.io/local-runner"
    plain = builders.build_cronjob(identity, spec, OperatorSettings(), suspend=False)
    assert "nodeSelector" not in plain["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_suspend_flag_is_rendered(identity, spec, settings):
    """The suspend decision made by the caller is what the CronJob says."""
    assert builders.build_cronjob(identity, spec, settings, suspend=True)["spec"]["suspend"] is True


def test_names_are_deterministic_and_short_enough():
    """Long strategy names are shortened with a stable hash to fit CronJob and Job limits."""
    long = "a" * 80
    name = builders.cronjob_name(long)
    assert len(name) <= 52 and name == builders.cronjob_name(long)
    assert builders.cronjob_name("b" * 80) != name
    job = builders.manual_job_name(name, "2026-11-27T10:00:00Z")
    assert len(job) <= 63
    assert job == builders.manual_job_name(name, "2026-11-27T10:00:00Z")
    assert job != builders.manual_job_name(name, "again")


def test_manual_job_copies_template_and_is_owned_by_cronjob(identity, spec, settings):
    """A run-now Job uses the CronJob's jobTemplate and names the CronJob as controller."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    cronjob["metadata"]["uid"] = "cj-uid"
    job = builders.build_manual_job(cronjob, "now-1")
    assert job["spec"] == cronjob["spec"]["jobTemplate"]["spec"]
    assert job["metadata"]["labels"][runtime.LABEL_STRATEGY] == "nuclear-trader"
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("CronJob", "cj-uid", True)
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"


def test_identity_labels_are_sorted_in_env(spec, settings):
    """Label JSON is canonical, so equal labels never produce a spurious CronJob change."""
    one = StrategyIdentity("ns", "s", "u", {"b": "2", "a": "1"})
    two = StrategyIdentity("ns", "s", "u", {"a": "1", "b": "2"})
    assert builders.build_cronjob(one, spec, settings, suspend=False) == builders.build_cronjob(
        two, spec, settings, suspend=False
    )


def test_drifted_ignores_server_defaults_but_sees_edits(identity, spec, settings):
    """Extra server-side fields are no drift; a changed or missing field we set is."""
    desired = builders.build_cronjob(identity, spec, settings, suspend=False)
    actual = json.loads(json.dumps(desired))
    actual["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"
    actual["status"] = {"lastScheduleTime": "2026-11-27T10:00:00Z"}
    assert not builders.drifted(desired, actual)
    actual["spec"]["schedule"] = "* * * * *"
    assert builders.drifted(desired, actual)
    del actual["spec"]["schedule"]
    assert builders.drifted(desired, actual)
    assert builders.drifted(desired, None)


def test_the_run_ledger_is_an_optional_read_only_configmap_owned_by_the_strategy(
    identity, spec, settings
):
    """The pod mounts <cronjob>-ledger read-only (optional: the worker decides); it is owned."""
    cronjob = builders.build_cronjob(identity, spec, settings, suspend=False)
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "ledger"]
    assert volume["configMap"]["name"] == builders.ledger_name(identity.name)
    assert volume["configMap"]["optional"] is True
    (mount,) = [m for m in _container(cronjob)["volumeMounts"] if m["name"] == "ledger"]
    assert mount == {"name": "ledger", "mountPath": runtime.LEDGER_DIR, "readOnly": True}
    ledger = builders.build_ledger(identity, '{"session":"2026-12-01"}')
    assert ledger["metadata"]["name"] == volume["configMap"]["name"]
    assert ledger["metadata"]["ownerReferences"][0]["uid"] == identity.uid
    assert ledger["data"] == {runtime.LEDGER_FILE: '{"session":"2026-12-01"}'}
