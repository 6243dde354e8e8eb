"""The run's own circuit-breaker and throttle checks, before it trades.

Rule: `assess` is pure: a function of the spec, the broker's account figures, the
strategy's orders today (from the broker) and the operator's ledger. `read_ledger` is
the one I/O: it reads the mounted ledger file and raises DataUnavailable when a limit
needs it and it is missing or unreadable (fail closed: no ledger, no trade). The loss
breakers are judged here from the broker's own figures so a trip takes effect in the
very run that sees it; the operator then trips the TradingHalt from the run's result.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from alchemiser.api import HaltMode, TradingStrategySpec, breakers, ledger
from alchemiser.api.ledger import Ledger
from alchemiser.api.runtime import LEDGER_FILE
from alchemiser.errors import DataUnavailable


@dataclass(frozen=True)
class Assessment:
    """What the breakers and throttles allow this run."""

    throttled: str | None = None  # why the run may not trade today
    trips: tuple[breakers.Trip, ...] = ()  # loss breakers tripped by the account figures
    mode: HaltMode = HaltMode.REDUCE_ONLY  # how the trips act (spec.breakers.mode)
    orders_allowed: int = 0  # maxOrdersPerRun, capped by what the day has left

    @property
    def halted(self) -> bool:
        """A Halt-mode trip: no orders at all."""
        return bool(self.trips) and self.mode is HaltMode.HALT

    @property
    def reduce_only(self) -> tuple[str, ...]:
        """Names (for the risk engine's reduce-only reason) of ReduceOnly-mode trips."""
        if not self.trips or self.mode is not HaltMode.REDUCE_ONLY:
            return ()
        return tuple(f"circuit breaker {trip.breaker}" for trip in self.trips)


def assess(
    spec: TradingStrategySpec,
    *,
    equity: float,
    last_equity: float,
    orders_today: int,
    entry: Ledger | None,
    session: str,
) -> Assessment:
    """Judge the day's throttles and the loss breakers for one run (pure)."""
    runs = entry.runs_on(session) if entry is not None else 0
    config = spec.breakers
    trips = breakers.loss_trips(
        config,
        equity=equity,
        last_equity=last_equity,
        high_water_mark=entry.high_water_mark if entry is not None else None,
        tripped_today=entry.tripped_on(session) if entry is not None else (),
    )
    return Assessment(
        throttled=ledger.throttle(spec.risk, runs_today=runs, orders_today=orders_today),
        trips=tuple(trips),
        mode=config.mode if config is not None else HaltMode.REDUCE_ONLY,
        orders_allowed=ledger.orders_allowed(spec.risk, orders_today=orders_today),
    )


def count_orders(client_order_ids: Sequence[str], strategy_prefix: str, run_prefix: str) -> int:
    """This strategy's orders among the day's, other than this run's own (a retry's)."""
    return sum(
        1
        for cid in client_order_ids
        if cid.startswith(strategy_prefix) and not cid.startswith(run_prefix)
    )


def read_ledger(directory: Path | None, spec: TradingStrategySpec) -> Ledger | None:
    """The operator's ledger; None when there is none and no limit needs it.

    Raises DataUnavailable when maxRunsPerDay or drawdownPercent is set and the ledger
    is missing or malformed: without it the run cannot know, so it does not trade.
    """
    required = ledger.needs_ledger(spec)
    if directory is None:
        if required:
            raise DataUnavailable(
                "the run ledger is needed (maxRunsPerDay or drawdown) and none is mounted"
            )
        return None
    path = directory / LEDGER_FILE
    try:
        return Ledger.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise DataUnavailable(f"the run ledger {path} is missing") from None
        return None
    except (OSError, ValidationError) as error:
        if required:
            raise DataUnavailable(
                f"the run ledger {path} cannot be read: {type(error).__name__}"
            ) from None
        return None
