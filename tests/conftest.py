"""Fixtures shared by every test directory; keep this file to registrations only.

Control-plane fixtures (`kube_cluster`, `kubectl`, `namespace`) live in
tests/kube/conftest.py and apply to tests under tests/kube/ only.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top directory."""
    return Path(__file__).resolve().parents[1]
