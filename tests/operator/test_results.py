"""Run results: a finished Job and its pod's termination message become status.lastRun."""

from alchemiser.api.result import Outcome, RunResult
from alchemiser.operator import results

FINISHED = {
    "status": {
        "startTime": "2026-11-27T15:45:00Z",
        "completionTime": "2026-11-27T15:46:00Z",
        "conditions": [{"type": "Complete", "status": "True", "reason": "CompletionsReached"}],
    }
}
FAILED = {
    "status": {
        "startTime": "2026-11-27T15:45:00Z",
        "conditions": [
            {
                "type": "Failed",
                "status": "True",
                "reason": "DeadlineExceeded",
                "message": "too slow",
                "lastTransitionTime": "2026-11-27T15:55:00Z",
            }
        ],
    }
}


def _pod(message=None, *, reason="Completed", code=0, finished="2026-11-27T15:46:00Z"):
    terminated = {"reason": reason, "exitCode": code, "finishedAt": finished}
    if message is not None:
        terminated["message"] = message
    return {
        "status": {"containerStatuses": [{"name": "worker", "state": {"terminated": terminated}}]}
    }


def _result(**kw):
    return RunResult(
        outcome=Outcome.SUCCEEDED,
        run_id="r1",
        orders_submitted=3,
        notional=1234.5,
        message="ok",
        **kw,
    )


def test_running_job_is_not_finished():
    """A Job without a Complete or Failed condition is still running."""
    assert results.job_finish({"status": {"active": 1}}) is None
    assert (
        results.job_finish({"status": {"conditions": [{"type": "Complete", "status": "False"}]}})
        is None
    )


def test_parsed_result_becomes_last_run():
    """The worker's JSON in the termination message fills lastRun."""
    finish = results.job_finish(FINISHED)
    last_run, parsed = results.last_run("s-1", finish, [_pod(_result().to_json())])
    assert parsed is not None
    assert last_run["job"] == "s-1"
    assert last_run["outcome"] == "Succeeded"
    assert last_run["ordersSubmitted"] == 3
    assert last_run["notional"] == 1234.5
    assert last_run["finishedAt"].startswith("2026-11-27T15:46:00")


def test_result_is_found_as_last_log_line():
    """With FallbackToLogsOnError the message is a log tail; its last JSON line is the result."""
    message = "starting\nsomething happened\n" + _result().to_json() + "\n"
    last_run, parsed = results.last_run("s-1", results.job_finish(FINISHED), [_pod(message)])
    assert parsed is not None and last_run["outcome"] == "Succeeded"


def test_failed_job_without_result_reports_the_pod_reason():
    """No parseable result: Failed, with the container's reason and exit code."""
    last_run, parsed = results.last_run(
        "s-2", results.job_finish(FAILED), [_pod("Traceback...\nBoom", reason="Error", code=1)]
    )
    assert parsed is None
    assert last_run["outcome"] == "Failed"
    assert "Error (exit code 1)" in last_run["message"]


def test_failed_job_without_pods_reports_the_job_reason():
    """When no pod is left, the Job's own reason explains the failure."""
    last_run, _ = results.last_run("s-3", results.job_finish(FAILED), [])
    assert last_run["outcome"] == "Failed"
    assert "DeadlineExceeded" in last_run["message"]
    assert last_run["finishedAt"].startswith("2026-11-27T15:55:00")


def test_garbage_message_is_not_a_result():
    """JSON that is not a RunResult does not count."""
    assert results.parse_result('{"hello": 1}') is None
    assert results.parse_result("") is None
    assert results.parse_result(None) is None


def test_the_last_attempt_wins():
    """With retries, the pod that terminated last is read."""
    early = _pod(
        RunResult(outcome=Outcome.FAILED, run_id="a").to_json(), finished="2026-11-27T15:45:30Z"
    )
    late = _pod(_result().to_json(), finished="2026-11-27T15:46:00Z")
    last_run, _ = results.last_run("s-1", results.job_finish(FINISHED), [late, early])
    assert last_run["outcome"] == "Succeeded"
