"""The operator's workflows: reconcile a strategy, propagate a halt, record a finished run.

Rule: orchestration only. Decisions come from the pure modules (builders,
halting, status, results); every API call goes through kube.Kube; Events leave
through the `emit` callable the handlers pass in. No kopf, no aiohttp here.
"""

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationError

from alchemiser.api import Mode, TradingStrategySpec, runtime
from alchemiser.api.parameters import parse_parameters
from alchemiser.api.result import Outcome
from alchemiser.errors import ConfigError, KubeError
from alchemiser.logs import get_logger
from alchemiser.operator import builders, halting, metrics, results, status
from alchemiser.operator.kube import Conflict, Kube, gather_bounded
from alchemiser.operator.settings import OperatorSettings

Emit = Callable[[Mapping[str, Any], str, str, str], None]  # (object ref, type, reason, message)
ANNOTATION_RESULT: Final = "alchemiser.io/result-recorded"
STATUS_RETRIES: Final = 5

log = get_logger(__name__)


def utcnow() -> datetime:
    """The wall clock, in UTC (the default Clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class StrategyRef:
    """What the operator keeps of one strategy (in kopf's index): identity, labels, spec, status."""

    namespace: str
    name: str
    uid: str
    generation: int | None
    resource_version: str | None
    labels: Mapping[str, str]
    spec_json: str
    status_json: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "StrategyRef":
        """Build from a TradingStrategy object (kopf body or API answer)."""
        metadata = body.get("metadata") or {}
        return cls(
            namespace=metadata["namespace"],
            name=metadata["name"],
            uid=metadata.get("uid", ""),
            generation=metadata.get("generation"),
            resource_version=metadata.get("resourceVersion"),
            labels=dict(metadata.get("labels") or {}),
            spec_json=json.dumps(dict(body.get("spec") or {}), separators=(",", ":")),
            status_json=json.dumps(dict(body.get("status") or {}), separators=(",", ":")),
        )

    @property
    def identity(self) -> builders.StrategyIdentity:
        """The identity the builders need."""
        return builders.StrategyIdentity(self.namespace, self.name, self.uid, self.labels)

    @property
    def status(self) -> dict[str, Any]:
        """The status as last seen."""
        value: dict[str, Any] = json.loads(self.status_json)
        return value

    @property
    def halted_by(self) -> list[str]:
        """status.haltedBy as last seen."""
        return list(self.status.get("haltedBy") or [])

    def object_ref(self) -> dict[str, Any]:
        """A minimal object for posting Events about this strategy."""
        return {
            "apiVersion": runtime.API_VERSION,
            "kind": runtime.STRATEGY_KIND,
            "metadata": {"namespace": self.namespace, "name": self.name, "uid": self.uid},
        }


@dataclass
class StateGauge:
    """Keeps alchemiser_strategies{state} equal to the count of strategies in each state."""

    states: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def set(self, key: tuple[str, str], state: str) -> None:
        """Record one strategy's state."""
        old = self.states.get(key)
        if old == state:
            return
        if old is not None:
            self.counts[old] -= 1
        self.states[key] = state
        self.counts[state] += 1
        self._export()

    def forget(self, key: tuple[str, str]) -> None:
        """Drop a deleted strategy."""
        old = self.states.pop(key, None)
        if old is not None:
            self.counts[old] -= 1
            self._export()

    def _export(self) -> None:
        for state in status.STATES:
            metrics.STRATEGIES.labels(state=state).set(self.counts[state])


Key = tuple[str, str]  # (namespace, name) of a strategy


def _calm() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


def _no_strategy(namespace: str, name: str) -> "StrategyRef | None":
    return None


def _no_jobs(namespace: str, name: str) -> list[str]:
    return []


@dataclass
class Sources:
    """Live views of kopf's in-memory indices, read at the moment a decision is made."""

    halts: Callable[[], list[halting.HaltView]] = list
    strategies: Callable[[], list["StrategyRef"]] = list
    strategy: Callable[[str, str], "StrategyRef | None"] = _no_strategy
    active_jobs: Callable[[str, str], list[str]] = _no_jobs


@dataclass
class Context:
    """Collaborators of every workflow: settings, the API client, the clock, the Event sink.

    `locks` serialise the work on one strategy (a kopf handler, halt propagation and the
    resync sweep may touch the same CronJob at once); whoever holds the lock decides
    from `sources` as they are then, so the last writer always wrote the latest truth.
    """

    settings: OperatorSettings
    kube: Kube
    emit: Emit
    clock: Callable[[], datetime] = utcnow
    sources: Sources = field(default_factory=Sources)
    gauge: StateGauge = field(default_factory=StateGauge)
    cronjob_generations: dict[Key, int] = field(default_factory=dict)
    recorded_jobs: set[str] = field(default_factory=set)
    expiry_tasks: dict[str, "asyncio.Task[None]"] = field(default_factory=dict)
    locks: dict[Key, asyncio.Lock] = field(default_factory=dict)
    last_sweep: float | None = None  # time.monotonic() when the resync sweep last finished
    # Clear while a halt is being propagated: background work (the resync sweep, Event
    # posting) waits, so the kill switch has the connection pool and the API to itself.
    calm: asyncio.Event = field(default_factory=_calm)
    _urgent: int = 0
    background: set["asyncio.Task[None]"] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run `work` in the background, keeping a reference until it ends."""
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @contextlib.contextmanager
    def urgent(self) -> Iterator[None]:
        """Mark a stretch of kill-switch work; background work waits until it ends."""
        self._urgent += 1
        self.calm.clear()
        try:
            yield
        finally:
            self._urgent -= 1
            if not self._urgent:
                self.calm.set()

    def lock(self, namespace: str, name: str) -> asyncio.Lock:
        """The lock for one strategy."""
        return self.locks.setdefault((namespace, name), asyncio.Lock())

    def fresh(self, ref: "StrategyRef") -> "StrategyRef":
        """The newest copy of a strategy: kopf's index when it has one, else `ref`."""
        return self.sources.strategy(ref.namespace, ref.name) or ref


@dataclass(frozen=True)
class Findings:
    """What a reconcile found out about a strategy before acting."""

    spec: TradingStrategySpec | None
    verdict: status.Readiness | None  # None: keep the Ready condition as it is (halt fast path)


def _spec(ref: StrategyRef) -> tuple[TradingStrategySpec | None, str | None]:
    try:
        return TradingStrategySpec.model_validate_json(ref.spec_json), None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        return None, f"spec is invalid: {problems}"[:1000]


def _parameter_errors(spec: TradingStrategySpec) -> str | None:
    problems = []
    for allocation in spec.allocations:
        try:
            parse_parameters(allocation.strategy, allocation.parameters)
        except ConfigError as error:
            problems.append(str(error))
    return "; ".join(problems) if problems else None


async def _credentials_problem(kube: Kube, namespace: str, secret: str) -> str | None:
    keys = await kube.secret_keys(namespace, secret)
    if keys is None:
        return f"Secret {secret} not found in namespace {namespace}"
    missing = [key for key in runtime.CREDENTIAL_FILES if key not in keys]
    if missing:
        return f"Secret {secret} lacks key(s) {', '.join(missing)}"
    return None


async def examine(ctx: Context, ref: StrategyRef, *, check_credentials: bool) -> Findings:
    """Validate the spec and parameters, apply the live gate, check the credentials Secret."""
    spec, spec_error = _spec(ref)
    if spec is None:
        return Findings(None, status.readiness(spec_error=spec_error))
    if not check_credentials:
        return Findings(spec, None)
    credentials = await _credentials_problem(
        ctx.kube, ref.namespace, spec.broker.credentials_secret
    )
    verdict = status.readiness(
        parameters_error=_parameter_errors(spec),
        live_blocked=spec.mode == Mode.LIVE and not ctx.settings.allow_live_trading,
        credentials_problem=credentials,
        cronjob_name=builders.cronjob_name(ref.name),
    )
    return Findings(spec, verdict)


def credentials_recheck_needed(status_: Mapping[str, Any]) -> bool:
    """The resync sweep re-reads the Secret only while it is reported missing (recovery)."""
    for condition in status_.get("conditions") or ():
        if condition.get("type") == status.READY:
            return bool(condition.get("reason") == status.CREDENTIALS_MISSING)
    return True


def _kept_verdict(current: Mapping[str, Any], ref: StrategyRef) -> status.Readiness:
    for condition in current.get("conditions") or ():
        if condition.get("type") == status.READY:
            return status.Readiness(
                condition.get("status") == "True",
                str(condition.get("reason", "")),
                str(condition.get("message", "")),
            )
    return status.readiness(cronjob_name=builders.cronjob_name(ref.name))


async def reconcile(
    ctx: Context,
    ref: StrategyRef,
    *,
    check_credentials: bool = True,
    apply_cronjob: bool = True,
    only_if_drifted: bool = False,
    live: Mapping[str, Any] | None = None,
) -> None:
    """Bring one strategy's CronJob, Jobs and status in line with its spec and the halts.

    Runs under the strategy's lock, deciding from the newest copy of the strategy and the
    halts that exist then. `apply_cronjob=False` is for settling after a halt change,
    whose flip already set the CronJob's suspend and deleted a halted strategy's Jobs;
    `only_if_drifted=True` (the resync sweep) compares with `live`, the CronJob as
    listed (None: missing), and writes only on drift.
    """
    started = time.monotonic()
    try:
        async with ctx.lock(ref.namespace, ref.name):
            await _reconcile(
                ctx,
                ctx.fresh(ref),
                check_credentials=check_credentials,
                apply_cronjob=apply_cronjob,
                only_if_drifted=only_if_drifted,
                live=live,
            )
    except KubeError:
        metrics.RECONCILES.labels(outcome="error").inc()
        raise
    metrics.RECONCILES.labels(outcome="success").inc()
    metrics.RECONCILE_SECONDS.observe(time.monotonic() - started)


async def _reconcile(
    ctx: Context,
    ref: StrategyRef,
    *,
    check_credentials: bool,
    apply_cronjob: bool,
    only_if_drifted: bool,
    live: Mapping[str, Any] | None,
) -> None:
    now = ctx.clock()
    current = ref.status
    if status.condition_status(current, status.READY) is None:
        check_credentials = True  # nothing to keep yet: find out
    findings = await examine(ctx, ref, check_credentials=check_credentials)
    decision = halting.decide(ctx.sources.halts(), ref.namespace, ref.labels, now)
    verdict = findings.verdict or _kept_verdict(current, ref)
    name = builders.cronjob_name(ref.name)
    spec = findings.spec
    suspended = spec is None or spec.suspend or decision.halted or not verdict.ready
    last_schedule: str | None = None
    if spec is None:
        await ctx.kube.suspend_cronjob(ref.namespace, name)
    elif not apply_cronjob:
        last_schedule = current.get("lastScheduleTime")
    else:
        desired = builders.build_cronjob(ref.identity, spec, ctx.settings, suspend=suspended)
        if not only_if_drifted or live is None or builders.drifted(desired, live):
            if only_if_drifted:
                log.info("repairing CronJob drift", namespace=ref.namespace, cronjob=name)
            live, created = await ctx.kube.apply(desired)
            _cronjob_events(ctx, ref, live, created)
        last_schedule = (live.get("status") or {}).get("lastScheduleTime")
    if decision.halted and apply_cronjob:  # otherwise the halt's flip has just done it
        await _delete_jobs(ctx, ref, ctx.sources.active_jobs(ref.namespace, ref.name), decision)
    new_status = status.strategy_status(
        current,
        generation=ref.generation,
        verdict=verdict,
        decision=decision,
        cronjob_name=name,
        last_schedule_time=last_schedule,
        now=now,
    )
    if new_status != current:
        await _write_status(ctx, ref, new_status, lambda fresh: _recompute(fresh, new_status))
    _transition_events(ctx, ref, current, verdict, decision)
    _export_strategy(
        ctx, ref, verdict, decision, suspended=suspended, own_suspend=bool(spec and spec.suspend)
    )


def _recompute(fresh: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Our fields from `wanted` over a fresher status, keeping a newer lastRun/run condition."""
    merged = dict(wanted)
    if "lastRun" in fresh:
        merged["lastRun"] = fresh["lastRun"]
    fresh_run = [c for c in fresh.get("conditions") or () if c.get("type") == "LastRunSucceeded"]
    if fresh_run:
        others = [c for c in wanted.get("conditions") or () if c.get("type") != "LastRunSucceeded"]
        merged["conditions"] = others + fresh_run
    return merged


async def _write_status(
    ctx: Context,
    ref: StrategyRef,
    new_status: Mapping[str, Any],
    redo: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> None:
    """Patch the status guarded by resourceVersion; on conflict re-read and redo."""
    version = ref.resource_version
    wanted = new_status
    for _ in range(STATUS_RETRIES):
        try:
            await ctx.kube.patch_strategy_status(ref.namespace, ref.name, wanted, version)
            return
        except Conflict:
            fresh = await ctx.kube.get_strategy(ref.namespace, ref.name)
            if fresh is None:
                return
            version = fresh["metadata"].get("resourceVersion")
            wanted = redo(fresh.get("status") or {})
    raise KubeError(f"status of {ref.namespace}/{ref.name} kept changing; will retry")


def _cronjob_events(ctx: Context, ref: StrategyRef, live: Mapping[str, Any], created: bool) -> None:
    key = (ref.namespace, ref.name)
    generation = int((live.get("metadata") or {}).get("generation") or 0)
    previous = ctx.cronjob_generations.get(key)
    ctx.cronjob_generations[key] = generation
    name = live.get("metadata", {}).get("name", "")
    if created:
        ctx.emit(ref.object_ref(), "Normal", "CronJobCreated", f"created CronJob {name}")
    elif previous is not None and generation != previous:
        ctx.emit(ref.object_ref(), "Normal", "CronJobUpdated", f"updated CronJob {name}")


def _transition_events(
    ctx: Context,
    ref: StrategyRef,
    current: Mapping[str, Any],
    verdict: status.Readiness,
    decision: halting.HaltDecision,
) -> None:
    obj = ref.object_ref()
    was_halted = status.condition_status(current, status.HALTED) == "True"
    halted, _, message = status.halted_message(decision)
    if halted and not was_halted:
        ctx.emit(obj, "Warning", "Halted", message)
    elif was_halted and not halted:
        ctx.emit(obj, "Normal", "Resumed", "no TradingHalt matches any more; scheduling resumed")
    old_reason = next(
        (c.get("reason") for c in current.get("conditions") or () if c.get("type") == status.READY),
        None,
    )
    if not verdict.ready and verdict.reason != old_reason:
        ctx.emit(obj, "Warning", verdict.reason, verdict.message)
    elif verdict.ready and old_reason not in (None, status.RECONCILED):
        ctx.emit(obj, "Normal", "Ready", verdict.message)


def _export_strategy(
    ctx: Context,
    ref: StrategyRef,
    verdict: status.Readiness,
    decision: halting.HaltDecision,
    *,
    suspended: bool,
    own_suspend: bool,
) -> None:
    labels = {"namespace": ref.namespace, "strategy": ref.name}
    metrics.STRATEGY_READY.labels(**labels).set(1 if verdict.ready else 0)
    metrics.STRATEGY_HALTED.labels(**labels).set(1 if decision.halted else 0)
    metrics.STRATEGY_SUSPENDED.labels(**labels).set(1 if own_suspend else 0)
    ctx.gauge.set((ref.namespace, ref.name), status.strategy_state(verdict, decision, suspended))


def forget_strategy(ctx: Context, namespace: str, name: str) -> None:
    """Drop a deleted strategy's metrics and bookkeeping."""
    for gauge in (metrics.STRATEGY_READY, metrics.STRATEGY_HALTED, metrics.STRATEGY_SUSPENDED):
        with contextlib.suppress(KeyError):
            gauge.remove(namespace, name)
    ctx.gauge.forget((namespace, name))
    ctx.cronjob_generations.pop((namespace, name), None)
    ctx.locks.pop((namespace, name), None)


async def _delete_jobs(
    ctx: Context, ref: StrategyRef, jobs: list[str], decision: halting.HaltDecision
) -> None:
    for job in jobs:
        if await ctx.kube.delete_job(ref.namespace, job):
            ctx.emit(
                ref.object_ref(),
                "Warning",
                "JobDeleted",
                f"deleted active Job {job}: halted by {', '.join(decision.halting)}",
            )


# --- halts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Propagation:
    """The result of enforcing one halt: strategies it matches, and how long flipping took."""

    affected: int
    seconds: float  # from the start of propagation until the last CronJob was flipped
    suspended_at: float  # wall-clock time (Unix seconds) when the last CronJob was flipped
    failures: int  # CronJobs not flipped (the caller retries)


async def propagate(ctx: Context, halt: halting.HaltView, *, gone: bool = False) -> Propagation:
    """Enforce one halt (or its deletion/expiry) on every strategy it matches or matched.

    `halt` is the halt as it is now (or was, when `gone`). Each strategy is decided under
    its lock from the halts that exist then, so concurrent halt changes cannot undo one
    another. The kill switch proper is awaited: one merge patch per CronJob, all at once
    (bounded), and the deletion of a halted strategy's active Jobs. Statuses and Events
    follow in the background (`settle`), so a kopf handler returns as soon as the
    CronJobs are flipped and a resume right after a halt does not queue behind them;
    the resync sweep repairs any status that write missed. Secrets are not re-read here.
    """
    started = time.monotonic()
    now = ctx.clock()
    selected = [
        ref
        for ref in ctx.sources.strategies()
        if halt.name in ref.halted_by or halt.matches(ref.namespace, ref.labels)
    ]
    with ctx.urgent():
        outcomes = await gather_bounded(
            ctx.settings.concurrency, [_flip(ctx, ref) for ref in selected]
        )
    seconds = time.monotonic() - started
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures[:5]:
        log.warning("halt propagation failed for a strategy", halt=halt.name, error=str(failure))
    log.info(
        "propagated a halt change",
        halt=halt.name,
        strategies=len(selected),
        suspended=sum(1 for outcome in outcomes if outcome is True),
        seconds=round(seconds, 3),
        failures=len(failures),
    )
    affected = 0
    if not gone and halt.is_active(now):
        affected = sum(1 for ref in selected if halt.matches(ref.namespace, ref.labels))
    ctx.spawn(settle(ctx, halt.name, selected), name=f"settle {halt.name}")
    return Propagation(affected, seconds, time.time(), len(failures))


async def settle(ctx: Context, halt_name: str, strategies: list[StrategyRef]) -> None:
    """Write status and Events for strategies a halt change touched (after the flips)."""
    started = time.monotonic()
    calls = [
        reconcile(ctx, ref, check_credentials=False, apply_cronjob=False) for ref in strategies
    ]
    outcomes = await gather_bounded(ctx.settings.concurrency, calls)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures[:5]:
        log.warning("status after a halt change not written", halt=halt_name, error=str(failure))
    log.info(
        "status settled after a halt change",
        halt=halt_name,
        strategies=len(strategies),
        seconds=round(time.monotonic() - started, 3),
        failures=len(failures),
    )


async def _flip(ctx: Context, ref: StrategyRef) -> bool | None:
    """Suspend (True) or release (False) one CronJob as the halts now say; None: left as is.

    A halted strategy's active Jobs are deleted here too: stopping a run in progress is
    part of the kill switch, not of the bookkeeping after it.
    """
    async with ctx.lock(ref.namespace, ref.name):
        ref = ctx.fresh(ref)
        decision = halting.decide(ctx.sources.halts(), ref.namespace, ref.labels, ctx.clock())
        suspend = True if decision.halted else (False if _runnable(ref) else None)
        if suspend is not None:
            await ctx.kube.suspend_cronjob(ref.namespace, builders.cronjob_name(ref.name), suspend)
        if decision.halted:
            await _delete_jobs(ctx, ref, ctx.sources.active_jobs(ref.namespace, ref.name), decision)
        return suspend


def _runnable(ref: StrategyRef) -> bool:
    """Whether, halts aside, the strategy's CronJob should run (its last status said Ready)."""
    spec, _ = _spec(ref)
    ready = status.condition_status(ref.status, status.READY) == "True"
    return spec is not None and not spec.suspend and ready


def export_halts(halts: Iterable[halting.HaltView], now: datetime) -> None:
    """Set alchemiser_halts_active{mode}."""
    counts: Counter[str] = Counter(h.mode for h in halts if h.is_active(now))
    for mode in (halting.MODE_HALT, halting.MODE_REDUCE_ONLY):
        metrics.HALTS_ACTIVE.labels(mode=mode).set(counts[mode])


# --- run-now and run results -------------------------------------------------------------


async def run_now(ctx: Context, ref: StrategyRef, token: str) -> None:
    """Create one Job from the CronJob's template, unless halted, suspended or not Ready."""
    obj = ref.object_ref()
    decision = halting.decide(ctx.sources.halts(), ref.namespace, ref.labels, ctx.clock())
    spec, _ = _spec(ref)
    refusal = None
    if decision.halted:
        refusal = f"halted by TradingHalt {', '.join(decision.halting)}"
    elif spec is not None and spec.suspend:
        refusal = "the strategy is suspended (spec.suspend)"
    elif status.condition_status(ref.status, status.READY) == "False":
        refusal = "the strategy is not Ready"
    cronjob = None
    if refusal is None:
        cronjob = await ctx.kube.get_cronjob(ref.namespace, builders.cronjob_name(ref.name))
        if cronjob is None:
            refusal = "its CronJob does not exist yet"
    if refusal is not None or cronjob is None:
        ctx.emit(obj, "Warning", "RunNowRefused", f"run-now {token!r} not started: {refusal}")
        return
    job = builders.build_manual_job(cronjob, token)
    if await ctx.kube.create_job(job):
        ctx.emit(obj, "Normal", "RunStarted", f"created Job {job['metadata']['name']} (run-now)")


def owned_by_cronjob(job: Mapping[str, Any]) -> bool:
    """True for Jobs whose controller is a CronJob (ours carry the strategy label too)."""
    return any(
        owner.get("kind") == "CronJob" and owner.get("controller")
        for owner in (job.get("metadata") or {}).get("ownerReferences") or ()
    )


async def record_run(ctx: Context, job: Mapping[str, Any]) -> bool:
    """Record a finished Job's result on its strategy; False when there was nothing to do."""
    metadata = job.get("metadata") or {}
    finish = results.job_finish(job)
    uid = str(metadata.get("uid", ""))
    annotations = metadata.get("annotations") or {}
    if finish is None or uid in ctx.recorded_jobs or ANNOTATION_RESULT in annotations:
        return False
    namespace, job_name = metadata["namespace"], metadata["name"]
    strategy = (metadata.get("labels") or {}).get(runtime.LABEL_STRATEGY)
    if not strategy:
        return False
    pods = await ctx.kube.job_pods(namespace, job_name)
    last_run, result = results.last_run(job_name, finish, pods)
    fresh = await ctx.kube.get_strategy(namespace, strategy)
    if fresh is not None:
        ref = StrategyRef.from_body(fresh)
        new_status = status.run_status(
            ref.status, last_run=last_run, generation=ref.generation, now=ctx.clock()
        )
        await _write_status(
            ctx,
            ref,
            new_status,
            lambda current: status.run_status(
                current, last_run=last_run, generation=ref.generation, now=ctx.clock()
            ),
        )
        outcome = str(last_run["outcome"])
        kind = "Warning" if outcome == Outcome.FAILED.value else "Normal"
        summary = (
            f"Job {job_name} finished: {outcome}; orders submitted "
            f"{last_run.get('ordersSubmitted', 0)}, rejected {last_run.get('ordersRejected', 0)}"
        )
        if last_run.get("message"):
            summary += f"; {last_run['message']}"
        ctx.emit(ref.object_ref(), kind, "RunFinished", summary)
    _export_run(namespace, strategy, last_run, result is not None)
    ctx.recorded_jobs.add(uid)
    await ctx.kube.annotate_job(namespace, job_name, {ANNOTATION_RESULT: str(last_run["outcome"])})
    return True


def _export_run(namespace: str, strategy: str, last_run: Mapping[str, Any], parsed: bool) -> None:
    outcome = str(last_run["outcome"])
    labels = {"namespace": namespace, "strategy": strategy}
    metrics.RUNS.labels(outcome=outcome, **labels).inc()
    metrics.ORDERS.labels(outcome="submitted", **labels).inc(last_run.get("ordersSubmitted", 0))
    metrics.ORDERS.labels(outcome="rejected", **labels).inc(last_run.get("ordersRejected", 0))
    metrics.NOTIONAL.labels(**labels).inc(max(0.0, float(last_run.get("notional", 0.0))))
    finished = halting.parse_time(last_run.get("finishedAt"))
    stamp = finished.timestamp() if finished is not None else time.time()
    metrics.LAST_RUN.labels(**labels).set(stamp)
    if outcome != Outcome.FAILED.value:
        metrics.LAST_SUCCESS.labels(**labels).set(stamp)
    log.info(
        "recorded a finished run",
        namespace=namespace,
        strategy=strategy,
        job=last_run.get("job"),
        outcome=outcome,
        parsed=parsed,
    )
