"""The backtest's summary: every figure of summary.json, from the replay's record.

Rule: pure; numbers come from metrics.py. Turnover is the USD traded (buys and
sells) over twice the mean equity, per year; exposure is the mean over sessions of
the invested fraction of equity (positions' value over equity at the close).
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from alchemiser.backtest import metrics
from alchemiser.backtest.replay import Record, Setup


@dataclass(frozen=True)
class Curves:
    """The daily series the summary and the report are built from."""

    days: tuple[date, ...]
    equity: tuple[float, ...]
    benchmark: tuple[float, ...]
    returns: metrics.Array
    benchmark_returns: metrics.Array


def curves(setup: Setup, record: Record) -> Curves:
    """Equity and benchmark per session, and their daily returns."""
    days = tuple(d.day for d in record.days)
    equity = tuple(d.equity for d in record.days)
    bench = tuple(d.benchmark for d in record.days)
    return Curves(
        days=days,
        equity=equity,
        benchmark=bench,
        returns=metrics.returns(setup.cash, equity),
        benchmark_returns=metrics.returns(setup.cash, bench),
    )


def figures(r: metrics.Array, days: tuple[date, ...], final: float | None) -> dict[str, Any]:
    """The performance figures of one return series."""
    deepest = metrics.max_drawdown(r, days)
    return {
        "finalEquity": final,
        "totalReturn": metrics.finite(metrics.total_return(r)),
        "cagr": metrics.finite(metrics.cagr(r)),
        "maxDrawdown": metrics.finite(deepest.depth),
        "maxDrawdownPeak": _day(deepest.peak),
        "maxDrawdownTrough": _day(deepest.trough),
        "maxDrawdownRecovery": _day(deepest.recovery),
        "volatility": metrics.finite(metrics.volatility(r)),
        "sharpe": metrics.finite(metrics.sharpe(r)),
        "sortino": metrics.finite(metrics.sortino(r)),
        "calmar": metrics.finite(metrics.calmar(r)),
    }


def summarise(setup: Setup, record: Record, source: str) -> dict[str, Any]:
    """The whole summary.json document."""
    c = curves(setup, record)
    traded = sum(f.value for f in record.fills if f.status == "filled")
    years = len(c.days) / metrics.PERIODS_PER_YEAR
    mean_equity = float(np.mean(c.equity)) if c.equity else 0.0
    invested = [sum(d.values.values()) / d.equity for d in record.days if d.equity > 0]
    outcomes = Counter(run.result.outcome.value for run in record.runs)
    rejections = [
        {"at": run.fire.at.isoformat(), "symbol": item.symbol, "reason": item.reason}
        for run in record.runs
        for item in run.result.rejections
    ]
    failed = [
        {"session": run.fire.session.isoformat(), "message": run.result.message}
        for run in record.runs
        if run.result.outcome.value == "Failed"
    ]
    benchmark_ok = bool(c.benchmark) and all(np.isfinite(c.benchmark))
    by_rule = Counter(rule_of(item["reason"]) for item in rejections)
    exposure = metrics.finite(float(np.mean(invested))) if invested else None
    filled = sum(1 for f in record.fills if f.status == "filled")
    return {
        "strategy": setup.identity.name,
        "namespace": setup.identity.namespace,
        "period": {
            "start": _day(c.days[0]) if c.days else None,
            "end": _day(c.days[-1]) if c.days else None,
            "sessions": len(c.days),
        },
        "schedule": setup.spec.schedule,
        "timeZone": setup.spec.time_zone,
        "dataSource": source,
        "fillModel": setup.fills.describe(),
        "startingCash": setup.cash,
        "interrupted": record.interrupted,
        "metrics": figures(c.returns, c.days, c.equity[-1] if c.equity else None),
        "benchmark": {
            "symbol": setup.benchmark,
            "kind": "buy and hold from the first session's close, no costs",
            **(
                figures(c.benchmark_returns, c.days, c.benchmark[-1])
                if benchmark_ok
                else {"missing": "the benchmark has no close on some session of the period"}
            ),
        },
        "beta": metrics.finite(metrics.beta(c.returns, c.benchmark_returns))
        if benchmark_ok
        else None,
        "turnover": metrics.finite(traded / (2 * mean_equity) / years)
        if mean_equity > 0 and years > 0
        else None,
        "exposure": exposure,
        "orders": filled,
        "ordersExpired": sum(1 for f in record.fills if f.status == "expired"),
        "rejections": len(rejections),
        "rejectionsByRule": dict(by_rule.most_common()),
        "commissions": round(sum(f.commission for f in record.fills), 2),
        "tradedNotional": round(traded, 2),
        "runs": dict(sorted(outcomes.items())),
        "failedRuns": failed,
        "rejected": rejections[:200],
        "staleValuations": [
            {"session": _day(d.day), "symbols": list(d.stale)} for d in record.days if d.stale
        ],
        "monthlyReturns": metrics.monthly(setup.cash, c.equity, c.days),
        "notices": notices(setup, source, filled, by_rule, exposure),
    }


# Names of the limits a refusal can cite (risk engine and broker), in the order looked for.
_RULES = re.compile(
    r"\b(maxOrderNotional|maxDailyNotional|maxPositionFraction|maxOrdersPerRun|"
    r"priceCollarPercent|allowedSymbols|buying power|TradingHalt|not tradable|held)\b"
)


def rule_of(reason: str) -> str:
    """The limit a rejection's reason names ('other' when it names none)."""
    found = _RULES.search(reason)
    return found.group(1) if found else "other"


def notices(
    setup: Setup, source: str, filled: int, by_rule: Counter[str], exposure: float | None
) -> list[str]:
    """What a reader must know before trusting the figures (shown first in the report)."""
    out: list[str] = []
    refused = sum(by_rule.values())
    if refused > filled or (refused and exposure is not None and exposure < 0.5):
        rules = ", ".join(f"{rule} {count}" for rule, count in by_rule.most_common(3))
        risk = setup.spec.risk
        out.append(
            f"The risk engine refused {refused} orders ({rules}) against {filled} filled, and "
            f"the account was {_share(exposure)} invested on average: these figures show the "
            f"spec's risk limits as much as the strategy. With ${setup.cash:,.0f} of cash, "
            f"maxOrderNotional is ${risk.max_order_notional:,.0f} and maxPositionFraction "
            f"{risk.max_position_fraction:g}; raise them in spec.risk (or backtest with less "
            "--cash) to see the strategy's own decisions traded."
        )
    if source.startswith("the paper exchange"):
        out.append(
            "Prices are the paper exchange's deterministic synthetic series (random walks "
            "with the real symbols' names, SPY included), not market history: use --alpaca or "
            "--bars DIR for real bars."
        )
    return out


def _share(fraction: float | None) -> str:
    return "n/a" if fraction is None else f"{fraction:.0%}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
