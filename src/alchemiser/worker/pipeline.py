"""One trading run, end to end, failing closed.

Rule: the order of a run is fixed here and nowhere else: halts, market hours,
account/positions/bars, strategies, combine, plan, risk, submit sells, wait for
their fills, halts again, plan and submit buys, result. Every collaborator (the
market-data and execution ports, halt guard, strategies, clock, stop event) is
passed in. Missing data, a strategy
error or an unreadable halt state mean no orders and outcome Failed: there is no
fallback to cash. A stop (SIGTERM) ends submitting at once and, unless only a
ReduceOnly halt applies, cancels the open orders this run placed; outcome Halted.
Limit orders of each phase are settled before the run moves on: re-pegged a bounded
number of times (each re-peg priced at a fresh latest trade and judged by the risk
engine against fresh account figures), then whatever is left is canceled.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from alchemiser.api import Allocation, StrategyName
from alchemiser.api.breakers import session_of
from alchemiser.api.halt_matching import HaltMatch
from alchemiser.api.ledger import Ledger
from alchemiser.api.parameters import SymphonyParameters, parse_parameters
from alchemiser.api.result import (
    AccountReport,
    BreakerTrip,
    Outcome,
    RejectionReport,
    RunResult,
    SymphonyReport,
)
from alchemiser.errors import (
    AlchemiserError,
    DataUnavailable,
    HaltActive,
    HaltStateUnknown,
    OrderRejected,
    RiskRejected,
)
from alchemiser.logs import get_logger
from alchemiser.symphony.closes import Closes
from alchemiser.worker import breakers, ids, planner, risk, valuation
from alchemiser.worker.broker.port import (
    Account,
    BrokerOrder,
    DailyBars,
    Execution,
    MarketData,
    OrderKind,
    Position,
)
from alchemiser.worker.clock import Session, open_session
from alchemiser.worker.config import RunConfig
from alchemiser.worker.execution import (
    MAX_REPEGS,
    Executor,
    Leg,
    LegStatus,
    RepegPlan,
    cancel_open_orders,
    unfilled_qty,
)
from alchemiser.worker.halts import HaltGuard
from alchemiser.worker.market import PriceHistory, calendar_days_for
from alchemiser.worker.outcome import decide
from alchemiser.worker.planner import PlannedOrder, PlanSettings, PortfolioView
from alchemiser.worker.report import RunRecord, build_result, order_report
from alchemiser.worker.strategies import Decision, Strategy

NEW_YORK = ZoneInfo("America/New_York")
log = get_logger(__name__)

Combine = Callable[[Sequence[Allocation], Sequence[Mapping[str, float]]], Mapping[str, float]]


@dataclass(frozen=True)
class Deps:
    """The run's collaborators, wired by the entrypoint (or a test).

    `market` and `execution` are the two broker ports; one adapter may serve both.
    """

    market: MarketData
    execution: Execution
    halts: HaltGuard
    strategies: Mapping[StrategyName, Strategy]
    combine: Combine
    stop: threading.Event = field(default_factory=threading.Event)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ledger: Ledger | None = None  # the operator's run ledger (read by the entrypoint)
    concurrency: int = 8
    fill_timeout: float = 30.0
    submit_attempts: int = 5


def run(config: RunConfig, deps: Deps) -> RunResult:
    """Perform one run; always returns a result (never raises for an expected failure)."""
    started = deps.now()
    state = RunRecord()
    bound = log.bind(strategy=f"{config.namespace}/{config.name}", run_id=config.run_id)
    ended_by: AlchemiserError | None = None
    try:
        _Run(config, deps, state).execute()
    except AlchemiserError as error:
        ended_by = error
    stopped = deps.stop.is_set()
    if stopped:
        _cancel_own_orders(config, deps, state)
    outcome, message = decide(state, ended_by, stopped=stopped)
    if outcome is Outcome.FAILED:
        bound.error("run failed; no further orders", reason=message)
    return build_result(
        run_id=config.run_id,
        state=state,
        outcome=outcome,
        message=message,
        started=started,
        finished=deps.now(),
    )


class _Run:
    def __init__(self, config: RunConfig, deps: Deps, state: RunRecord) -> None:
        self.config = config
        self.deps = deps
        self.state = state
        self.market = deps.market
        self.execution = deps.execution
        self.log = log.bind(strategy=f"{config.namespace}/{config.name}", run_id=config.run_id)
        self.spec = config.spec
        self.settings = PlanSettings(
            rebalance_threshold=config.rebalance_threshold,
            cash_reserve_fraction=self.spec.risk.cash_reserve_fraction,
            order_kind=OrderKind(self.spec.execution.order_type.value),
            price_collar_percent=self.spec.risk.price_collar_percent,
        )
        self.limits = risk.Limits(
            max_order_notional=self.spec.risk.max_order_notional,
            max_position_fraction=self.spec.risk.max_position_fraction,
            max_daily_notional=self.spec.risk.max_daily_notional,
            max_orders_per_run=self.spec.risk.max_orders_per_run,
            price_collar_percent=self.spec.risk.price_collar_percent,
            allowed_symbols=frozenset(self.spec.risk.allowed_symbols),
        )
        self.prefix = ids.run_prefix(config.uid, config.run_id)
        self.breaker_reduce_only: tuple[str, ...] = ()  # this run's own ReduceOnly trips

    def execute(self) -> None:
        """Perform the run, recording what happens; raises the error that ends it early."""
        verdict = self._halts()
        session = open_session(self.market.clock())
        self.state.since = datetime.combine(session.day, time(0), NEW_YORK)
        self.log.info("market is open", session=str(session.day))
        strategies, symbols = self._strategies()
        history = self._history(strategies, symbols, session)
        targets = self._targets(strategies, history)
        self.log.info("decided target weights", targets=dict(targets))
        account = self.execution.account()
        self.state.account = AccountReport(
            number=account.number, equity=account.equity, last_equity=account.last_equity
        )
        if account.trading_blocked:
            raise OrderRejected("the broker account is blocked from trading")
        verdict = self._breakers(account, session, verdict)
        if self.state.throttled:
            return
        positions = self.execution.positions()
        held = {p.symbol for p in positions if p.qty > 0}
        prices = dict(self.market.latest_prices(sorted(set(targets) | held)))
        view = self._view(account, positions, prices, targets)
        today = self._today_notional(session, view.prices)
        if self.config.dry_run:
            self._dry_run(view, targets, symbols, today, verdict)
        else:
            self._trade(view, targets, symbols, today, verdict)

    # -- steps -------------------------------------------------------------------------

    def _breakers(self, account: Account, session: Session, verdict: HaltMatch) -> HaltMatch:
        """The day's throttles and the loss breakers, from the broker's own figures.

        A throttle ends the run with no orders; a Halt-mode trip raises HaltActive; a
        ReduceOnly trip joins every halt verdict of the rest of the run.
        """
        midnight = datetime.combine(session.day, time(0), NEW_YORK)
        ids_today = [o.client_order_id for o in self.execution.orders_since(midnight)]
        found = breakers.assess(
            self.spec,
            equity=account.equity,
            last_equity=account.last_equity,
            orders_today=breakers.count_orders(
                ids_today, ids.strategy_prefix(self.config.uid), self.prefix
            ),
            entry=self.deps.ledger,
            session=session_of(self.deps.now()),
        )
        self.state.breaker_trips = [
            BreakerTrip(breaker=t.breaker, reason=t.reason) for t in found.trips
        ]
        if found.throttled is not None:
            self.log.warning("run throttled; no orders", reason=found.throttled)
            self.state.throttled = found.throttled
            return verdict
        self.limits = replace(self.limits, max_orders_per_run=found.orders_allowed)
        for trip in found.trips:
            self.log.warning("circuit breaker tripped", breaker=trip.breaker, reason=trip.reason)
        if found.halted:
            names = ", ".join(t.breaker for t in found.trips)
            raise HaltActive(f"circuit breaker {names} tripped (Halt): {found.trips[0].reason}")
        self.breaker_reduce_only = found.reduce_only
        return self._with_breakers(verdict)

    def _with_breakers(self, verdict: HaltMatch) -> HaltMatch:
        """A halt verdict with this run's own ReduceOnly breaker trips added."""
        if not self.breaker_reduce_only:
            return verdict
        return replace(verdict, reduce_only=verdict.reduce_only + self.breaker_reduce_only)

    def _halts(self) -> HaltMatch:
        verdict = self._with_breakers(self.deps.halts.check())
        if verdict.halted:
            self.state.halted_by = ", ".join(verdict.halting)
            raise HaltActive(f"TradingHalt {self.state.halted_by} is active (Halt)")
        if verdict.reduce_only:
            self.log.warning("ReduceOnly halt active", halts=list(verdict.reduce_only))
        return verdict

    def _strategies(self) -> tuple[list[tuple[Strategy, BaseModel, int]], frozenset[str]]:
        chosen: list[tuple[Strategy, BaseModel, int]] = []
        symbols: set[str] = set()
        for index, allocation in enumerate(self.spec.allocations):
            strategy = self.deps.strategies[allocation.strategy]
            params = self._parameters(index, allocation)
            if isinstance(params, SymphonyParameters):
                self.state.symphonies.append(
                    SymphonyReport(
                        allocation=index, name=params.symphony.name[:100], digest=params.digest
                    )
                )
            symbols |= strategy.symbols(params)
            chosen.append((strategy, params, strategy.lookback_days(params)))
        return chosen, frozenset(symbols)

    def _parameters(self, index: int, allocation: Allocation) -> BaseModel:
        # RunConfig.load parsed them (and read referenced symphonies); a config built
        # without load (tests) is parsed here.
        if index < len(self.config.parameters):
            return self.config.parameters[index]
        return parse_parameters(allocation.strategy, allocation.parameters)

    def _history(
        self,
        strategies: list[tuple[Strategy, BaseModel, int]],
        symbols: frozenset[str],
        session: Session,
    ) -> PriceHistory:
        lookback = max(days for _, _, days in strategies)
        end = datetime.combine(session.day, time(0), NEW_YORK)
        start = end - timedelta(days=calendar_days_for(max(lookback, 1)))
        bars = self.market.daily_bars(sorted(symbols), start, end)
        closes: dict[str, Closes] = {}
        for symbol in sorted(symbols):
            found = bars.get(symbol, ())
            # Columns, closes checked once: the price history and each strategy keep them.
            series = found if isinstance(found, DailyBars) else DailyBars.of(found)
            # Stamped before the session's New York midnight = dated before the session.
            # Bars come oldest first (the port's contract), so only the newest few are looked
            # at: a backtest asks for hundreds per symbol every session.
            count = len(series)
            while count and series.timestamp(count - 1) >= end:
                count -= 1
            if not count:
                raise DataUnavailable(f"no completed daily bars for {symbol}")
            newest = series.timestamp(count - 1).astimezone(NEW_YORK).date()
            if newest != session.previous:
                raise DataUnavailable(
                    f"{symbol}'s newest daily bar is {newest}, expected {session.previous}"
                )
            whole = series.closes
            closes[symbol] = whole if count == len(whole) else whole.window(0, count)
        return PriceHistory(closes=closes)

    def _targets(
        self, strategies: list[tuple[Strategy, BaseModel, int]], history: PriceHistory
    ) -> Mapping[str, float]:
        decisions = [strategy.decide(history, params) for strategy, params, _ in strategies]
        for allocation, decision in zip(self.spec.allocations, decisions, strict=True):
            self.log.info(
                "strategy decided",
                allocation=allocation.strategy.value,
                weight=allocation.weight,
                branch=decision.branch if isinstance(decision, Decision) else "",
                weights=dict(decision),
            )
        return self.deps.combine(self.spec.allocations, decisions)

    def _view(
        self,
        account: Account,
        positions: Sequence[Position],
        prices: Mapping[str, float],
        targets: Mapping[str, float],
        earlier: PortfolioView | None = None,
    ) -> PortfolioView:
        """The view with tradability looked up for the symbols about to trade (once each)."""
        rough = planner.portfolio_view(account, positions, prices)
        known = earlier.fractionable if earlier else {}
        trading = planner.drifting(rough, targets, self.settings.rebalance_threshold) - set(known)
        assets = self.market.assets(sorted(trading)) if trading else {}
        return replace(
            rough,
            fractionable={**known, **{s: a.fractionable for s, a in assets.items()}},
            untradable=frozenset(s for s, a in assets.items() if not a.tradable)
            | (earlier.untradable if earlier else frozenset()),
        )

    def _today_notional(self, session: Session, prices: Mapping[str, float]) -> float:
        midnight = datetime.combine(session.day, time(0), NEW_YORK)
        total = 0.0
        for order in self.execution.orders_since(midnight):
            if order.client_order_id.startswith(self.prefix) or order.status == "rejected":
                continue
            total += valuation.booked_value(order, prices)
        return total

    def _context(
        self,
        view: PortfolioView,
        symbols: frozenset[str],
        today: float,
        before: int,
        verdict: HaltMatch,
    ) -> risk.RiskContext:
        return risk.RiskContext(
            limits=self.limits,
            equity=view.equity,
            holdings={s: h.qty for s, h in view.holdings.items()},
            position_values={s: h.market_value for s, h in view.holdings.items()},
            prices=view.prices,
            buying_power=view.cash_available,
            strategy_symbols=symbols,
            today_notional=today,
            orders_before=before,
            untradable=view.untradable,
            halted_by=", ".join(verdict.halting) or None,
            reduce_only_by=", ".join(verdict.reduce_only) or None,
        )

    def _judge(self, decisions: Sequence[risk.Decision]) -> list[risk.ApprovedOrder]:
        passed = []
        for decision in decisions:
            self.state.planned += 1
            if decision.approved is not None:
                passed.append(decision.approved)
            else:
                self.log.warning(
                    "risk engine rejected an order",
                    symbol=decision.order.symbol,
                    side=decision.order.side,
                    reason=decision.reason,
                )
                self.state.rejections.append(
                    RejectionReport(symbol=decision.order.symbol, reason=decision.reason or "")
                )
        return passed

    def _dry_run(
        self,
        view: PortfolioView,
        targets: Mapping[str, float],
        symbols: frozenset[str],
        today: float,
        verdict: HaltMatch,
    ) -> None:
        self.state.dry_run = True
        plan = planner.plan(view, targets, self.settings)
        sells = self._judge(risk.check(plan.sells, self._context(view, symbols, today, 0, verdict)))
        after = planner.after_sells(view, tuple(a.order for a in sells))
        spent = today + sum(a.order.estimated_notional for a in sells)
        context = self._context(after, symbols, spent, len(sells), verdict)
        buys = self._judge(risk.check(plan.buys, context))
        for approved in sells + buys:
            order = approved.order
            cid = self._id(order)
            self.log.info(
                "would place order (dry run)",
                client_order_id=cid,
                symbol=order.symbol,
                side=order.side,
                amount=order.amount,
            )
            self.state.dry_run_orders.append(order_report(order, cid, "dry-run"))

    def _trade(
        self,
        view: PortfolioView,
        targets: Mapping[str, float],
        symbols: frozenset[str],
        today: float,
        verdict: HaltMatch,
    ) -> None:
        executor = Executor(
            self.execution,
            stop=self.deps.stop,
            gate=self._gate,
            concurrency=self.deps.concurrency,
            submit_attempts=self.deps.submit_attempts,
            logger=self.log,
        )
        verdict = self._halts()
        sells = planner.plan_sells(view, targets, self.settings)
        passed = self._judge(risk.check(sells, self._context(view, symbols, today, 0, verdict)))
        sell_legs = self._submit(executor, passed)
        if any(leg.status is LegStatus.FAILED for leg in sell_legs):
            return  # no buys on top of sells in an unknown state
        # Bounded twice: by the configured wait and by a third of the run's deadline.
        wait = min(self.deps.fill_timeout, self.spec.run_deadline_seconds / 3)
        fills: Mapping[str, BrokerOrder] = {}
        if self.settings.order_kind is OrderKind.LIMIT:
            repegs = self._repeg_plan(wait, view, symbols, verdict)
            spent_legs = self._settle(executor, sell_legs, repegs)  # each with its last state
        else:
            fills = executor.wait_for_fills(sell_legs, wait)
            spent_legs = sell_legs
        self._stop_if_needed()

        verdict = self._halts()
        account = self.execution.account()
        positions = self.execution.positions()
        after = self._view(account, positions, view.prices, targets, view)
        buys = planner.plan_buys(after, targets, self.settings)
        spent = today + sum(_spent(leg, fills) for leg in spent_legs)
        # Re-pegs continue their leg: maxOrdersPerRun counts the planned legs only.
        sent = sum(1 for leg in sell_legs if leg.status is not LegStatus.STOPPED)
        context = self._context(after, symbols, spent, sent, verdict)
        buy_legs = self._submit(executor, self._judge(risk.check(buys, context)))
        if self.settings.order_kind is OrderKind.LIMIT:
            self._stop_if_needed()
            self._settle(executor, buy_legs, self._repeg_plan(wait, after, symbols, verdict))
        self._stop_if_needed()

    # -- limit orders: bounded re-pegs -------------------------------------------------

    def _repeg_plan(
        self, wait: float, view: PortfolioView, symbols: frozenset[str], verdict: HaltMatch
    ) -> RepegPlan:
        """The phase's fill wait is shared by a leg's first order and each of its re-pegs."""

        def next_order(order: PlannedOrder, unfilled: float, filled: float) -> risk.Decision:
            return self._repeg_decision(
                order, unfilled, filled, base=view, symbols=symbols, verdict=verdict
            )

        return RepegPlan(
            wait=wait / (MAX_REPEGS + 1),
            client_order_id=self._repeg_id,
            next_order=next_order,
            attempts=MAX_REPEGS,
        )

    def _settle(self, executor: Executor, legs: Sequence[Leg], plan: RepegPlan) -> list[Leg]:
        """Settle the phase's limit legs; the record then lists every re-peg after its leg."""
        start = len(self.state.legs) - len(legs)
        chains = executor.settle(legs, plan)
        settled = [leg for chain in chains for leg in chain]
        self.state.legs[start:] = settled
        for chain in chains:
            last = next(
                (leg.broker_order for leg in reversed(chain) if leg.broker_order is not None), None
            )
            if last is not None and last.status == "canceled" and unfilled_qty(last) > 0:
                self.state.remainders += 1
        return settled

    def _repeg_decision(
        self,
        order: PlannedOrder,
        unfilled: float,
        filled: float,
        *,
        base: PortfolioView,
        symbols: frozenset[str],
        verdict: HaltMatch,
    ) -> risk.Decision:
        """The re-peg of a leg's unfilled rest at the latest trade, judged on fresh figures."""
        price = self.market.latest_prices([order.symbol]).get(order.symbol)
        if price is None:
            raise DataUnavailable(f"no latest trade for {order.symbol}")
        repeg = planner.repeg(order, unfilled, price, self.settings)
        account = self.execution.account()
        positions = self.execution.positions()
        prices = {**base.prices, order.symbol: price}
        view = planner.portfolio_view(account, positions, prices, untradable=base.untradable)
        context = replace(
            self._context(view, symbols, self._committed_today(prices), 0, verdict),
            leg_filled_notional=filled,
            planned_prices={order.symbol: order.reference_price},
        )
        (decision,) = risk.check([repeg], context)
        return decision

    def _committed_today(self, prices: Mapping[str, float]) -> float:
        """Today's notional from the broker, this run's included: filled, plus still open."""
        since = self.state.since or self.deps.now() - timedelta(days=1)
        orders = self.execution.orders_since(since)
        return sum(valuation.committed_value(order, prices) for order in orders)

    def _submit(self, executor: Executor, orders: Sequence[risk.ApprovedOrder]) -> list[Leg]:
        self._stop_if_needed()
        self._halts()  # before every batch, and the gate before every order
        legs = executor.submit_all([(order, self._id(order.order)) for order in orders])
        self.state.legs.extend(legs)
        return legs

    def _gate(self, approved: risk.ApprovedOrder) -> None:
        """Runs before every submission: the halt state right now decides."""
        try:
            verdict = self._with_breakers(self.deps.halts.check())
        except HaltStateUnknown as error:
            self.state.halt_unknown = str(error)
            self.deps.stop.set()
            raise HaltActive(f"halt state unknown, treated as halted: {error}") from None
        if verdict.halted:
            self.state.halted_by = ", ".join(verdict.halting)
            self.deps.stop.set()
            raise HaltActive(f"TradingHalt {self.state.halted_by} is active (Halt)")
        halts = ", ".join(verdict.reduce_only) or None
        refusal = risk.reduce_only_refusal(approved.order, approved.held, halts)
        if refusal is not None:
            raise RiskRejected(refusal)

    def _stop_if_needed(self) -> None:
        if self.state.halted_by:
            raise HaltActive(f"TradingHalt {self.state.halted_by} is active (Halt)")
        if self.deps.stop.is_set():
            raise HaltActive("stopped by SIGTERM")

    def _id(self, order: PlannedOrder) -> str:
        return ids.client_order_id(
            self.config.uid, self.config.run_id, ids.leg(order.side.value, order.symbol)
        )

    def _repeg_id(self, order: PlannedOrder, attempt: int) -> str:
        leg = ids.repeg(ids.leg(order.side.value, order.symbol), attempt)
        return ids.client_order_id(self.config.uid, self.config.run_id, leg)


def _cancel_own_orders(config: RunConfig, deps: Deps, state: RunRecord) -> None:
    """After a stop: cancel this run's open orders unless only a ReduceOnly halt applies."""
    try:
        verdict = deps.halts.check()
        if verdict.reduce_only and not verdict.halted:
            log.info("ReduceOnly halt: leaving this run's open orders in place")
            return
    except HaltStateUnknown:
        pass  # unknown: the safe side is to cancel
    since = state.since or deps.now() - timedelta(days=1)
    cancel_open_orders(deps.execution, ids.run_prefix(config.uid, config.run_id), since, log)


def _spent(leg: Leg, fills: Mapping[str, BrokerOrder]) -> float:
    """What a sent leg spent so far, as of its latest known broker order."""
    if leg.status not in (LegStatus.SUBMITTED, LegStatus.EXISTING):
        return 0.0
    order = fills.get(leg.client_order_id) or leg.broker_order
    return valuation.spent_value(leg.order.estimated_notional, order)
