"""Shared constants for the paper exchange's tests."""

from datetime import UTC, datetime

# 10:00 New York on the day after Thanksgiving 2026, an early-close session.
OPEN_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
# 14:00 New York the same day: after the 13:00 early close.
AFTER_EARLY_CLOSE = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
# Noon New York on Thanksgiving 2026: the exchange is closed all day.
THANKSGIVING_NOON = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
