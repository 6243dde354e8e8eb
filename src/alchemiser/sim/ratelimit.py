"""Alpaca's per-key rate limit: a sliding one-minute window of requests.

Rule: pure; the caller passes the current time. With no limit set every request
is admitted, and the headers still count against Alpaca's default of 200/minute.
"""

from collections import deque
from dataclasses import dataclass, field

ALPACA_DEFAULT = 200
WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateState:
    """What the X-RateLimit-* headers report for one request."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds when the oldest counted request leaves the window

    def headers(self) -> dict[str, str]:
        """The X-RateLimit headers Alpaca sends."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@dataclass
class RateWindow:
    """Requests admitted in the last minute; `limit` 0 means unlimited."""

    limit: int = 0
    _stamps: deque[float] = field(default_factory=deque)

    def admit(self, now: float) -> RateState:
        """Count a request at `now` (Unix seconds) if the window has room."""
        while self._stamps and self._stamps[0] <= now - WINDOW_SECONDS:
            self._stamps.popleft()
        reported = self.limit or ALPACA_DEFAULT
        allowed = self.limit == 0 or len(self._stamps) < self.limit
        if allowed:
            self._stamps.append(now)
            if self.limit == 0 and len(self._stamps) > ALPACA_DEFAULT:
                self._stamps.popleft()
        oldest = self._stamps[0] if self._stamps else now
        return RateState(
            allowed=allowed,
            limit=reported,
            remaining=max(0, reported - len(self._stamps)),
            reset=int(oldest + WINDOW_SECONDS) + 1,
        )

    def exhausted(self, now: float) -> RateState:
        """Headers for a request refused by the 429 fault: nothing remaining."""
        oldest = self._stamps[0] if self._stamps else now
        return RateState(
            allowed=False,
            limit=self.limit or ALPACA_DEFAULT,
            remaining=0,
            reset=int(oldest + WINDOW_SECONDS) + 1,
        )
