"""The operator's process loads only what the operator needs (memory at scale)."""

import subprocess
import sys

import pytest

from alchemiser import cli

HEAVY = ("pandas", "numpy", "alpaca", "exchange_calendars", "talib")


def _loaded_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from alchemiser import cli\n"
        f"cli.build_parser({argv!r})\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("command", ["operator", "halt", "resume"])
def test_operator_commands_do_not_load_the_worker_stack(command: str) -> None:
    loaded = _loaded_after([command])
    assert "kopf" in loaded
    assert not loaded & set(HEAVY)


def test_run_does_not_load_kopf() -> None:
    assert "kopf" not in _loaded_after(["run"])


def test_without_a_command_every_subcommand_is_offered() -> None:
    parser = cli.build_parser([])
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    subcommands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(subcommands) == set(cli.OWNERS)
