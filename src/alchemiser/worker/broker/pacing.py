"""Pacing under the broker's rate limit: wait for the window instead of running into 429s.

Rule: no I/O of its own; the clock and the sleep are passed in. Alpaca allows 200
requests a minute per account and reports what is left on every answer
(X-RateLimit-Remaining, and X-RateLimit-Reset in Unix seconds). Once fewer than
`reserve` requests remain, every caller waits until the window resets; between answers
each request sent counts against what the last answer reported, so concurrent
submissions cannot overshoot. A wait is bounded by `max_wait` seconds. A 429 that
comes all the same (another client spent the budget, or an injected fault) pauses
every caller for at most `refusal_wait` seconds; the read retries (bounded) and the
executor's resubmission under the same client order id handle the refused request.
"""

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

REMAINING = "X-RateLimit-Remaining"
RESET = "X-RateLimit-Reset"
TOO_MANY_REQUESTS = 429


@dataclass
class Pacer:
    """Shared by every request of one broker adapter (thread-safe)."""

    reserve: int = 10  # at least the adapter's requests in flight at once
    max_wait: float = 60.0
    refusal_wait: float = 2.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0  # seconds callers spent waiting, summed over concurrent callers
    paused: float = 0.0  # seconds the pacer held every request back (reported in the run's log)
    refused: int = 0  # answers that were 429 all the same
    _remaining: int | None = None
    _reset: float = 0.0
    _paused_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self) -> None:
        """Call before sending a request: waits while the window is (nearly) spent."""
        with self._lock:
            delay = self._delay()
            if self._remaining is not None:
                self._remaining -= 1
        if delay > 0:
            self.sleep(delay)
            with self._lock:
                self.waited += delay

    def _delay(self) -> float:
        now = self.clock()
        if now < self._paused_until:  # another caller found the window spent: wait with it
            return self._paused_until - now
        if self._remaining is None or self._remaining > self.reserve or now >= self._reset:
            return 0.0
        self._paused_until = min(self._reset, now + self.max_wait)
        self.paused += self._paused_until - now
        self._remaining = None  # unknown until the first answer after the pause
        return self._paused_until - now

    def after(self, status: int, headers: Mapping[str, str]) -> None:
        """Call with each answer; answers without the headers change nothing."""
        remaining, reset = _integer(headers.get(REMAINING)), _integer(headers.get(RESET))
        if status == TOO_MANY_REQUESTS:
            with self._lock:
                self.refused += 1
                now = self.clock()
                until = reset if reset is not None else now
                pause = max(self._paused_until, min(until, now + self.refusal_wait))
                self.paused += max(0.0, pause - max(self._paused_until, now))
                self._paused_until = pause
                self._remaining = None
            return
        if remaining is None or reset is None:
            return
        with self._lock:
            self._remaining = remaining
            self._reset = float(reset)


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
