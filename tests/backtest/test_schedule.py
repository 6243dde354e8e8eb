"""The schedule read as the CronJob reads it, and its fire instants on NYSE sessions."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from alchemiser.backtest import schedule
from alchemiser.errors import ConfigError
from alchemiser.worker import clock

NEW_YORK = ZoneInfo("America/New_York")


def _fires(expression: str, start: date, end: date, zone: str = "America/New_York"):  # type: ignore[no-untyped-def]
    return schedule.fires(
        schedule.parse(expression), ZoneInfo(zone), clock.sessions_between(start, end)
    )


def test_weekday_afternoon_fires_once_per_session_skipping_thanksgiving() -> None:
    """'45 15 * * 1-5' over Thanksgiving week: four sessions, the early close one after 13:00."""
    fires = _fires("45 15 * * 1-5", date(2026, 11, 23), date(2026, 11, 27))
    assert [f.session for f in fires] == [
        date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)
    ]  # fmt: skip
    assert [f.market_open for f in fires] == [True, True, True, False]
    assert fires[0].at == datetime(2026, 11, 23, 20, 45, tzinfo=UTC)


def test_lists_steps_names_and_macros() -> None:
    """'0,30 10 * * mon,wed' fires twice on Monday and Wednesday; @daily at midnight is closed."""
    fires = _fires("0,30 10 * * mon,wed", date(2025, 3, 3), date(2025, 3, 7))
    assert [f.at.astimezone(NEW_YORK).strftime("%a %H:%M") for f in fires] == [
        "Mon 10:00", "Mon 10:30", "Wed 10:00", "Wed 10:30"
    ]  # fmt: skip
    every = schedule.parse("*/20 9-10 * * *")
    assert sorted(every.minutes) == [0, 20, 40] and sorted(every.hours) == [9, 10]
    assert [f.market_open for f in _fires("@daily", date(2025, 3, 3), date(2025, 3, 3))] == [False]


def test_both_day_fields_restricted_means_either() -> None:
    """'0 11 1 * fri' fires on the 1st and on Fridays (Vixie cron and Kubernetes agree)."""
    fires = _fires("0 11 1 * fri", date(2025, 7, 1), date(2025, 7, 11))
    assert [f.session for f in fires] == [date(2025, 7, 1), date(2025, 7, 11)]


def test_another_time_zone_is_converted() -> None:
    """'45 20 * * 1-5' in Europe/London is 15:45 New York (both on winter time)."""
    fires = _fires("45 20 * * 1-5", date(2025, 1, 6), date(2025, 1, 6), "Europe/London")
    assert [f.at for f in fires] == [datetime(2025, 1, 6, 20, 45, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("45 15 * *", "five fields"),
        ("61 15 * * 1-5", "minute field '61': 61 is outside 0-59"),
        ("45 15 * * 5-1", "day-of-week field '5-1': the range runs from high to low"),
        ("45 15 * foo *", "month field 'foo': 'foo' is not a number"),
        ("45 15/0 * * *", "hour field '15/0': the step must be a positive number"),
    ],
)
def test_bad_schedules_name_the_field(expression: str, message: str) -> None:
    """Each bad field is named with the reason."""
    with pytest.raises(ConfigError, match=message):
        schedule.parse(expression)
