"""When a strategy's schedule fires: the cron expression read as the CronJob reads it.

Rule: pure. Five fields (minute hour day-of-month month day-of-week) or a macro, in
the spec's time zone; names (jan, mon) and `?` as Kubernetes' cron accepts them; when
both day fields are restricted either may match (as in Vixie cron and Kubernetes).
`fires` gives every fire instant (UTC) on a set of NYSE sessions, each tagged with
whether the regular session is open then.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alchemiser.errors import ConfigError

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, low, high, names) per field, in cron order.
_FIELDS: tuple[tuple[str, int, int, Sequence[str]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)


@dataclass(frozen=True)
class Cron:
    """A parsed schedule: the allowed values of each field."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def matches_day(self, day: date) -> bool:
        """True when the schedule fires at some time on this local date."""
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week

    def times(self) -> list[time]:
        """The local times of day it fires at, earliest first."""
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]


@dataclass(frozen=True)
class Fire:
    """One instant the schedule fires on a session's date."""

    at: datetime  # UTC
    session: date  # the NYSE session (New York date) it falls on
    market_open: bool  # inside the regular session [open, close)


def parse(expression: str) -> Cron:
    """Parse a schedule; ConfigError naming the field and the reason when it is not valid."""
    text = _MACROS.get(expression.strip().lower(), expression.strip())
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise ConfigError(f"schedule {expression!r}: needs five fields or a macro such as @daily")
    values = []
    for part, spec in zip(parts, _FIELDS, strict=True):
        values.append(_field(part.lower(), spec, expression))
    return Cron(
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=values[4],
        days_restricted=parts[2] not in ("*", "?"),
        weekdays_restricted=parts[4] not in ("*", "?"),
    )


def fires(
    cron: Cron, zone: ZoneInfo, sessions: Iterable[tuple[date, datetime, datetime]]
) -> list[Fire]:
    """Every fire on the given sessions (day, open UTC, close UTC), in time order."""
    found: list[Fire] = []
    times = cron.times()
    for day, opened, closed in sessions:
        # The session's New York date seen from the schedule's zone can be the day
        # before or after (far time zones), so the neighbours are looked at too.
        for local_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
            if not cron.matches_day(local_day):
                continue
            for moment in times:
                at = datetime.combine(local_day, moment, zone).astimezone(UTC)
                if _new_york_date(at) != day:
                    continue
                found.append(Fire(at=at, session=day, market_open=opened <= at < closed))
    found.sort(key=lambda fire: fire.at)
    return found


_NEW_YORK = ZoneInfo("America/New_York")


def _new_york_date(moment: datetime) -> date:
    return moment.astimezone(_NEW_YORK).date()


_Spec = tuple[str, int, int, Sequence[str]]  # field name, lowest, highest, names


def _field(part: str, spec: _Spec, expression: str) -> frozenset[int]:
    allowed: set[int] = set()
    for item in part.split(","):
        allowed |= _item(item, spec, expression)
    return frozenset(allowed)


def _item(item: str, spec: _Spec, expression: str) -> set[int]:
    name, low, high, _ = spec
    where = f"schedule {expression!r}, {name} field {item!r}"
    body, _, step_text = item.partition("/")
    step = 1
    if step_text:
        if not step_text.isdigit() or int(step_text) < 1:
            raise ConfigError(f"{where}: the step must be a positive number")
        step = int(step_text)
    if body in ("*", "?"):
        first, last = low, high
    else:
        start, dash, end = body.partition("-")
        first = _value(start, spec, where)
        last = _value(end, spec, where) if dash else first
        if step_text and not dash:
            last = high  # "5/15": from 5 to the end of the range
        if first > last:
            raise ConfigError(f"{where}: the range runs from high to low")
    return set(range(first, last + 1, step))


def _value(text: str, spec: _Spec, where: str) -> int:
    _, low, high, names = spec
    if text in names:
        return names.index(text) + low
    if not text.isdigit():
        raise ConfigError(f"{where}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise ConfigError(f"{where}: {value} is outside {low}-{high}")
    return value
