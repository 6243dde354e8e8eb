"""The breaker, throttle and account workflows over an in-memory Kube (no cluster)."""

from typing import Any

from operator_support import BOTH_KEYS, FakeKube, World, spec_wire, strategy_body
from test_workflows import finished_job

from alchemiser.api.result import AccountReport, Outcome, RunResult
from alchemiser.notify.notices import Kind, Notice
from alchemiser.operator import runs, status, strategies
from alchemiser.operator.builders import CONTAINER
from alchemiser.operator.kube import Conflict
from alchemiser.operator.settings import OperatorSettings

KEY = ("team-a", "momentum")


class HaltingKube(FakeKube):
    """FakeKube plus the halt writes a trip makes."""

    async def create_halt_if_absent(self, body: dict[str, Any]) -> bool:
        name = body["metadata"]["name"]
        if name in self.halts:
            return False
        self.halts[name] = body
        self.writes.append(("create-halt", name))
        return True

    async def patch_halt_spec(self, name: str, spec: dict[str, Any]) -> None:
        raise Conflict("not expected in these tests")


def _world(**spec: Any) -> World:
    world = World(kube=HaltingKube())
    world.kube.secrets[("team-a", "alpaca-paper")] = BOTH_KEYS
    world.kube.add_strategy(strategy_body(spec=spec_wire(**spec)))
    return world


def _finish(world: World, job: str, result: RunResult) -> dict[str, Any]:
    terminated = {"terminated": {"exitCode": 0, "message": result.to_json()}}
    world.kube.pods[("team-a", job)] = [
        {"status": {"containerStatuses": [{"name": CONTAINER, "state": terminated}]}}
    ]
    return finished_job(job)


def _result(equity: float, last: float = 100_000.0) -> RunResult:
    account = AccountReport(number="PA1", equity=equity, last_equity=last)
    return RunResult(outcome=Outcome.SUCCEEDED, run_id="r", account=account)


async def test_a_run_that_loses_too_much_trips_one_halt_and_records_it(
    settings: OperatorSettings,
) -> None:
    """dailyLoss 5%, a run reporting 6% down: one halt, an Event, a notice, the trip in status,
    the ledger written; the same loss in the next run creates nothing more."""
    world = _world(breakers={"dailyLossPercent": 5})
    ctx = world.context(settings)
    notices: list[Notice] = []
    ctx.notify = notices.append
    assert await runs.record_run(ctx, _finish(world, "momentum-1", _result(94_000.0)))
    assert list(world.kube.halts) == ["breaker.team-a.momentum.daily-loss"]
    assert "BreakerTripped" in world.reasons()
    assert [n.kind for n in notices if n.kind is Kind.BREAKER_TRIPPED] == [Kind.BREAKER_TRIPPED]
    saved = world.kube.strategies[KEY]["status"]
    assert saved["breakers"]["trips"][0]["halt"] == "breaker.team-a.momentum.daily-loss"
    assert saved["runsToday"]["runs"] == 1 and saved["account"]["number"] == "PA1"
    ledger = world.kube.cronjobs[("team-a", "momentum-ledger")]
    assert '"trippedToday":["dailyLoss"]' in ledger["data"]["ledger.json"]
    assert await runs.record_run(ctx, _finish(world, "momentum-2", _result(93_000.0)))
    assert len(world.kube.halts) == 1
    assert [n.kind for n in notices].count(Kind.BREAKER_TRIPPED) == 1
    assert world.kube.strategies[KEY]["status"]["runsToday"]["runs"] == 2


async def test_a_reconcile_keeps_what_runs_recorded(settings: OperatorSettings) -> None:
    """breakers, runsToday and account survive a reconcile's status write."""
    world = _world(breakers={"drawdownPercent": 10})
    ctx = world.context(settings)
    assert await runs.record_run(ctx, _finish(world, "momentum-1", _result(100_000.0)))
    before = dict(world.kube.strategies[KEY]["status"])
    await strategies.reconcile(ctx, world._strategy(*KEY))  # type: ignore[arg-type]
    after = world.kube.strategies[KEY]["status"]
    for field in status.RUN_FIELDS:
        assert after[field] == before[field]


async def test_a_younger_strategy_on_the_same_secret_is_not_ready(
    settings: OperatorSettings,
) -> None:
    """Two strategies on one Secret: the one created later is AccountInUse, naming the older."""
    world = _world()
    old = world.kube.strategies[KEY]
    old["metadata"]["creationTimestamp"] = "2026-11-01T00:00:00Z"
    young = strategy_body("younger")
    young["metadata"]["creationTimestamp"] = "2026-12-01T00:00:00Z"
    world.kube.add_strategy(young)
    ctx = world.context(settings)
    await strategies.reconcile(ctx, world._strategy(*KEY))  # type: ignore[arg-type]
    await strategies.reconcile(ctx, world._strategy("team-a", "younger"))  # type: ignore[arg-type]
    ready = {
        c["type"]: c for c in world.kube.strategies[("team-a", "younger")]["status"]["conditions"]
    }
    assert ready["Ready"]["reason"] == "AccountInUse"
    assert "team-a/momentum" in ready["Ready"]["message"]
    older = {c["type"]: c for c in old["status"]["conditions"]}
    assert older["Ready"]["status"] == "True"
    assert world.kube.cronjobs[("team-a", "younger")]["spec"]["suspend"] is True
