"""`alchemiser sim`: serve the paper exchange."""

import argparse
from typing import Any

from alchemiser.errors import NotBuiltYet


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `sim` subcommand."""
    parser = subparsers.add_parser("sim", help="serve the Alpaca-compatible paper exchange")
    parser.set_defaults(handler=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    raise NotBuiltYet("`alchemiser sim` is not built yet (issue 6)")
