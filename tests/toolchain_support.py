"""The tools hack/toolchain.py pins (helm, promtool, prometheus), for the tests that run them.

Importable from every test directory (pytest puts tests/ on the path for tests/conftest.py).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

TOOLCHAIN = Path(__file__).resolve().parents[1] / "hack" / "toolchain.py"


@cache
def toolchain() -> ModuleType:
    """hack/toolchain.py, loaded once."""
    spec = importlib.util.spec_from_file_location("alchemiser_hack_toolchain", TOOLCHAIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def binary(name: str) -> Path:
    """Path of the pinned tool `name`, built or unpacked into the cache on first use."""
    tools = toolchain()
    item, cache_dir = tools.tool(name), tools.cache_root()
    tools.build(item, cache_dir)
    path: Path = item.path(cache_dir, name)
    return path
