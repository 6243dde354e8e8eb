"""Backtest tests: the backtest CLI configures logging on a stream pytest closes afterwards."""

import sys
from collections.abc import Iterator

import pytest

from alchemiser.logs import configure


@pytest.fixture(autouse=True)
def _logs_to_the_real_stderr() -> Iterator[None]:
    """After each test, log to the process's stderr again (not a closed capture)."""
    yield
    configure(json=False, level="WARNING", stream=sys.__stderr__)
