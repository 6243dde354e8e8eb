"""The files a backtest writes into --out: summary.json, equity.csv, orders.csv,
decisions.csv and report.html.

Rule: the only module of the backtest that writes files. Each file is written whole
to a temporary name and renamed, so an interrupted write never leaves half a file.
"""

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from alchemiser.backtest import metrics, report
from alchemiser.backtest.replay import Record, Setup
from alchemiser.backtest.summary import curves, summarise
from alchemiser.errors import ConfigError


def write_all(out: Path, setup: Setup, record: Record, source: str) -> dict[str, Any]:
    """Write every output file; returns the summary."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--out {out}: cannot create it: {error.strerror}") from None
    summary = summarise(setup, record, source)
    _write(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    _write(out / "equity.csv", _csv(*equity_rows(setup, record)))
    _write(out / "orders.csv", _csv(*order_rows(record)))
    _write(out / "decisions.csv", _csv(*decision_rows(record)))
    _write(out / "report.html", report.render(report_data(setup, record, summary)))
    return summary


def report_data(setup: Setup, record: Record, summary: dict[str, Any]) -> report.ReportData:
    """The series the report draws."""
    c = curves(setup, record)
    return report.ReportData(
        summary=summary,
        days=c.days,
        equity=c.equity,
        benchmark=c.benchmark,
        drawdown=tuple(metrics.drawdowns(c.returns)),
        benchmark_drawdown=tuple(metrics.drawdowns(c.benchmark_returns)),
        allocation=[
            {s: v / d.equity for s, v in d.values.items()} if d.equity > 0 else {}
            for d in record.days
        ],
    )


def equity_rows(setup: Setup, record: Record) -> tuple[list[str], list[list[Any]]]:
    """One row per session: equity, cash, invested value, benchmark and both drawdowns."""
    c = curves(setup, record)
    ours = metrics.drawdowns(c.returns)
    theirs = metrics.drawdowns(c.benchmark_returns)
    header = ["date", "equity", "cash", "invested", "benchmark", "drawdown", "benchmark_drawdown"]
    rows = [
        [
            d.day.isoformat(),
            f"{d.equity:.2f}",
            f"{d.cash:.2f}",
            f"{sum(d.values.values()):.2f}",
            f"{d.benchmark:.2f}",
            f"{ours[i]:.6f}",
            f"{theirs[i]:.6f}",
        ]
        for i, d in enumerate(record.days)
    ]
    return header, rows


def order_rows(record: Record) -> tuple[list[str], list[list[Any]]]:
    """Every order the broker saw (filled or expired) and every rejection, in time order."""
    header = [
        "at",
        "session",
        "client_order_id",
        "symbol",
        "side",
        "type",
        "requested",
        "status",
        "qty",
        "price",
        "value",
        "commission",
        "reason",
    ]
    rows: list[list[Any]] = [
        [
            f.at.isoformat(),
            f.session.isoformat(),
            f.client_order_id,
            f.symbol,
            f.side.value,
            f.kind.value,
            f.requested,
            f.status,
            _qty(f.qty),
            "" if f.price is None else f"{f.price:g}",
            f"{f.value:.2f}",
            f"{f.commission:.2f}",
            f.reason,
        ]
        for f in record.fills
    ]
    for run in record.runs:
        for item in run.result.rejections:
            rows.append(
                [
                    run.fire.at.isoformat(),
                    run.fire.session.isoformat(),
                    "",
                    item.symbol,
                    "",
                    "",
                    "",
                    "rejected",
                    "",
                    "",
                    "",
                    "",
                    item.reason,
                ]
            )
    rows.sort(key=lambda row: str(row[0]))
    return header, rows


def decision_rows(record: Record) -> tuple[list[str], list[list[Any]]]:
    """Per run: each strategy's branch and weights, then the combined targets."""
    header = ["session", "at", "run_id", "outcome", "allocation", "branch", "weights", "message"]
    rows: list[list[Any]] = []
    for run in record.runs:
        base = [run.fire.session.isoformat(), run.fire.at.isoformat(), run.result.run_id]
        outcome = run.result.outcome.value
        for decided in run.decisions:
            rows.append(
                [*base, outcome, decided.strategy, decided.branch, _weights(decided.weights), ""]
            )
        targets = _weights(run.targets) if run.targets is not None else ""
        rows.append([*base, outcome, "combined", "", targets, run.result.message])
    return header, rows


def _weights(weights: Any) -> str:
    return " ".join(f"{s}={w:.6g}" for s, w in sorted(weights.items()))


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _qty(value: float) -> str:
    """Shares to the broker's precision (1e-9), without trailing zeros."""
    return f"{value:.9f}".rstrip("0").rstrip(".")
