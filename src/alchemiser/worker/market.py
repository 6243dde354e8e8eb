"""Daily price history handed to the strategies.

Rule: a value object only. No I/O, no clock, no environment; the pipeline fills it
from the broker's bars (completed sessions only, oldest first, every series ending
at the same session) and the strategies read from it. Each series is held as a
`Closes` (floats, checked once); one handed in as `Closes` already is kept as it is.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from alchemiser.errors import DataUnavailable
from alchemiser.symphony.closes import Closes, first_invalid

# A year has about 252 NYSE sessions in 365 calendar days (weekends plus ~10 holidays);
# 1.5 calendar days per session plus a fixed margin always covers that ratio.
_CALENDAR_DAYS_PER_SESSION = 1.5
_MARGIN_DAYS = 10


@dataclass(frozen=True)
class PriceHistory:
    """Closing prices of completed daily bars per symbol, oldest first."""

    closes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    _invalid: Mapping[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Copy into an immutable mapping so a caller cannot change a decision's input later
        # (a Closes is immutable and already floats: kept, not copied).
        frozen = {
            symbol: series if type(series) is Closes else Closes(series)
            for symbol, series in self.closes.items()
        }
        object.__setattr__(self, "closes", MappingProxyType(frozen))
        # Each series was checked once as it became Closes; closes_for reports a bad one
        # when it is read (strategies read the same series many times per decision).
        invalid = {}
        for symbol, series in frozen.items():
            if series.last_invalid >= 0:
                bad = first_invalid(series)
                assert bad is not None
                invalid[symbol] = bad
        object.__setattr__(self, "_invalid", MappingProxyType(invalid))

    def closes_for(self, symbol: str, min_length: int = 1) -> tuple[float, ...]:
        """Return the symbol's closes, oldest first.

        Raises DataUnavailable naming the symbol when it is missing, has fewer than
        `min_length` closes, or holds a close that is not a finite positive number.
        """
        series = self.closes.get(symbol)
        if series is None:
            raise DataUnavailable(f"no daily bars for {symbol}")
        if len(series) < min_length:
            raise DataUnavailable(f"{symbol} has {len(series)} daily bars, {min_length} are needed")
        bad = self._invalid.get(symbol)
        if bad is not None:
            raise DataUnavailable(f"{symbol} has an invalid close: {bad!r}")
        return series

    def symbols(self) -> frozenset[str]:
        """Return the symbols that have any bars."""
        return frozenset(self.closes)


def calendar_days_for(sessions: int) -> int:
    """Return a calendar-day span that contains at least `sessions` completed trading days.

    Strategies state their lookback in trading sessions; a bars request is usually
    made as a start date, so this converts one into the other with room for holidays.
    """
    if sessions < 0:
        raise ValueError("sessions must be >= 0")
    return math.ceil(sessions * _CALENDAR_DAYS_PER_SESSION) + _MARGIN_DAYS
