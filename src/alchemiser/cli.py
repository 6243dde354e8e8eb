"""The `alchemiser` console script: one dispatcher, each subcommand owned by its package.

Subcommands: operator, run, sim, crds, halt, resume, symphony, backtest. Each package exposes
`register(subparsers)` that adds its parser(s) with a `handler(args) -> int`.
A failure that reaches this top level is logged and exits non-zero.

Only the package that owns the requested subcommand is imported: the operator's
process never loads the worker's pandas, alpaca-py and calendars (about 55 MiB
of resident memory), and `alchemiser run` never loads kopf.
"""

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType

from alchemiser import __version__
from alchemiser.errors import AlchemiserError

# Subcommand -> the module whose register() adds it.
OWNERS = {
    "operator": "alchemiser.operator.cli",
    "halt": "alchemiser.operator.cli",
    "resume": "alchemiser.operator.cli",
    "run": "alchemiser.worker.cli",
    "sim": "alchemiser.sim.cli",
    "crds": "alchemiser.api.cli",
    "symphony": "alchemiser.worker.symphony_cli",
    "backtest": "alchemiser.backtest.cli",
    "backtest-job": "alchemiser.backtest.cli",
}


def _owners(argv: Sequence[str] | None) -> Iterable[ModuleType]:
    """The modules to register: the one owning argv's subcommand, else all (for --help)."""
    command = next((arg for arg in argv or () if not arg.startswith("-")), None)
    names = [OWNERS[command]] if command in OWNERS else list(dict.fromkeys(OWNERS.values()))
    return [importlib.import_module(name) for name in names]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the parser for argv's subcommand (every subcommand when argv names none)."""
    parser = argparse.ArgumentParser(
        prog="alchemiser", description="Run algorithmic trading strategies on Kubernetes, safely."
    )
    parser.add_argument("--version", action="version", version=f"alchemiser {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for package in _owners(argv):
        package.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand, return its exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(arguments).parse_args(arguments)
    try:
        code: int = args.handler(args)
    except AlchemiserError as error:
        print(f"alchemiser {args.command}: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
