"""`alchemiser operator`, `halt` and `resume`."""

import argparse
from typing import Any

from alchemiser.errors import NotBuiltYet


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `operator`, `halt` and `resume` subcommands."""
    for name, help_text in (
        ("operator", "run the Kubernetes operator"),
        ("halt", "create a TradingHalt (the kill switch)"),
        ("resume", "delete a TradingHalt"),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        parser.set_defaults(handler=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    raise NotBuiltYet(f"`alchemiser {args.command}` is not built yet (issue 4)")
