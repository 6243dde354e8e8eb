"""`alchemiser backtest` end to end: the five files, Ctrl-C, and errors that name the option."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import static_spec, write_manifest

from alchemiser.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "strategy-paper.yaml"
SUMMARY_KEYS = {
    "totalReturn", "cagr", "maxDrawdown", "maxDrawdownPeak", "maxDrawdownTrough",
    "volatility", "sharpe", "sortino", "calmar",
}  # fmt: skip


def test_one_command_with_no_credentials_writes_every_file(tmp_path: Path) -> None:
    """The example portfolio over the paper exchange's series: five files, all figures."""
    out = tmp_path / "out"
    code = main(
        ["backtest", "--manifest", str(EXAMPLE), "--start", "2025-06-02", "--end", "2025-07-31",
         "--sim", "--out", str(out), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["decisions.csv", "equity.csv", "orders.csv", "report.html", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["metrics"]) >= SUMMARY_KEYS and set(summary["benchmark"]) >= SUMMARY_KEYS
    for key in ("turnover", "exposure", "orders", "rejections", "beta", "fillModel"):
        assert key in summary
    assert summary["benchmark"]["symbol"] == "SPY" and summary["period"]["sessions"] == 42
    equity = (out / "equity.csv").read_text().splitlines()
    assert len(equity) == 43 and equity[0].startswith("date,equity,cash")
    decisions = (out / "decisions.csv").read_text()
    assert "nuclear" in decisions and "tecl" in decisions and "klm" in decisions


def test_ctrl_c_writes_what_is_done_and_exits_130(tmp_path: Path) -> None:
    """SIGINT during a long replay: exit code 130, summary.json says interrupted, files exist."""
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "alchemiser.cli", "backtest", "--manifest", str(EXAMPLE),
         "--start", "2018-01-02", "--end", "2030-11-29", "--sim", "--out", str(out)],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith("replaying "), line
    time.sleep(4.0)  # the first sessions also warm the strategies' caches (slow on a busy box)
    os.kill(process.pid, signal.SIGINT)
    stdout, _ = process.communicate(timeout=120)
    assert process.returncode == 130, stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert 0 < summary["period"]["sessions"] < 3250, stdout
    assert "INTERRUPTED" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2025-03-07", "--end", "2025-03-03"], "--end 2025-03-03 is before --start"),
        (
            ["--start", "2025-03-03", "--end", "2025-03-07", "--cash", "0"],
            "--cash must be positive",
        ),
        (
            ["--start", "2025-03-03", "--end", "2025-03-07", "--slippage-bps", "-1"],
            "--slippage-bps",
        ),
        (
            ["--start", "2025-03-03", "--end", "2025-03-07", "--bars", "/nonexistent"],
            "not a directory",
        ),
        (["--start", "2014-03-03", "--end", "2014-03-07", "--sim"], "series begins on 2016-01-04"),
    ],
)
def test_bad_input_names_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Each bad choice exits 2 with a message naming the option and the reason."""
    manifest = write_manifest(tmp_path / "s.yaml", static_spec({"AAA": 1.0}))
    code = main(["backtest", "--manifest", str(manifest), "--out", str(tmp_path / "o"), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_missing_csv_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--bars without SPY.csv says which file is missing."""
    (tmp_path / "bars").mkdir()
    (tmp_path / "bars" / "AAA.csv").write_text("date,open,high,low,close\n2025-03-03,1,1,1,1\n")
    manifest = write_manifest(tmp_path / "s.yaml", static_spec({"AAA": 1.0}))
    code = main(
        ["backtest", "--manifest", str(manifest), "--start", "2025-03-03", "--end", "2025-03-07",
         "--bars", str(tmp_path / "bars"), "--out", str(tmp_path / "o")]
    )  # fmt: skip
    assert code == 2
    assert "no file SPY.csv for SPY" in capsys.readouterr().err
