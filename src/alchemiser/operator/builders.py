"""Desired Kubernetes objects for a strategy: the CronJob and a run-now Job.

Rule: pure. A function of the strategy, the operator settings and the halt
decision; returns plain manifests (dicts) that kube.py applies. No I/O, no
globals, no environment.

The worker pod contract (alchemiser.api.runtime): the spec travels as JSON in
env ALCHEMISER_STRATEGY_SPEC (complete, defaults filled in); the strategy's
labels as JSON in ALCHEMISER_STRATEGY_LABELS (so the worker can match halts by
selector); namespace, name, uid, Job and pod name through the downward API; the
credentials Secret mounted read-only at runtime.CREDENTIALS_DIR, never as env; the
run ledger ConfigMap (runs today, high-water mark) read-only at runtime.LEDGER_DIR.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from alchemiser import __version__
from alchemiser.api import StrategyName, TradingStrategySpec, runtime
from alchemiser.api.v1alpha1.symphonyref import CONFIG_MAP_REF_KEY
from alchemiser.operator.settings import OperatorSettings

CRONJOB_NAME_MAX: Final = 52  # CronJob names leave 11 characters for the Job suffix
JOB_NAME_MAX: Final = 63  # Job names become a pod label value
CONTAINER: Final = "worker"
ENV_STRATEGY_LABELS: Final = runtime.ENV_STRATEGY_LABELS
WORKER_UID: Final = 10001  # the image's own USER (Dockerfile), as the chart's operator pod
HISTORY_LIMIT: Final = 3
BACKOFF_LIMIT: Final = 1
RESOURCES: Final[Mapping[str, Mapping[str, str]]] = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}
ANNOTATION_RUN_TOKEN: Final = "alchemiser.io/run-now-token"


@dataclass(frozen=True)
class StrategyIdentity:
    """Who a strategy is: what owner references, labels and the downward API need."""

    namespace: str
    name: str
    uid: str
    labels: Mapping[str, str] = field(default_factory=dict)


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _truncated(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    suffix = _short_hash(name)
    return f"{name[: limit - len(suffix) - 1].rstrip('-.')}-{suffix}"


def cronjob_name(strategy_name: str) -> str:
    """The CronJob's name: the strategy's, shortened with a hash when too long."""
    return _truncated(strategy_name, CRONJOB_NAME_MAX)


def ledger_name(strategy_name: str) -> str:
    """The run ledger ConfigMap's name: the CronJob's plus -ledger."""
    return f"{cronjob_name(strategy_name)}-ledger"


def build_ledger(identity: StrategyIdentity, ledger_json: str) -> dict[str, Any]:
    """The run ledger ConfigMap, owned by the strategy (garbage-collected with it)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": ledger_name(identity.name),
            "namespace": identity.namespace,
            "labels": common_labels(identity),
            "ownerReferences": [owner_reference(identity)],
        },
        "data": {runtime.LEDGER_FILE: ledger_json},
    }


def manual_job_name(cronjob: str, token: str) -> str:
    """A deterministic Job name for one run-now request, so a retry cannot create two Jobs."""
    return f"{cronjob}-now-{_short_hash(cronjob + '/' + token, 6)}"


def selector_labels(identity: StrategyIdentity) -> dict[str, str]:
    """The labels every child object carries and the operator selects by."""
    return {
        runtime.LABEL_STRATEGY: identity.name,
        runtime.LABEL_STRATEGY_UID: identity.uid,
    }


def common_labels(identity: StrategyIdentity) -> dict[str, str]:
    """Standard app.kubernetes.io labels plus the strategy's own."""
    return {
        "app.kubernetes.io/name": "alchemiser",
        "app.kubernetes.io/component": "worker",
        "app.kubernetes.io/instance": _truncated(identity.name, 63),
        "app.kubernetes.io/part-of": "alchemiser",
        "app.kubernetes.io/managed-by": "alchemiser-operator",
        "app.kubernetes.io/version": __version__,
        **selector_labels(identity),
    }


def owner_reference(identity: StrategyIdentity) -> dict[str, Any]:
    """A controller owner reference to the strategy, so deleting it garbage-collects children."""
    return {
        "apiVersion": runtime.API_VERSION,
        "kind": runtime.STRATEGY_KIND,
        "name": identity.name,
        "uid": identity.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _label_env(name: str, label: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{label}']"}}}


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def worker_env(identity: StrategyIdentity, spec: TradingStrategySpec) -> list[dict[str, Any]]:
    """The worker container's environment: spec and labels as JSON, identity by downward API."""
    spec_json = spec.model_dump_json(by_alias=True, exclude_none=True)
    labels_json = json.dumps(dict(sorted(identity.labels.items())), separators=(",", ":"))
    return [
        {"name": runtime.ENV_SPEC, "value": spec_json},
        {"name": ENV_STRATEGY_LABELS, "value": labels_json},
        _field_env(runtime.ENV_STRATEGY_NAMESPACE, "metadata.namespace"),
        _label_env(runtime.ENV_STRATEGY_NAME, runtime.LABEL_STRATEGY),
        _label_env(runtime.ENV_STRATEGY_UID, runtime.LABEL_STRATEGY_UID),
        _label_env(runtime.ENV_JOB_NAME, runtime.LABEL_JOB_NAME),
        _field_env(runtime.ENV_POD_NAME, "metadata.name"),
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
    ]


def _container(
    identity: StrategyIdentity, spec: TradingStrategySpec, settings: OperatorSettings
) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "args": ["run"],
        "env": worker_env(identity, spec),
        "volumeMounts": [
            {"name": "broker-credentials", "mountPath": runtime.CREDENTIALS_DIR, "readOnly": True},
            {"name": "ledger", "mountPath": runtime.LEDGER_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},  # a private emptyDir
            *(
                {"name": volume, "mountPath": f"{runtime.SYMPHONY_DIR}/{name}", "readOnly": True}
                for volume, name in symphony_volumes(spec)
            ),
        ],
        "resources": {kind: dict(values) for kind, values in RESOURCES.items()},
        "securityContext": container_security(),
        "terminationMessagePath": runtime.TERMINATION_LOG,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }


def pod_security() -> dict[str, Any]:
    """The securityContext of every pod the operator makes (runs and backtests): the image's
    own non-root user, the runtime's default seccomp profile."""
    return {
        "runAsNonRoot": True,
        "runAsUser": WORKER_UID,
        "runAsGroup": WORKER_UID,
        "fsGroup": WORKER_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> dict[str, Any]:
    """The securityContext of their containers: read-only root, no capability, no escalation."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": WORKER_UID,
        "runAsGroup": WORKER_UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def symphony_config_maps(spec: TradingStrategySpec) -> list[str]:
    """Names of the ConfigMaps the spec's symphony allocations reference, sorted, distinct."""
    names = {
        str(allocation.parameters[CONFIG_MAP_REF_KEY].get("name", ""))
        for allocation in spec.allocations
        if allocation.strategy is StrategyName.SYMPHONY
        and isinstance(allocation.parameters.get(CONFIG_MAP_REF_KEY), Mapping)
    }
    return sorted(name for name in names if name)


def symphony_volumes(spec: TradingStrategySpec) -> list[tuple[str, str]]:
    """(volume name, ConfigMap name) per referenced ConfigMap, mounted at SYMPHONY_DIR/<name>."""
    return [(f"symphony-{index}", name) for index, name in enumerate(symphony_config_maps(spec))]


def pod_template(
    identity: StrategyIdentity, spec: TradingStrategySpec, settings: OperatorSettings
) -> dict[str, Any]:
    """The worker pod template: one container, restrictive, credentials as read-only files."""
    pod_spec: dict[str, Any] = {
        "serviceAccountName": settings.worker_service_account,
        "restartPolicy": "Never",
        "enableServiceLinks": False,
        "securityContext": pod_security(),
        "containers": [_container(identity, spec, settings)],
        "volumes": [
            {
                "name": "broker-credentials",
                "secret": {
                    "secretName": spec.broker.credentials_secret,
                    "defaultMode": 0o440,
                    "items": [{"key": key, "path": key} for key in runtime.CREDENTIAL_FILES],
                },
            },
            # Optional: a run whose limits need the ledger refuses to trade without it
            # (the worker says why), rather than a pod stuck waiting for a volume.
            {
                "name": "ledger",
                "configMap": {
                    "name": ledger_name(identity.name),
                    "optional": True,
                    "defaultMode": 0o444,
                },
            },
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            # Optional too: a missing symphony fails the run saying which (and the
            # operator reports SymphonyMissing) instead of a pod that never starts.
            *(
                {
                    "name": volume,
                    "configMap": {"name": name, "optional": True, "defaultMode": 0o444},
                }
                for volume, name in symphony_volumes(spec)
            ),
        ],
    }
    if settings.node_selector:
        pod_spec["nodeSelector"] = dict(settings.node_selector)
    if settings.tolerations:
        pod_spec["tolerations"] = [dict(item) for item in settings.tolerations]
    return {"metadata": {"labels": common_labels(identity)}, "spec": pod_spec}


def build_cronjob(
    identity: StrategyIdentity,
    spec: TradingStrategySpec,
    settings: OperatorSettings,
    *,
    suspend: bool,
) -> dict[str, Any]:
    """The complete desired CronJob, applied as a whole with server-side apply."""
    labels = common_labels(identity)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": cronjob_name(identity.name),
            "namespace": identity.namespace,
            "labels": labels,
            "ownerReferences": [owner_reference(identity)],
        },
        "spec": {
            "schedule": spec.schedule,
            "timeZone": spec.time_zone,
            "suspend": suspend,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": spec.starting_deadline_seconds,
            "successfulJobsHistoryLimit": HISTORY_LIMIT,
            "failedJobsHistoryLimit": HISTORY_LIMIT,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    # Retries re-use the Job name, which the worker's order ids rely on.
                    "backoffLimit": BACKOFF_LIMIT,
                    "activeDeadlineSeconds": spec.run_deadline_seconds,
                    "template": pod_template(identity, spec, settings),
                },
            },
        },
    }


def build_manual_job(cronjob: Mapping[str, Any], token: str) -> dict[str, Any]:
    """A Job from the CronJob's template, owned by it (as `kubectl create job --from` does)."""
    metadata = cronjob["metadata"]
    template = cronjob["spec"]["jobTemplate"]
    template_metadata = template.get("metadata") or {}
    annotations = dict(template_metadata.get("annotations") or {})
    annotations["cronjob.kubernetes.io/instantiate"] = "manual"
    annotations[ANNOTATION_RUN_TOKEN] = token[:256]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": manual_job_name(metadata["name"], token),
            "namespace": metadata["namespace"],
            "labels": dict(template_metadata.get("labels") or {}),
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": metadata["name"],
                    "uid": metadata["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template["spec"],
    }


def drifted(desired: Any, actual: Any) -> bool:
    """True when a field set in `desired` is missing or different in `actual`.

    Fields only in `actual` (server defaults, status) are not drift. Used by the drift
    sweep to read-and-compare instead of writing every CronJob every interval.
    """
    if isinstance(desired, Mapping):
        if not isinstance(actual, Mapping):
            return True
        return any(drifted(value, actual.get(key)) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return True
        return any(drifted(d, a) for d, a in zip(desired, actual, strict=True))
    return bool(desired != actual)
