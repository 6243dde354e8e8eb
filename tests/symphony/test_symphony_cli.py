"""`alchemiser symphony check|explain`: compiler-style errors, and decisions from bars on disk."""

import gzip
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from alchemiser.cli import main

HEDGE = Path(__file__).resolve().parents[2] / "examples" / "symphonies" / "hedge.clj"
TREE = """(defsymphony "cli" {}
 (if (> (current-price "AAA") (moving-average-price "AAA" {:window 3}))
  [(asset "AAA")]
  [(weight-equal [(asset "BBB") (asset "CCC")])]))
"""


def write_bars(directory: Path, closes: dict[str, list[float]], last: date) -> None:
    """DIR/SYMBOL.csv with one row per weekday ending at `last`."""
    directory.mkdir(exist_ok=True)
    for symbol, series in closes.items():
        days: list[date] = []
        day = last
        while len(days) < len(series):
            if day.weekday() < 5:
                days.append(day)
            day -= timedelta(days=1)
        rows = ["date,open,high,low,close,volume"]
        for when, close in zip(reversed(days), series, strict=True):
            rows.append(f"{when},{close},{close},{close},{close},1000")
        (directory / f"{symbol}.csv").write_text("\n".join(rows) + "\n")


def test_check_accepts_a_valid_file_and_the_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 0 for valid files (plain or gzip), with a one-line summary each."""
    plain = tmp_path / "ok.clj"
    plain.write_text(TREE)
    packed = tmp_path / "ok.clj.gz"
    packed.write_bytes(gzip.compress(TREE.encode()))
    assert main(["symphony", "check", str(plain), str(packed), str(HEDGE)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{plain}: ok: 'cli', 5 blocks, 3 symbols, needs 3 sessions of history"
    assert out[1].startswith(f"{packed}: ok: 'cli'")


def test_check_reports_file_line_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad file exits 1 with FILE:LINE:COL: reason on stderr."""
    bad = tmp_path / "bad.clj"
    bad.write_text(TREE.replace("weight-equal", "weight-equl"))
    assert main(["symphony", "check", str(bad)]) == 1
    assert capsys.readouterr().err.strip() == f'{bad}:4:4: unknown operator "weight-equl"'


def test_explain_from_bars_uses_the_sessions_before_the_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--bars DIR --at DATE decides on the closes before DATE; --output json has the weights."""
    source = tmp_path / "s.clj"
    source.write_text(TREE)
    bars = tmp_path / "bars"
    # On 2026-11-25 AAA's last close (14) is above its 3-day mean; the row dated 2026-11-25
    # itself (a crash to 5) must not be read.
    write_bars(
        bars,
        {"AAA": [10.0, 11.0, 12.0, 14.0, 5.0], "BBB": [1.0] * 5, "CCC": [2.0] * 5},
        date(2026, 11, 25),
    )
    argv = ["symphony", "explain", str(source), "--bars", str(bars), "--at", "2026-11-25"]
    assert main([*argv, "--output", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["weights"] == {"AAA": 1.0}
    assert document["session"] == "2026-11-24"
    (step,) = document["steps"]
    assert step["branch"] == "then" and step["left"] == 14.0 and step["line"] == 2
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "current-price(AAA) > moving-average-price(AAA, 3): 14 vs 12.3333 -> then" in text
    assert main([*argv[:-1], "2026-11-26", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["weights"] == {"BBB": 0.5, "CCC": 0.5}


def test_explain_names_missing_bars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A symbol with no file fails with its name (exit 2, nothing decided)."""
    source = tmp_path / "s.clj"
    source.write_text(TREE)
    bars = tmp_path / "bars"
    write_bars(bars, {"AAA": [10.0] * 5, "BBB": [1.0] * 5}, date(2026, 11, 25))
    code = main(["symphony", "explain", str(source), "--bars", str(bars), "--at", "2026-11-26"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no daily bars in" in err and err.strip().endswith("for CCC")


def test_explain_against_the_paper_exchange() -> None:
    """--broker sim --sim-now decides the example on the paper exchange's bars (own process:
    the exchange logs, and a test must not leave logging bound to its captured stdout)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "alchemiser.cli",
            "symphony",
            "explain",
            str(HEDGE),
            "--broker",
            "sim",
            "--sim-now",
            "2026-11-30T15:45:00-05:00",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout.strip().splitlines()[-1])
    assert document["session"] == "2026-11-27"
    assert abs(sum(document["weights"].values()) - 1.0) < 1e-9
    assert set(document["weights"]) <= {"UVXY", "TQQQ", "SPY", "QQQ", "TLT", "GLD"}
