"""The TradingBacktest's Job and status, built without a cluster (operator.backtest_jobs)."""

import json
from pathlib import Path

import pytest

from alchemiser.api import TradingBacktestSpec, TradingStrategySpec, runtime
from alchemiser.api.v1alpha1 import BacktestState, VariantResult
from alchemiser.operator import backtest_jobs, builders
from alchemiser.operator.settings import OperatorSettings

REF = backtest_jobs.BacktestRef(namespace="team-a", name="sweep", uid="u-1", generation=2)
STRATEGY = {
    "schedule": "45 15 * * 1-5",
    "allocations": [{"strategy": "tecl", "weight": 1}],
    "broker": {"credentialsSecret": "unused"},
}


def _spec(**extra: object) -> TradingBacktestSpec:
    raw = {"strategy": STRATEGY, "start": "2025-06-02", "end": "2025-07-31", **extra}
    return TradingBacktestSpec.model_validate(raw)


def test_a_sweep_is_an_indexed_job_with_one_completion_per_variant() -> None:
    """Five variants: Indexed, five completions, four at once, no retries, owned, spec in env."""
    variants = [{"name": f"v{i}"} for i in range(5)]
    job = backtest_jobs.build_job(REF, _spec(variants=variants), OperatorSettings())
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 5, 4)
    assert spec["backoffLimitPerIndex"] == 0
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("TradingBacktest", "u-1", True)
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "alchemiser-backtest"
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert json.loads(env[runtime.ENV_BACKTEST_SPEC])["variants"] == variants
    assert env[runtime.ENV_BACKTEST_UID] == "u-1"
    assert pod["containers"][0]["args"] == ["backtest-job"]
    assert not any(v["name"] == "broker-credentials" for v in pod["volumes"])


def test_alpaca_data_mounts_the_secret_and_nothing_else_does() -> None:
    """Only data.source alpaca mounts its credentials Secret, read-only, never as env."""
    spec = _spec(data={"source": "alpaca", "credentialsSecret": "alpaca-keys"})
    job = backtest_jobs.build_job(REF, spec, OperatorSettings(), "alpaca-keys")
    pod = job["spec"]["template"]["spec"]
    secret = next(v for v in pod["volumes"] if v["name"] == "broker-credentials")
    assert secret["secret"]["secretName"] == "alpaca-keys"
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == secret["name"])
    assert mount["readOnly"] is True
    assert "APCA" not in json.dumps(pod["containers"][0]["env"]).replace("credentialsSecret", "")


def test_the_job_name_is_fixed_per_generation() -> None:
    """The same generation always names the same Job (no second one on a retry); a new one not."""
    again = backtest_jobs.job_name(REF)
    assert backtest_jobs.job_name(REF) == again and len(again) <= 63
    newer = backtest_jobs.BacktestRef("team-a", "sweep", "u-1", 3)
    assert backtest_jobs.job_name(newer) != again


def _pod(index: int, message: str, phase: str = "Succeeded") -> dict[str, object]:
    return {
        "metadata": {"annotations": {runtime.LABEL_COMPLETION_INDEX: str(index)}},
        "status": {
            "phase": phase,
            "containerStatuses": [{"state": {"terminated": {"message": message}}}],
        },
    }


PERIODS = [("a", "2025-06-02", "2025-07-31"), ("b", "2025-07-01", "2025-07-31")]


def test_a_pods_termination_message_is_its_variants_result() -> None:
    """The figures come from the message; name and period from the spec's index, not the pod."""
    written = VariantResult(variant="x", period="?", state=BacktestState.SUCCEEDED, cagr=0.12)
    result = backtest_jobs.pod_result(_pod(1, written.model_dump_json(by_alias=True)), PERIODS)
    assert (result.variant, result.period, result.cagr) == ("b", "2025-07-01..2025-07-31", 0.12)


def test_a_pod_without_a_readable_result_is_a_failed_variant_saying_so() -> None:
    """A crash (traceback as message) fails that variant with the message's start."""
    result = backtest_jobs.pod_result(_pod(0, "Traceback: boom", "Failed"), PERIODS)
    assert result.state is BacktestState.FAILED and "Traceback: boom" in result.message


@pytest.mark.parametrize(
    ("states", "overall"),
    [
        ((BacktestState.SUCCEEDED, BacktestState.SUCCEEDED), "Succeeded"),
        ((BacktestState.SUCCEEDED, BacktestState.FAILED), "Failed"),
    ],
)
def test_status_shows_the_first_variant_and_fails_if_any_failed(
    states: tuple[BacktestState, BacktestState], overall: str
) -> None:
    """The printer columns read the first variant; one failed variant fails the backtest."""
    results = [
        VariantResult(variant=name, period="", state=state, cagr=0.1 * i, sharpe=1.0 + i)
        for i, ((name, _, _), state) in enumerate(zip(PERIODS, states, strict=True))
    ]
    patch = backtest_jobs.status(
        BacktestState.SUCCEEDED, PERIODS, results=results, job="j", generation=2
    )
    assert patch["state"] == overall and patch["observedGeneration"] == 2
    assert (patch["cagr"], patch["sharpe"]) == (0.0, 1.0)
    assert [r["variant"] for r in patch["results"]] == ["a", "b"]


def test_only_a_complete_or_failed_job_is_finished() -> None:
    """Running Jobs are not read; Complete is Succeeded, Failed is Failed."""
    assert backtest_jobs.finished({"status": {"active": 1}}) is None
    complete = {"status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    failed = {"status": {"conditions": [{"type": "Failed", "status": "True"}]}}
    assert backtest_jobs.finished(complete) is BacktestState.SUCCEEDED
    assert backtest_jobs.finished(failed) is BacktestState.FAILED


def test_a_backtest_pod_is_locked_down_as_a_run_pod_is() -> None:
    """The image's uid 10001 (the Dockerfile's USER), read-only root, no capability or escalation:
    the very securityContext of a strategy's worker pods (it was uid 65532 before)."""
    job = backtest_jobs.build_job(REF, _spec(), OperatorSettings())
    pod = job["spec"]["template"]["spec"]
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    assert f"USER {builders.WORKER_UID}:{builders.WORKER_UID}" in dockerfile
    assert pod["securityContext"]["runAsUser"] == builders.WORKER_UID
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    locked = container["securityContext"]
    assert locked["readOnlyRootFilesystem"] is True and locked["allowPrivilegeEscalation"] is False
    assert locked["capabilities"] == {"drop": ["ALL"]}
    identity = builders.StrategyIdentity("team-a", "s", "u-2")
    run_pod = builders.pod_template(identity, TradingStrategySpec.model_validate(STRATEGY),
                                    OperatorSettings())["spec"]  # fmt: skip
    assert pod["securityContext"] == run_pod["securityContext"]
    assert locked == run_pod["containers"][0]["securityContext"]
