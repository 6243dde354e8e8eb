"""Indicators over a symbol's whole close series at once: the backtest's precomputed values.

Rule: pure (numpy, no I/O). `SeriesIndicators` answers the evaluator's one-session
indicator reads for every session of a series, computed the first time a metric is
read, over all sessions at once. Each value is the very float `indicators.value`
returns for the closes ending at that index: the same IEEE operations in the same
order, only applied to every session side by side (numpy's elementwise add, multiply
and divide round exactly as Python's float operators do, and none is fused). The
value at index i is computed from closes i - need + 1 .. i only, so a close after a
session never reaches that session's value.

Only RSI is kept: over 250 closes per value it is what a replay spends its decisions
on; the others (fsum-based) are cheap and stay with the evaluator.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from alchemiser.symphony.closes import Precomputed
from alchemiser.symphony.indicators import smoothing_span
from alchemiser.symphony.tree import Fn, Metric

Floats = npt.NDArray[np.float64]


class SeriesIndicators(Precomputed):
    """Values of the kept metrics over one close series (oldest first), computed on first read."""

    def __init__(self, closes: Sequence[float]) -> None:
        self._closes = np.asarray(closes, dtype=np.float64)
        self._values: dict[Metric, tuple[int, list[float]]] = {}

    def value(self, metric: Metric, index: int) -> float | None:
        """The metric at `index`, or None for a metric not kept or an index before its first."""
        if metric.fn is not Fn.RSI:
            return None
        kept = self._values.get(metric)
        if kept is None:
            span = smoothing_span(metric.window)
            kept = (span - 1, rsi_all(self._closes, metric.window, span).tolist())
            self._values[metric] = kept
        first, values = kept
        at = index - first
        return values[at] if 0 <= at < len(values) else None


def rsi_all(closes: Floats, window: int, span: int) -> Floats:
    """indicators.rsi over closes[i - span + 1 : i + 1] for every i from span - 1 on."""
    sessions = len(closes) - span + 1
    if sessions <= 0:
        return np.empty(0)
    changes = closes[1:] - closes[:-1]
    falling = changes < 0.0
    # `loss -= change` is `loss + (-change)` exactly; adding 0.0 to a sum >= 0 changes nothing,
    # so each side may take every step where the scalar loop skips one.
    up = np.where(falling, 0.0, changes)
    down = np.where(falling, -changes, 0.0)
    gain = np.zeros(sessions)
    loss = np.zeros(sessions)
    for k in range(window):
        gain += up[k : k + sessions]
        loss += down[k : k + sessions]
    gain /= window
    loss /= window
    keep = window - 1
    for k in range(window, span - 1):
        gain *= keep
        loss *= keep
        gain += up[k : k + sessions]
        loss += down[k : k + sessions]
        gain /= window
        loss /= window
    total = gain + loss
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi: Floats = np.where(total == 0.0, 0.0, 100.0 * (gain / total))
    return rsi
