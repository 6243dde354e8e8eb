"""`alchemiser crds`: print or write the CRDs generated from the models."""

import argparse
from typing import Any

from alchemiser.errors import NotBuiltYet


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `crds` subcommand."""
    parser = subparsers.add_parser("crds", help="print the CRDs generated from the API models")
    parser.add_argument("--output", help="directory to write one file per CRD into")
    parser.set_defaults(handler=_crds)


def _crds(args: argparse.Namespace) -> int:
    raise NotBuiltYet("`alchemiser crds` is not built yet (issue 3)")
