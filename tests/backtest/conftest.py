"""Backtest tests: the backtest CLI configures logging on a stream pytest closes afterwards."""

import logging
import sys
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logs_as_before() -> Iterator[None]:
    """After each test, logging as a test process starts: structlog's defaults (no level
    filter, so a later test's capture_logs sees info events) and the standard library root
    logger on the process's stderr (not a closed capture)."""
    yield
    structlog.reset_defaults()
    logging.basicConfig(level=logging.WARNING, stream=sys.__stderr__, force=True)
