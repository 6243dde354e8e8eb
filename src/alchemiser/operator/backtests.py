"""TradingBacktest workflows: start its Job, and record its results when the Job is done.

Rule: the decisions are in backtest_jobs (pure); this module observes (the backtest,
a referenced TradingStrategy, the Job's pods) and applies (create the Job, patch the
status) through Kube. A spec that cannot run (a missing TradingStrategy, an invalid
strategy spec) ends in state Failed with a message naming what is wrong; nothing is
retried that cannot succeed.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from alchemiser.api import TradingBacktestSpec, TradingStrategySpec, problems, runtime
from alchemiser.api.v1alpha1 import BacktestState, DataSource, VariantResult
from alchemiser.operator import backtest_jobs
from alchemiser.operator.kube import Kube
from alchemiser.operator.settings import OperatorSettings


def ref_of(body: Mapping[str, Any]) -> backtest_jobs.BacktestRef:
    """Who the backtest is, from its object."""
    metadata = body.get("metadata") or {}
    return backtest_jobs.BacktestRef(
        namespace=str(metadata.get("namespace", "default")),
        name=str(metadata.get("name", "")),
        uid=str(metadata.get("uid", "")),
        generation=int(metadata.get("generation") or 1),
    )


async def start(kube: Kube, body: Mapping[str, Any], settings: OperatorSettings) -> str:
    """Create the backtest's Job unless this generation already has one; returns its state."""
    ref = ref_of(body)
    status = body.get("status") or {}
    name = backtest_jobs.job_name(ref)
    if status.get("observedGeneration") == ref.generation and status.get("jobName") == name:
        return str(status.get("state", BacktestState.RUNNING.value))
    try:
        spec = await _resolved(kube, ref, _parsed(body.get("spec") or {}))
    except _Unrunnable as error:
        await _fail(kube, ref, name, str(error))
        return BacktestState.FAILED.value
    secret = spec.data.credentials_secret if spec.data.source is DataSource.ALPACA else None
    await kube.create_job(backtest_jobs.build_job(ref, spec, settings, secret))
    running = backtest_jobs.status(
        BacktestState.RUNNING, spec.periods(), results=[], job=name, generation=ref.generation
    )
    await kube.patch_backtest_status(ref.namespace, ref.name, running)
    return BacktestState.RUNNING.value


async def record(kube: Kube, job: Mapping[str, Any]) -> bool:
    """When the backtest's Job has finished, write every variant's result; True if written."""
    state = backtest_jobs.finished(job)
    if state is None:
        return False
    metadata = job.get("metadata") or {}
    namespace = str(metadata.get("namespace", ""))
    backtest = (metadata.get("labels") or {}).get(runtime.LABEL_BACKTEST)
    if not backtest:
        return False
    body = await kube.get_backtest(namespace, backtest)
    if body is None or (body.get("status") or {}).get("jobName") != metadata.get("name"):
        return False  # deleted, or a Job of an earlier generation
    ref = ref_of(body)
    try:
        periods = TradingBacktestSpec.model_validate(body.get("spec") or {}).periods()
    except ValidationError:
        return False
    pods = await kube.job_pods(namespace, str(metadata.get("name")))
    results = _best_per_index([backtest_jobs.pod_result(pod, periods) for pod in pods])
    patch = backtest_jobs.status(
        state, periods, results=results, job=str(metadata.get("name")), generation=ref.generation
    )
    await kube.patch_backtest_status(ref.namespace, ref.name, patch)
    return True


class _Unrunnable(Exception):
    """Raised when a backtest spec cannot run as given."""


async def _resolved(
    kube: Kube, ref: backtest_jobs.BacktestRef, spec: TradingBacktestSpec
) -> TradingBacktestSpec:
    if spec.strategy_ref is None:
        return spec
    strategy = await kube.get_strategy(ref.namespace, spec.strategy_ref.name)
    if strategy is None:
        raise _Unrunnable(f"TradingStrategy {ref.namespace}/{spec.strategy_ref.name} not found")
    try:
        inline = TradingStrategySpec.model_validate(strategy.get("spec") or {})
    except ValidationError as error:
        raise _Unrunnable(
            f"TradingStrategy {spec.strategy_ref.name}: {problems.summary(error, 'spec')}"
        ) from None
    return spec.model_copy(update={"strategy": inline, "strategy_ref": None})


def _parsed(raw: Mapping[str, Any]) -> TradingBacktestSpec:
    """The spec, or _Unrunnable naming the field (what the CRD schema cannot check)."""
    try:
        return TradingBacktestSpec.model_validate(raw)
    except ValidationError as error:
        raise _Unrunnable(problems.summary(error, "spec")) from None


async def _fail(kube: Kube, ref: backtest_jobs.BacktestRef, job: str, message: str) -> None:
    patch = backtest_jobs.status(
        BacktestState.FAILED, [("default", "", "")], results=[], job=job, generation=ref.generation
    )
    patch["message"] = message
    patch["jobName"] = None
    await kube.patch_backtest_status(ref.namespace, ref.name, patch)


def _best_per_index(results: list[VariantResult]) -> list[VariantResult]:
    """A variant retried has several pods: a succeeded one wins."""
    best: dict[str, VariantResult] = {}
    for result in results:
        kept = best.get(result.variant)
        if kept is None or result.state is BacktestState.SUCCEEDED:
            best[result.variant] = result
    return list(best.values())
