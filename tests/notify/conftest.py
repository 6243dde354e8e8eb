"""Fixtures for the notification tests: a real webhook receiver in its own process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from notify_support import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver answering 200 until told otherwise."""
    process = Receiver().start()
    yield process
    process.stop()
