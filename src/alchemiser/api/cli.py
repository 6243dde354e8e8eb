"""`alchemiser crds`: print or write the CRDs generated from the models."""

import argparse
import sys
from pathlib import Path
from typing import Any

from alchemiser.api.crd import crds, render


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `crds` subcommand."""
    parser = subparsers.add_parser("crds", help="print the CRDs generated from the API models")
    parser.add_argument(
        "--output",
        type=Path,
        help="directory to write one file per CRD into (default: print all to stdout)",
    )
    parser.set_defaults(handler=_crds)


def _crds(args: argparse.Namespace) -> int:
    rendered = {name: render(crd) for name, crd in crds().items()}
    if args.output is None:
        sys.stdout.write("---\n".join(rendered.values()))
        return 0
    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (output / name).write_text(text, encoding="utf-8")
        print(f"wrote {output / name}")
    return 0
