"""The backtest's summary: every figure of summary.json, from the replay's record.

Rule: pure; numbers come from metrics.py. Turnover is the USD traded (buys and
sells) over twice the mean equity, per year; exposure is the mean over sessions of
the invested fraction of equity (positions' value over equity at the close).
"""

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
        "exposure": metrics.finite(float(np.mean(invested))) if invested else None,
        "orders": sum(1 for f in record.fills if f.status == "filled"),
        "ordersExpired": sum(1 for f in record.fills if f.status == "expired"),
        "rejections": len(rejections),
        "commissions": round(sum(f.commission for f in record.fills), 2),
        "tradedNotional": round(traded, 2),
        "runs": dict(sorted(outcomes.items())),
        "failedRuns": failed,
        "rejected": rejections[:200],
        "staleValuations": [
            {"session": _day(d.day), "symbols": list(d.stale)} for d in record.days if d.stale
        ],
        "monthlyReturns": metrics.monthly(setup.cash, c.equity, c.days),
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
