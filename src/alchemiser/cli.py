"""The `alchemiser` console script: one dispatcher, each subcommand owned by its package.

Subcommands: operator, run, sim, crds, halt, resume. Each package exposes
`register(subparsers)` that adds its parser(s) with a `handler(args) -> int`.
A failure that reaches this top level is logged and exits non-zero.
"""

import argparse
import sys
from collections.abc import Sequence

from alchemiser import __version__
from alchemiser.api import cli as api_cli
from alchemiser.errors import AlchemiserError
from alchemiser.operator import cli as operator_cli
from alchemiser.sim import cli as sim_cli
from alchemiser.worker import cli as worker_cli


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="alchemiser", description="Run algorithmic trading strategies on Kubernetes, safely."
    )
    parser.add_argument("--version", action="version", version=f"alchemiser {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for package in (operator_cli, worker_cli, sim_cli, api_cli):
        package.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand, return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except AlchemiserError as error:
        print(f"alchemiser {args.command}: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
