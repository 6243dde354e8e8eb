"""Write (or check) the worker's NYSE session table from exchange-calendars.

    .venv/bin/python hack/calendar_table.py          # rewrite the table
    .venv/bin/python hack/calendar_table.py --check  # exit 1 when it differs

One line per session, `YYYY-MM-DD HH:MM HH:MM`: the day, then its open and close in
UTC. The worker reads it at start (alchemiser.worker.clock); the test suite runs the
check, so upgrading exchange-calendars with new holidays fails until it is rewritten.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import exchange_calendars

TABLE = Path(__file__).resolve().parents[1] / "src/alchemiser/worker/calendar/xnys.txt"
START, END = "1990-01-01", "2035-12-31"


def render() -> str:
    """The table's text from exchange-calendars' XNYS schedule."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        calendar: Any = exchange_calendars.get_calendar("XNYS", start=START, end=END)
        schedule = calendar.schedule
        lines = [
            f"{label.date().isoformat()} {opened.strftime('%H:%M')} {closed.strftime('%H:%M')}"
            for label, opened, closed in zip(
                schedule.index,
                schedule["open"].dt.tz_convert("UTC"),
                schedule["close"].dt.tz_convert("UTC"),
                strict=True,
            )
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = render()
    if args.check:
        if TABLE.read_text() != text:
            print(f"{TABLE} differs from exchange-calendars; rewrite it", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    print(f"wrote {TABLE} ({len(text.splitlines())} sessions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
