"""One symbol's daily closes, converted to floats and checked once.

Rule: a value type; pure. A `Closes` is a tuple of floats, oldest first, that also
knows the index of its newest invalid close (one that is not a finite positive
number), so whoever needs only the newest n closes to be valid checks that without
reading them, and a window of it (`window`) keeps that knowledge. A run builds one
per symbol from the broker's bars; the price history and every strategy then read
that very tuple instead of converting and checking their own copies (a backtest
decides on every session, three strategies each time).

A series may carry a `Precomputed` source: indicator values over a longer series
this one is a window of (a backtest computes each symbol's once, over every
session at once). A value at index i of a window is the source's at
`offset + i`; a window gives it only where the metric's closes ending at i lie
inside the window, so it is computed from exactly the closes the window holds
and nothing after the window's newest close can be read through it.
"""

import math
from collections.abc import Iterable
from typing import Protocol, Self

from alchemiser.symphony.indicators import need
from alchemiser.symphony.tree import Metric


class Precomputed(Protocol):
    """Indicator values over one whole series, each from the closes ending at its index."""

    def value(self, metric: Metric, index: int) -> float | None:
        """The metric at `index` of the series, equal to indicators.value; None if not kept."""
        ...


class Closes(tuple[float, ...]):
    """Closes of one symbol, oldest first: a float tuple with `last_invalid` precomputed.

    `last_invalid` is the index of the newest close that is not a finite positive
    number, or -1 when every close is one.
    """

    last_invalid: int
    source: Precomputed | None  # values over the series this is a window of, if any
    offset: int  # index in the source's series of this window's first close

    def __new__(cls, values: Iterable[float], source: Precomputed | None = None) -> Self:
        """Convert each value with float() (as a plain tuple(map(float, ...)) would) and check.

        `source`, if given, must hold values over exactly these closes.
        """
        made = super().__new__(cls, map(float, values))
        made.last_invalid = _last_invalid(made, 0, len(made))
        made.source = source
        made.offset = 0
        return made

    def precomputed(self, metric: Metric, end: int) -> float | None:
        """The source's value of `metric` at index `end`, if there is one.

        None unless the metric's closes ending at `end` all lie inside this series: a
        window never answers for a session after its newest close (nor for one whose
        closes start before its oldest), whatever its source holds.
        """
        if self.source is None or not need(metric) - 1 <= end < len(self):
            return None
        return self.source.value(metric, self.offset + end)

    def newest_valid(self, count: int) -> bool:
        """True when the newest `count` closes are all finite and positive."""
        return self.last_invalid < len(self) - count

    def window(self, start: int, stop: int) -> "Closes":
        """closes[start:stop] (0 <= start <= stop <= len) as Closes, checked from what is known."""
        made = tuple.__new__(Closes, self[start:stop])
        made.source = self.source
        made.offset = self.offset + start
        newest = self.last_invalid
        if newest < start:
            made.last_invalid = -1
        elif newest < stop:
            made.last_invalid = newest - start
        else:  # the newest bad close is after the window: look inside it (rare)
            found = _last_invalid(self, start, stop)
            made.last_invalid = found - start if found >= 0 else -1
        return made


def is_valid(close: float) -> bool:
    """A close a strategy may read: a finite, positive number."""
    return math.isfinite(close) and close > 0.0


def first_invalid(values: tuple[float, ...]) -> float | None:
    """The first close of `values` that is not a finite positive number, or None."""
    # Fast path in C: positive values with a finite sum are all finite (NaN and inf
    # make the sum non-finite); otherwise, or on overflow, look at each value.
    if not values or (min(values) > 0.0 and math.isfinite(sum(values))):
        return None
    return next((c for c in values if not is_valid(c)), None)


def _last_invalid(values: tuple[float, ...], start: int, stop: int) -> int:
    """Index of the newest invalid close in values[start:stop], or -1."""
    part = values[start:stop]
    if first_invalid(part) is None:
        return -1
    return next(start + i for i in range(len(part) - 1, -1, -1) if not is_valid(part[i]))
