"""report.html: one self-contained page (inline SVG and CSS, no script from anywhere).

Rule: pure; a function from the backtest's figures to a string. Charts: the equity
curve against the benchmark, drawdowns, allocation over time (stacked, share of
equity at each close), monthly returns (a table), and the summary table. Every
chart is an <svg> with an id the tests look for; long series are thinned to at most
MAX_POINTS points (every k-th session, the last always kept).
"""

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

MAX_POINTS = 700
WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 30
STRATEGY_COLOR = "#1f6feb"
BENCHMARK_COLOR = "#d29922"
CASH_COLOR = "#c9d1d9"
# The allocation layers' colours, the last for "other"; no two of them, nor cash, alike
# (tests/backtest/test_report.py).
PALETTE = (
    "#1f6feb", "#2da44e", "#bf3989", "#d29922", "#8250df", "#cf222e",
    "#1b7c83", "#953800", "#24292f", "#7a8b00", "#6e7781",
)  # fmt: skip
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ReportData:
    """What the page shows."""

    summary: Mapping[str, Any]
    days: Sequence[date]
    equity: Sequence[float]
    benchmark: Sequence[float]
    drawdown: Sequence[float]
    benchmark_drawdown: Sequence[float]
    allocation: Sequence[Mapping[str, float]]  # per session: symbol -> fraction of equity


@dataclass(frozen=True)
class Series:
    """One line of a chart."""

    name: str
    values: Sequence[float]
    color: str


def render(data: ReportData) -> str:
    """The whole page."""
    s = data.summary
    title = f"Backtest of {s.get('namespace', '')}/{s.get('strategy', '')}"
    period = s.get("period", {})
    bench = s.get("benchmark", {}).get("symbol", "benchmark")
    sections = [
        _section("Equity", _equity_chart(data, bench)),
        _section("Drawdown", _drawdown_chart(data, bench)),
        _section("Allocation over time", _allocation_chart(data)),
        _section("Monthly returns", _monthly_table(s.get("monthlyReturns", {}))),
        _section("Summary", _summary_table(s)),
    ]
    note = " (interrupted: the period was not finished)" if s.get("interrupted") else ""
    return _PAGE.format(
        title=html.escape(title),
        subtitle=html.escape(
            f"{period.get('start')} to {period.get('end')}, {period.get('sessions')} sessions, "
            f"schedule {s.get('schedule')} ({s.get('timeZone')}), data: {s.get('dataSource')}"
            f"{note}"
        ),
        model=html.escape(str(s.get("fillModel", ""))),
        notices="\n".join(
            f'<p class="notice">{html.escape(str(text))}</p>' for text in s.get("notices", [])
        ),
        body="\n".join(sections),
    )


def _section(heading: str, content: str) -> str:
    return f"<section><h2>{html.escape(heading)}</h2>\n{content}\n</section>"


# -- charts ------------------------------------------------------------------------------


def _equity_chart(data: ReportData, bench: str) -> str:
    series = [Series("strategy", data.equity, STRATEGY_COLOR)]
    if all(math.isfinite(v) for v in data.benchmark):
        series.append(Series(f"{bench} buy and hold", data.benchmark, BENCHMARK_COLOR))
    return _line_chart("equity-chart", data.days, series, _dollars)


def _drawdown_chart(data: ReportData, bench: str) -> str:
    series = [Series("strategy", data.drawdown, STRATEGY_COLOR)]
    if all(math.isfinite(v) for v in data.benchmark_drawdown):
        series.append(Series(bench, data.benchmark_drawdown, BENCHMARK_COLOR))
    return _line_chart("drawdown-chart", data.days, series, _percent, floor=0.0)


def _thin(count: int) -> list[int]:
    step = max(1, math.ceil(count / MAX_POINTS))
    picked = list(range(0, count, step))
    if picked and picked[-1] != count - 1:
        picked.append(count - 1)
    return picked


def _line_chart(
    ident: str,
    days: Sequence[date],
    series: Sequence[Series],
    label: Callable[[float], str],
    floor: float | None = None,
) -> str:
    if not days:
        return f'<svg id="{ident}" class="chart" width="{WIDTH}" height="40"></svg><p>No data.</p>'
    picked = _thin(len(days))
    values = [s.values[i] for s in series for i in picked]
    low, high = min(values), max(values)
    if floor is not None:
        high = max(high, floor)
    if high == low:
        high, low = high + 1.0, low - 1.0
    x = _x_scale(len(days))
    y = _y_scale(low, high)
    parts = [_grid(low, high, y, label), _x_axis(days, x)]
    for s in series:
        points = " ".join(f"{x(i):.1f},{y(s.values[i]):.1f}" for i in picked)
        parts.append(
            f'<polyline class="series" data-name="{html.escape(s.name)}" fill="none" '
            f'stroke="{s.color}" stroke-width="1.6" points="{points}"/>'
        )
    return _svg(ident, "".join(parts)) + _legend(series)


def _allocation_chart(data: ReportData) -> str:
    if not data.days:
        return '<svg id="allocation-chart" class="chart" width="960" height="40"></svg>'
    totals: dict[str, float] = {}
    for row in data.allocation:
        for symbol, weight in row.items():
            totals[symbol] = totals.get(symbol, 0.0) + weight
    ranked = sorted(totals, key=lambda s: (-totals[s], s))
    shown = ranked[: len(PALETTE) - 1]
    layers = [*shown, "other"] if len(ranked) > len(shown) else list(shown)
    picked = _thin(len(data.days))
    x = _x_scale(len(data.days))
    y = _y_scale(0.0, 1.0)
    parts = [_grid(0.0, 1.0, y, _percent), _x_axis(data.days, x)]
    below = [0.0] * len(picked)
    legend = []
    for n, layer in enumerate([*layers, "cash"]):
        color = CASH_COLOR if layer == "cash" else PALETTE[n % len(PALETTE)]
        above = []
        for k, i in enumerate(picked):
            row = data.allocation[i]
            if layer == "cash":
                share = max(0.0, 1.0 - sum(row.values()))
            elif layer == "other":
                share = sum(w for s, w in row.items() if s not in shown)
            else:
                share = row.get(layer, 0.0)
            above.append(below[k] + share)
        top = " ".join(
            f"{x(i):.1f},{y(min(v, 1.0)):.1f}" for i, v in zip(picked, above, strict=True)
        )
        bottom = " ".join(
            f"{x(i):.1f},{y(min(v, 1.0)):.1f}"
            for i, v in reversed(list(zip(picked, below, strict=True)))
        )
        parts.append(
            f'<polygon class="layer" data-name="{html.escape(layer)}" fill="{color}" '
            f'fill-opacity="0.85" points="{top} {bottom}"><title>{html.escape(layer)}</title>'
            "</polygon>"
        )
        legend.append(Series(layer, (), color))
        below = above
    return _svg("allocation-chart", "".join(parts)) + _legend(legend)


def _x_scale(count: int) -> Callable[[int], float]:
    span = max(count - 1, 1)
    return lambda i: LEFT + (WIDTH - LEFT - RIGHT) * i / span


def _y_scale(low: float, high: float) -> Callable[[float], float]:
    return lambda v: TOP + (HEIGHT - TOP - BOTTOM) * (high - v) / (high - low)


def _grid(
    low: float, high: float, y: Callable[[float], float], label: Callable[[float], str]
) -> str:
    lines = []
    for k in range(5):
        value = low + (high - low) * k / 4
        at = y(value)
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">{label(value)}</text>'
        )
    return "".join(lines)


def _x_axis(days: Sequence[date], x: Callable[[int], float]) -> str:
    marks = []
    yearly = (days[-1] - days[0]).days > 540
    for i, day in enumerate(days):
        new = i == 0 or (day.year != days[i - 1].year if yearly else day.month != days[i - 1].month)
        if new:
            text = f"{day:%Y}" if yearly else f"{day:%b %Y}"
            marks.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{text}</text>'
            )
    return "".join(marks)


def _svg(ident: str, inner: str) -> str:
    return (
        f'<svg id="{ident}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">{inner}</svg>'
    )


def _legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<span><i style="background:{s.color}"></i>{html.escape(s.name)}</span>' for s in series
    )
    return f'<div class="legend">{items}</div>'


# -- tables ------------------------------------------------------------------------------


def _monthly_table(monthly: Mapping[str, float]) -> str:
    years = sorted({key[:4] for key in monthly})
    head = "".join(f"<th>{m}</th>" for m in MONTHS)
    rows = []
    for year in years:
        cells = []
        compound = 1.0
        for month in range(1, 13):
            value = monthly.get(f"{year}-{month:02d}")
            if value is None:
                cells.append("<td></td>")
                continue
            compound *= 1.0 + value
            cells.append(f'<td style="background:{_heat(value)}">{value * 100:.1f}%</td>')
        year_value = compound - 1.0
        cells.append(
            f'<td style="background:{_heat(year_value)}"><b>{year_value * 100:.1f}%</b></td>'
        )
        rows.append(f"<tr><th>{year}</th>{''.join(cells)}</tr>")
    return (
        f'<table id="monthly-returns"><tr><th></th>{head}<th>Year</th></tr>{"".join(rows)}</table>'
    )


def _heat(value: float) -> str:
    strength = min(abs(value) / 0.1, 1.0)
    alpha = 0.15 + 0.6 * strength
    return f"rgba(45,164,78,{alpha:.2f})" if value >= 0 else f"rgba(207,34,46,{alpha:.2f})"


_ROWS = (
    ("Final equity", "finalEquity", "money"),
    ("Total return", "totalReturn", "percent"),
    ("CAGR", "cagr", "percent"),
    ("Max drawdown", "maxDrawdown", "percent"),
    ("Max drawdown peak", "maxDrawdownPeak", "text"),
    ("Max drawdown trough", "maxDrawdownTrough", "text"),
    ("Recovered on", "maxDrawdownRecovery", "text"),
    ("Volatility (annual)", "volatility", "percent"),
    ("Sharpe", "sharpe", "ratio"),
    ("Sortino", "sortino", "ratio"),
    ("Calmar", "calmar", "ratio"),
)


def _summary_table(s: Mapping[str, Any]) -> str:
    ours = s.get("metrics", {})
    bench = s.get("benchmark", {})
    rows = [
        f"<tr><th>{html.escape(label)}</th><td>{_format(ours.get(key), kind)}</td>"
        f"<td>{_format(bench.get(key), kind)}</td></tr>"
        for label, key, kind in _ROWS
    ]
    extra = (
        ("Beta to the benchmark", _format(s.get("beta"), "ratio")),
        ("Turnover (per year)", _format(s.get("turnover"), "ratio")),
        ("Exposure (mean invested)", _format(s.get("exposure"), "percent")),
        ("Orders filled", str(s.get("orders"))),
        ("Orders expired (limit)", str(s.get("ordersExpired"))),
        ("Rejections", _rejections(s)),
        ("Commissions", _format(s.get("commissions"), "money")),
        ("Runs", html.escape(", ".join(f"{k} {v}" for k, v in s.get("runs", {}).items()))),
        ("Failed runs (missing data etc.)", str(len(s.get("failedRuns", [])))),
    )
    rows += [f'<tr><th>{html.escape(a)}</th><td colspan="2">{b}</td></tr>' for a, b in extra]
    name = html.escape(str(bench.get("symbol", "benchmark")))
    return (
        f'<table id="summary-table"><tr><th></th><th>Strategy</th><th>{name}</th></tr>'
        f"{''.join(rows)}</table>"
    )


def _rejections(s: Mapping[str, Any]) -> str:
    """'5208 (maxOrderNotional 5100, maxPositionFraction 108)': the count and its limits."""
    rules = s.get("rejectionsByRule") or {}
    detail = ", ".join(f"{rule} {count}" for rule, count in list(rules.items())[:3])
    text = f"{s.get('rejections')} ({detail})" if detail else str(s.get("rejections"))
    return html.escape(text)


def _format(value: Any, kind: str) -> str:
    if value is None:
        return "&ndash;"
    if kind == "money":
        return f"${value:,.2f}"
    if kind == "percent":
        return f"{value * 100:.2f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    return html.escape(str(value))


def _dollars(value: float) -> str:
    if abs(value) >= 1e6:
        return f"${value / 1e6:.2f}M"
    return f"${value / 1e3:.0f}k" if abs(value) >= 1e4 else f"${value:,.0f}"


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1000px;
  color: #24292f; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }} h2 {{ font-size: 16px; margin: 28px 0 8px; }}
.sub {{ color: #57606a; margin: 0 0 4px; }}
.notice {{ background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px;
  padding: 8px 12px; margin: 12px 0 0; }}
svg.chart {{ display: block; max-width: 100%; height: auto; }}
svg text {{ font-size: 11px; fill: #57606a; }}
svg .grid {{ stroke: #d0d7de; stroke-width: 1; }}
.legend span {{ margin-right: 16px; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px;
  vertical-align: -1px; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 3px 8px; text-align: right; border-bottom: 1px solid #d8dee4; }}
#monthly-returns td {{ min-width: 44px; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="sub">{subtitle}</p>
<p class="sub">Fills: {model}.</p>
{notices}
{body}
</body></html>
"""
