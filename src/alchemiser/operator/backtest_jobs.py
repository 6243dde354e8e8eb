"""Desired objects and observed results of a TradingBacktest: its Job, its status.

Rule: pure. The Job is an Indexed Job of `alchemiser backtest-job`, one completion
index per variant (one in all without a sweep), at most MAX_PARALLEL at once, with
the TradingBacktest spec (strategy resolved inline) in its environment and the
TradingBacktest as owner. A finished pod's termination message is its variant's
result (a VariantResult); the status is the list of them in index order, and the
printer columns show the first.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from alchemiser import __version__
from alchemiser.api import TradingBacktestSpec, runtime
from alchemiser.api.v1alpha1 import BacktestState, VariantResult
from alchemiser.operator import builders
from alchemiser.operator.settings import OperatorSettings

MAX_PARALLEL: Final = 4
JOB_NAME_MAX: Final = 63
RESOURCES: Final[Mapping[str, Mapping[str, str]]] = {
    "requests": {"cpu": "250m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"},
}


@dataclass(frozen=True)
class BacktestRef:
    """Who a TradingBacktest is."""

    namespace: str
    name: str
    uid: str
    generation: int


def job_name(ref: BacktestRef) -> str:
    """Deterministic per spec generation, so a retry never creates a second Job."""
    digest = hashlib.sha256(f"{ref.uid}/{ref.generation}".encode()).hexdigest()[:6]
    stem = ref.name[: JOB_NAME_MAX - len(digest) - 4].rstrip("-.")
    return f"{stem}-bt-{digest}"


def labels(ref: BacktestRef) -> dict[str, str]:
    """Labels of the Job and its pods (never alchemiser.io/strategy: not a trading run)."""
    return {
        "app.kubernetes.io/name": "alchemiser",
        "app.kubernetes.io/component": "backtest",
        "app.kubernetes.io/part-of": "alchemiser",
        "app.kubernetes.io/managed-by": "alchemiser-operator",
        "app.kubernetes.io/version": __version__,
        runtime.LABEL_BACKTEST: ref.name[:63],
        runtime.LABEL_BACKTEST_UID: ref.uid,
    }


def build_job(
    ref: BacktestRef,
    spec: TradingBacktestSpec,
    settings: OperatorSettings,
    credentials_secret: str | None = None,
) -> dict[str, Any]:
    """The Indexed Job running every variant of the backtest."""
    count = len(spec.periods())
    env = [
        {
            "name": runtime.ENV_BACKTEST_SPEC,
            "value": json.dumps(spec.model_dump(by_alias=True, mode="json", exclude_none=True)),
        },
        {"name": runtime.ENV_BACKTEST_NAME, "value": ref.name},
        {"name": runtime.ENV_BACKTEST_NAMESPACE, "value": ref.namespace},
        {"name": runtime.ENV_BACKTEST_UID, "value": ref.uid},
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
    ]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}
    ]
    if credentials_secret:
        mounts.append(
            {"name": "broker-credentials", "mountPath": runtime.CREDENTIALS_DIR, "readOnly": True}
        )
        volumes.append(
            {
                "name": "broker-credentials",
                "secret": {
                    "secretName": credentials_secret,
                    "defaultMode": 0o440,
                    "items": [{"key": key, "path": key} for key in runtime.CREDENTIAL_FILES],
                },
            }
        )
    pod_spec: dict[str, Any] = {
        "serviceAccountName": settings.backtest_service_account,
        "restartPolicy": "Never",
        "enableServiceLinks": False,
        "securityContext": builders.pod_security(),  # the worker's: uid 10001, the image's
        "containers": [
            {
                "name": "backtest",
                "image": settings.image,
                "imagePullPolicy": settings.image_pull_policy,
                "args": ["backtest-job"],
                "env": env,
                "volumeMounts": mounts,
                "resources": {kind: dict(values) for kind, values in RESOURCES.items()},
                "securityContext": builders.container_security(),
                "terminationMessagePath": runtime.TERMINATION_LOG,
                "terminationMessagePolicy": "FallbackToLogsOnError",
            }
        ],
        "volumes": volumes,
    }
    if settings.node_selector:
        pod_spec["nodeSelector"] = dict(settings.node_selector)
    if settings.tolerations:
        pod_spec["tolerations"] = [dict(item) for item in settings.tolerations]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(ref),
            "namespace": ref.namespace,
            "labels": labels(ref),
            "ownerReferences": [
                {
                    "apiVersion": runtime.API_VERSION,
                    "kind": runtime.BACKTEST_KIND,
                    "name": ref.name,
                    "uid": ref.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "completionMode": "Indexed",
            "completions": count,
            "parallelism": min(count, MAX_PARALLEL),
            "backoffLimitPerIndex": 0,
            "maxFailedIndexes": count,
            "ttlSecondsAfterFinished": 3600,
            "template": {"metadata": {"labels": labels(ref)}, "spec": pod_spec},
        },
    }


def pod_result(pod: Mapping[str, Any], periods: Sequence[tuple[str, str, str]]) -> VariantResult:
    """The variant result of one finished pod, from its termination message."""
    index = _index(pod)
    name, start, end = periods[index] if 0 <= index < len(periods) else (f"index-{index}", "", "")
    period = f"{start}..{end}"
    message, phase = _terminated(pod)
    if message:
        try:
            result = VariantResult.model_validate_json(message)
            return result.model_copy(update={"variant": name, "period": period})
        except ValidationError:
            pass
    return VariantResult(
        variant=name,
        period=period,
        state=BacktestState.FAILED,
        message=f"the pod ended ({phase}) without a readable result: {message[:300]!r}",
    )


def _index(pod: Mapping[str, Any]) -> int:
    metadata = pod.get("metadata") or {}
    raw = (metadata.get("labels") or {}).get(runtime.LABEL_COMPLETION_INDEX) or (
        metadata.get("annotations") or {}
    ).get(runtime.LABEL_COMPLETION_INDEX)
    try:
        return int(str(raw))
    except ValueError:
        return -1


def _terminated(pod: Mapping[str, Any]) -> tuple[str, str]:
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        terminated = (container.get("state") or {}).get("terminated")
        if terminated:
            return str(terminated.get("message") or ""), str(status.get("phase", "?"))
    return "", str(status.get("phase", "?"))


def finished(job: Mapping[str, Any]) -> BacktestState | None:
    """Succeeded or Failed once the Job has its Complete or Failed condition, else None."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return BacktestState.SUCCEEDED
        if condition.get("type") == "Failed":
            return BacktestState.FAILED
    return None


def status(
    state: BacktestState,
    periods: Sequence[tuple[str, str, str]],
    *,
    results: Sequence[VariantResult],
    job: str,
    generation: int,
    message: str = "",
) -> dict[str, Any]:
    """The status patch: overall state, the first variant's figures, every variant's result."""
    by_name = {r.variant: r for r in results}
    ordered = [
        by_name.get(name)
        or VariantResult(variant=name, period=f"{start}..{end}", state=BacktestState.PENDING)
        for name, start, end in periods
    ]
    if state is BacktestState.SUCCEEDED and any(r.state is not state for r in ordered):
        state = BacktestState.FAILED
        message = message or "some variants failed: see results"
    first = ordered[0]
    return {
        "observedGeneration": generation,
        "state": state.value,
        "period": first.period,
        "cagr": first.cagr,
        "maxDrawdown": first.max_drawdown,
        "sharpe": first.sharpe,
        "jobName": job,
        "results": [r.model_dump(by_alias=True, mode="json", exclude_none=True) for r in ordered],
        "message": message,
    }
