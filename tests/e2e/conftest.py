"""Makes hack/ importable for the pure tests of the image keys and the node.

These tests need no cluster; the end-to-end tests that do live in tests/kube/e2e/.
"""

from __future__ import annotations

import sys
from pathlib import Path

HACK = Path(__file__).resolve().parents[2] / "hack"
if str(HACK) not in sys.path:
    sys.path.insert(0, str(HACK))
