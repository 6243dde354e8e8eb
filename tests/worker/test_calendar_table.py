"""The worker's NYSE session table is exchange-calendars' XNYS schedule, line for line."""

import importlib.util
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from alchemiser.worker import clock

SCRIPT = Path(__file__).resolve().parents[2] / "hack" / "calendar_table.py"


def test_the_shipped_table_is_what_exchange_calendars_says() -> None:
    """Rewriting the table from the installed exchange-calendars changes nothing."""
    spec = importlib.util.spec_from_file_location("calendar_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TABLE.read_text() == module.render(), "run hack/calendar_table.py"


def test_holidays_and_early_closes_come_through() -> None:
    """Thanksgiving is absent, the day after closes at 13:00 New York, a normal day at 16:00."""
    sessions = {day: (opened, closed) for day, opened, closed in clock.sessions_between(
        date(2026, 11, 25), date(2026, 11, 30))}  # fmt: skip
    assert date(2026, 11, 26) not in sessions
    assert sessions[date(2026, 11, 27)][1] == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert sessions[date(2026, 11, 25)] == (
        datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
        datetime(2026, 11, 25, 21, 0, tzinfo=UTC),
    )


def test_a_run_reads_the_calendar_without_exchange_calendars() -> None:
    """Looking a session up imports neither exchange-calendars nor builds a calendar."""
    probe = (
        "import sys; from datetime import date; from alchemiser.worker import clock; "
        "clock.sessions_between(date(2026, 1, 2), date(2026, 1, 9)); "
        "print('exchange_calendars' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
