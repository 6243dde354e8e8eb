"""The operator's workflows end to end over an in-memory Kube: strategies, halts, runs."""

import asyncio
import json
from datetime import timedelta
from typing import Any

from operator_support import BOTH_KEYS, NOW, World, halt_body, spec_wire, strategy_body

from alchemiser.api import halt_matching
from alchemiser.api.result import Outcome, RunResult
from alchemiser.operator import halts, runs, strategies
from alchemiser.operator.builders import CONTAINER
from alchemiser.operator.context import Context
from alchemiser.operator.settings import OperatorSettings

KEY = ("team-a", "momentum")
CRONJOB = ("team-a", "momentum")  # builders.cronjob_name keeps a short name as it is


def ready_world(**status: Any) -> World:
    """One strategy whose Secret holds both keys."""
    world = World()
    world.kube.secrets[("team-a", "alpaca-paper")] = BOTH_KEYS
    world.kube.add_strategy(strategy_body(status=status or None))
    return world


async def drain(ctx: Context) -> None:
    """Wait for the background work a workflow spawned (status after a halt)."""
    while ctx.background:
        await asyncio.gather(*list(ctx.background))


def ready(world: World) -> str | None:
    """The Ready condition's status as last written."""
    body = world.kube.strategies[KEY]
    for condition in body["status"].get("conditions") or ():
        if condition["type"] == "Ready":
            return str(condition["status"])
    return None


async def test_reconcile_creates_the_cronjob_and_reports_ready(settings: OperatorSettings) -> None:
    """A new strategy: CronJob applied unsuspended, Ready=True, one CronJobCreated Event."""
    world = ready_world()
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert world.kube.cronjobs[CRONJOB]["spec"]["suspend"] is False
    assert ready(world) == "True"
    assert world.reasons() == ["CronJobCreated"]


async def test_a_repeated_reconcile_writes_no_status(settings: OperatorSettings) -> None:
    """Level-based: the second reconcile applies again but finds the status unchanged."""
    world = ready_world()
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    world.kube.writes.clear()
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert world.kube.writes == [("apply", *CRONJOB)]


async def test_a_missing_secret_keeps_the_strategy_suspended(settings: OperatorSettings) -> None:
    """No Secret: the CronJob exists suspended and a CredentialsMissing Event says why."""
    world = World()
    world.kube.add_strategy(strategy_body())
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert world.kube.cronjobs[CRONJOB]["spec"]["suspend"] is True
    assert ready(world) == "False"
    assert "CredentialsMissing" in world.reasons()


async def test_reconcile_under_a_halt_deletes_the_running_jobs(settings: OperatorSettings) -> None:
    """Halted at reconcile: CronJob suspended and every active Job deleted, one Event each."""
    world = ready_world()
    world.halts.append(halt_matching.rule_from_wire(halt_body()))
    world.kube.jobs[("team-a", "momentum-1")] = {}
    world.active[KEY] = ["momentum-1"]
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert world.kube.cronjobs[CRONJOB]["spec"]["suspend"] is True
    assert ("delete-job", "team-a", "momentum-1") in world.kube.writes
    assert world.reasons().count("JobDeleted") == 1 and "Halted" in world.reasons()


async def test_a_status_conflict_is_retried_on_the_fresh_object(
    settings: OperatorSettings,
) -> None:
    """A 409 on the status write re-reads the strategy and writes again."""
    world = ready_world()
    world.kube.conflicts = 2
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    assert ready(world) == "True"


async def test_the_sweep_leaves_an_unchanged_cronjob_alone(settings: OperatorSettings) -> None:
    """repair_drift: nothing written for a CronJob as wanted; a hand edit is put back."""
    world = ready_world()
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    world.kube.writes.clear()
    listed = json.loads(json.dumps(world.kube.cronjobs[CRONJOB]))
    await strategies.repair_drift(ctx, ctx.sources.strategy(*KEY), listed)  # type: ignore[arg-type]
    assert world.kube.writes == []
    listed["spec"]["schedule"] = "0 0 * * *"
    await strategies.repair_drift(ctx, ctx.sources.strategy(*KEY), listed)  # type: ignore[arg-type]
    assert world.kube.writes == [("apply", *CRONJOB)]
    assert world.kube.cronjobs[CRONJOB]["spec"]["schedule"] == "45 15 * * 1-5"


async def test_a_halt_flips_the_cronjob_then_settles_status(settings: OperatorSettings) -> None:
    """propagate: suspend and Job deletion first, then Halted=True; release on deletion."""
    world = ready_world()
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    world.kube.jobs[("team-a", "momentum-1")] = {}
    world.active[KEY] = ["momentum-1"]
    world.kube.writes.clear()
    stop = halt_matching.rule_from_wire(halt_body())
    world.halts.append(stop)
    result = await halts.propagate(ctx, stop)
    assert result.affected == 1 and result.failures == 0
    assert world.kube.writes[:2] == [
        ("suspend", *CRONJOB),
        ("delete-job", "team-a", "momentum-1"),
    ]
    await drain(ctx)
    assert world.kube.strategies[KEY]["status"]["haltedBy"] == ["stop"]
    assert ("apply", *CRONJOB) not in world.kube.writes  # the settle step applies nothing
    world.halts.clear()
    world.active.clear()
    await halts.propagate(ctx, stop, gone=True)
    assert world.kube.cronjobs[CRONJOB]["spec"]["suspend"] is False
    await drain(ctx)
    assert "Resumed" in world.reasons()


async def test_enforce_writes_the_halts_status_and_measures_it(settings: OperatorSettings) -> None:
    """enforce: Active=True with the strategies affected, propagation time, a Propagated Event."""
    world = ready_world()
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    body = halt_body()
    body["metadata"]["creationTimestamp"] = (NOW - timedelta(seconds=1)).isoformat()
    world.kube.halts["stop"] = body
    world.halts.append(halt_matching.rule_from_wire(body))
    result = await halts.enforce(ctx, body, measure=True)
    await drain(ctx)
    written = world.kube.halts["stop"]["status"]
    assert written["affectedStrategies"] == 1 and result.affected == 1
    assert written["propagationSeconds"] == 1.0  # from creation to the last flip, by ctx.clock
    assert "Propagated" in world.reasons()


async def test_run_now_is_refused_while_halted(settings: OperatorSettings) -> None:
    """run_now: no Job while a halt matches; a Job from the CronJob's template otherwise."""
    world = ready_world()
    ctx = world.context(settings)
    await strategies.reconcile(ctx, ctx.sources.strategy(*KEY))  # type: ignore[arg-type]
    world.halts.append(halt_matching.rule_from_wire(halt_body()))
    await runs.run_now(ctx, ctx.sources.strategy(*KEY), "t1")  # type: ignore[arg-type]
    assert world.reasons()[-1] == "RunNowRefused" and not world.kube.jobs
    world.halts.clear()
    await runs.run_now(ctx, ctx.sources.strategy(*KEY), "t2")  # type: ignore[arg-type]
    assert world.reasons()[-1] == "RunStarted" and len(world.kube.jobs) == 1


async def test_run_now_is_refused_for_a_suspended_strategy(settings: OperatorSettings) -> None:
    """spec.suspend refuses a manual run too."""
    world = World()
    world.kube.add_strategy(strategy_body(spec=spec_wire(suspend=True)))
    ctx = world.context(settings)
    await runs.run_now(ctx, ctx.sources.strategy(*KEY), "t1")  # type: ignore[arg-type]
    assert world.events[-1][1:] == (
        "RunNowRefused",
        "run-now 't1' not started: the strategy is suspended (spec.suspend)",
    )


def finished_job(name: str = "momentum-1") -> dict[str, Any]:
    """A completed Job of the strategy, owned by its CronJob."""
    return {
        "metadata": {
            "namespace": "team-a",
            "name": name,
            "uid": f"uid-{name}",
            "labels": {"alchemiser.io/strategy": "momentum"},
            "ownerReferences": [{"kind": "CronJob", "controller": True, "name": "momentum"}],
        },
        "status": {
            "startTime": "2026-11-27T14:45:00Z",
            "completionTime": "2026-11-27T14:46:00Z",
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }


async def test_a_finished_run_is_recorded_once(settings: OperatorSettings) -> None:
    """record_run: lastRun written, the Job annotated; the same Job again does nothing."""
    world = ready_world()
    ctx = world.context(settings)
    result = RunResult(outcome=Outcome.NO_TRADES, run_id="r-1", message="nothing to do")
    terminated = {"terminated": {"exitCode": 0, "message": result.to_json()}}
    world.kube.pods[("team-a", "momentum-1")] = [
        {"status": {"containerStatuses": [{"name": CONTAINER, "state": terminated}]}}
    ]
    job = finished_job()
    assert runs.owned_by_cronjob(job)
    assert await runs.record_run(ctx, job)
    last_run = world.kube.strategies[KEY]["status"]["lastRun"]
    assert (last_run["job"], last_run["outcome"]) == ("momentum-1", "NoTrades")
    assert world.kube.writes[-1][:3] == ("annotate-job", "team-a", "momentum-1")
    assert not await runs.record_run(ctx, job)
