"""A finished Job and its pod, turned into `status.lastRun`.

Rule: pure. The worker writes its RunResult as JSON to the termination message;
with `FallbackToLogsOnError` a crashed worker leaves its log tail there instead,
so the last line that parses wins and anything else means Failed with the pod's
reason. Never raises on odd input: a result that cannot be read is a Failed run.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from alchemiser.api import LastRun
from alchemiser.api.result import Outcome, RunResult
from alchemiser.operator.builders import CONTAINER

MESSAGE_LIMIT: Final = 300


@dataclass(frozen=True)
class JobFinish:
    """How a Job ended according to its own conditions."""

    succeeded: bool
    reason: str
    message: str
    started_at: str | None
    finished_at: str | None


def job_finish(job: Mapping[str, Any]) -> JobFinish | None:
    """The Job's end, or None while it is still running."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or ():
        if condition.get("status") != "True" or condition.get("type") not in ("Complete", "Failed"):
            continue
        return JobFinish(
            succeeded=condition["type"] == "Complete",
            reason=str(condition.get("reason") or condition["type"]),
            message=str(condition.get("message") or ""),
            started_at=status.get("startTime"),
            finished_at=status.get("completionTime") or condition.get("lastTransitionTime"),
        )
    return None


def _terminated(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for container in (pod.get("status") or {}).get("containerStatuses") or ():
        if container.get("name") != CONTAINER:
            continue
        state = container.get("state") or {}
        terminated = state.get("terminated")
        if terminated is None:
            terminated = (container.get("lastState") or {}).get("terminated")
        return terminated if isinstance(terminated, Mapping) else None
    return None


def pick_pod(pods: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The pod whose worker container terminated last (the Job's final attempt)."""
    finished = [pod for pod in pods if _terminated(pod) is not None]
    if not finished:
        return None
    return max(finished, key=lambda pod: str((_terminated(pod) or {}).get("finishedAt") or ""))


def parse_result(message: str | None) -> RunResult | None:
    """The RunResult in a termination message: the whole text or, failing that, its last line."""
    if not message:
        return None
    candidates = [message.strip()]
    candidates.extend(line.strip() for line in reversed(message.strip().splitlines()))
    for text in candidates:
        if not text.startswith("{"):
            continue
        try:
            return RunResult.from_json(text)
        except ValidationError:
            continue
    return None


def pod_reason(pod: Mapping[str, Any] | None, finish: JobFinish | None) -> str:
    """Why a run failed, in a few words: the container's reason and exit code, or the Job's."""
    terminated = _terminated(pod) if pod is not None else None
    if terminated is not None:
        reason = str(terminated.get("reason") or "Terminated")
        code = terminated.get("exitCode")
        return f"{reason} (exit code {code})" if code is not None else reason
    status_reason = (pod or {}).get("status", {}).get("reason")
    if status_reason:
        return str(status_reason)
    if finish is not None:
        return f"{finish.reason}: {finish.message}".strip(": ")
    return "no pod result"


def last_run(
    job_name: str, finish: JobFinish, pods: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], RunResult | None]:
    """The `status.lastRun` object for a finished Job, and the parsed result if there was one."""
    pod = pick_pod(pods)
    terminated = _terminated(pod) if pod is not None else None
    result = parse_result(terminated.get("message") if terminated else None)
    wire: dict[str, Any] = {
        "job": job_name,
        "startedAt": finish.started_at,
        "finishedAt": finish.finished_at,
    }
    if result is not None:
        wire.update(
            outcome=result.outcome.value,
            ordersSubmitted=result.orders_submitted,
            ordersRejected=result.orders_rejected,
            notional=result.notional,
            message=result.message[:MESSAGE_LIMIT],
            symphonies=[s.model_dump(by_alias=True) for s in result.symphonies[:10]] or None,
        )
        if result.started_at is not None:
            wire["startedAt"] = result.started_at.isoformat()
        if result.finished_at is not None:
            wire["finishedAt"] = result.finished_at.isoformat()
    else:
        wire.update(
            outcome=Outcome.FAILED.value,
            ordersSubmitted=0,
            ordersRejected=0,
            notional=0.0,
            message=f"no readable run result: {pod_reason(pod, finish)}"[:MESSAGE_LIMIT],
        )
    model = LastRun.model_validate({k: v for k, v in wire.items() if v is not None})
    return model.model_dump(by_alias=True, mode="json", exclude_none=True), result
