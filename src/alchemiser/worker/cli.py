"""`alchemiser run`: one trading run."""

import argparse
from typing import Any

from alchemiser.errors import NotBuiltYet


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser("run", help="perform one trading run and exit")
    parser.set_defaults(handler=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    raise NotBuiltYet("`alchemiser run` is not built yet (issue 5)")
