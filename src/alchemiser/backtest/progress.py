"""A progress bar on the terminal: sessions done, rate and time left.

Rule: writes only to the stream it is given, at most ten times a second, and only
when that stream is a terminal (a log file gets one line at the end).
"""

import time
from datetime import date
from typing import TextIO

_WIDTH = 30


class ProgressBar:
    """Call with (done, total, day) after each session; `finish()` ends the line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._began = time.perf_counter()
        self._shown = 0.0
        self._last = ""
        self._tty = stream.isatty()

    def __call__(self, done: int, total: int, day: date) -> None:
        """Redraw the bar (rate-limited)."""
        now = time.perf_counter()
        if done < total and now - self._shown < 0.1:
            return
        self._shown = now
        self._last = line(done, total, day, now - self._began)
        if self._tty:
            self._stream.write("\r" + self._last)
            self._stream.flush()

    def finish(self) -> None:
        """End the bar's line (or print the final state once, off a terminal)."""
        if self._last:
            self._stream.write("\n" if self._tty else self._last + "\n")
            self._stream.flush()


def line(done: int, total: int, day: date, elapsed: float) -> str:
    """The bar's text, e.g. '[#####-----] 1260/2520 sessions 2021-06-30 410/s ETA 3s'."""
    fraction = done / total if total else 1.0
    filled = round(_WIDTH * fraction)
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else 0.0
    return (
        f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {done}/{total} sessions {day} "
        f"{rate:.0f}/s ETA {_duration(left)}"
    )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m{rest:02d}s"
