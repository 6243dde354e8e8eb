"""report.html renders in headless Chromium, offline, with every chart; a screenshot shows them."""

import itertools
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageColor
from support import run_csv, static_spec

from alchemiser.backtest import report
from alchemiser.backtest.outputs import write_all
from alchemiser.worker import clock

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
SHOT_DIR = Path(tempfile.gettempdir()) / "alchemiser-backtest-shots"


def _closes() -> dict[str, dict[str, float]]:
    """Made-up closes on every session from February to April 2025."""
    days = [
        d.isoformat() for d, _, _ in clock.sessions_between(date(2025, 2, 3), date(2025, 4, 30))
    ]
    out: dict[str, dict[str, float]] = {"AAA": {}, "BBB": {}, "SPY": {}}
    for i, day in enumerate(days):
        out["AAA"][day] = 10 + (i % 7) * 0.5
        out["BBB"][day] = 20 - (i % 5) * 0.7 + i * 0.05
        out["SPY"][day] = 100 + i * 0.3
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of two symbols over about two months."""
    tmp = tmp_path_factory.mktemp("report")
    spec = static_spec({"AAA": 0.6, "BBB": 0.4}, rebalanceThreshold=0.02)
    setup, record = run_csv(tmp, _closes(), spec, date(2025, 3, 3), date(2025, 4, 25))
    write_all(tmp / "out", setup, record, "CSV test bars")
    return tmp / "out" / "report.html"


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is required (.ci/run installs it)"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def test_the_page_is_self_contained(page: Path) -> None:
    """No script, stylesheet, image or font is fetched from anywhere: it works offline."""
    text = page.read_text()
    for needle in ("<script", "src=", "href=", "@import", "url("):
        assert needle not in text, needle
    for ident in ("equity-chart", "drawdown-chart", "allocation-chart", "monthly-returns"):
        assert f'id="{ident}"' in text


def test_chromium_renders_every_chart(page: Path) -> None:
    """Chromium's DOM after rendering holds the three charts with their series and both tables."""
    done = _chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    for ident in ("equity-chart", "drawdown-chart", "allocation-chart"):
        assert f'<svg id="{ident}"' in dom
    assert dom.count('class="series"') == 4  # strategy and SPY, twice
    assert 'data-name="AAA"' in dom and 'data-name="cash"' in dom
    assert '<table id="monthly-returns">' in dom and '<table id="summary-table">' in dom
    assert "Uncaught" not in done.stderr


def test_a_screenshot_shows_the_lines_and_the_allocation(page: Path) -> None:
    """The screenshot has the strategy's blue and the benchmark's gold lines and the allocation
    areas, where the charts are; kept in the temp directory for a person to look at."""
    SHOT_DIR.mkdir(exist_ok=True)
    shot = SHOT_DIR / "report.png"
    shot.unlink(missing_ok=True)
    done = _chromium(
        "--hide-scrollbars", "--window-size=1100,2200", f"--screenshot={shot}", page.as_uri()
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 2200)
    colors = image.getcolors(maxcolors=1 << 20) or []
    counts: dict[tuple[int, int, int], int] = {rgb: n for n, rgb in colors}

    def near(target: str, opacity: float = 1.0, tolerance: int = 40) -> int:
        r, g, b = (
            round(channel * opacity + 255 * (1 - opacity)) for channel in ImageColor.getrgb(target)
        )
        return sum(
            n
            for (cr, cg, cb), n in counts.items()
            if abs(cr - r) + abs(cg - g) + abs(cb - b) <= tolerance
        )

    assert near(report.STRATEGY_COLOR) > 500
    assert near(report.BENCHMARK_COLOR) > 500
    # The allocation layers are areas drawn at 85% opacity over white.
    assert near(report.PALETTE[0], 0.85) > 20_000  # AAA
    assert near(report.PALETTE[1], 0.85) > 20_000  # BBB
    assert len(counts) > 50  # text, grid and charts, not a blank page


def _distance(one: str, other: str) -> float:
    """How far apart two #rrggbb colours look (the "redmean" weighting of RGB distance)."""
    (r1, g1, b1), (r2, g2, b2) = ImageColor.getrgb(one), ImageColor.getrgb(other)
    red = (r1 + r2) / 2
    return float(
        (
            (2 + red / 256) * (r1 - r2) ** 2
            + 4 * (g1 - g2) ** 2
            + (2 + (255 - red) / 256) * (b1 - b2) ** 2
        )
        ** 0.5
    )


def test_no_two_allocation_layers_share_a_look() -> None:
    """Each symbol's area, "other" and cash can be told apart in the legend: no two of their
    colours are close (two blues and two greys were, once)."""
    colours = [*report.PALETTE, report.CASH_COLOR]
    close = [pair for pair in itertools.combinations(colours, 2) if _distance(*pair) < 100]
    assert close == []
