"""The leaves of SPEC-klm.md, each reached by a hand-built history (tests named after its steps).

KLM holds the variant (V1..V8) whose own simulated daily returns had the largest
5-day standard deviation. The histories are alternating walks (walk_bars.py), all
in phase, so a variant that held fixed weights on the sessions t-5..t-1 has a
5-day volatility proportional to the weighted sum of its holdings' amplitudes.
Each test therefore gives every symbol a calm amplitude (CALM) and the symbols of
the leaf it wants a hot one (HOT): the variant that reaches that leaf is the most
volatile, and the expected weights are that leaf's, as the spec writes them.
Conditions the reasoning relies on are re-checked with TA-Lib.
"""

import pytest
import walk_bars as wb
from walk_bars import Walk

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters, NuclearParameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY

PARAMS = KlmParameters()
KLM = REGISTRY[StrategyName.KLM]
SYMBOLS = KLM.symbols(PARAMS)
LENGTH = max(wb.LENGTH, KLM.lookback_days(PARAMS) + 20)

CALM = 0.005
HOT = 0.04
DEFAULT = Walk(rsi=50.0, amp=CALM)
BULL_SPY = Walk(rsi=55.0, amp=CALM)
BEAR_SPY = Walk(rsi=45.0, amp=CALM)
STRONG_TECH = {"XLK": Walk(rsi=60.0, amp=CALM), "KMLM": Walk(rsi=40.0, amp=CALM)}
WEAK_TECH = {"XLK": Walk(rsi=40.0, amp=CALM), "KMLM": Walk(rsi=60.0, amp=CALM)}
VB = {"VIXY": 1 / 3, "VXX": 1 / 3, "VIXM": 1 / 3}
VB_PLUS = {"UVXY": 1 / 3, "VXX": 1 / 3, "VIXM": 1 / 3}
VB_PLUS_PLUS = {"UVXY": 2 / 3, "VIXM": 1 / 3}
BB = {"BTAL": 0.5, "BIL": 0.5}
GSP = {"GLD": 0.5, "SLV": 0.25, "PDBC": 0.25}
VIX_BLENDS_HOT = {s: Walk(rsi=50.0, amp=HOT) for s in ("VIXY", "VXX", "VIXM")}


def hot(rsi: float = 50.0, period: int = 10) -> Walk:
    """A walk with the hot amplitude."""
    return Walk(rsi=rsi, amp=HOT, period=period)


def calm(rsi: float, period: int = 10) -> Walk:
    """A walk with the calm amplitude."""
    return Walk(rsi=rsi, amp=CALM, period=period)


def decide(prices: PriceHistory) -> dict[str, float]:
    """The strategy's weights for a history of exactly its symbols, checked to be valid."""
    assert prices.symbols() == SYMBOLS
    decision = dict(KLM.decide(prices, PARAMS))
    assert set(decision) <= SYMBOLS
    assert sum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    return decision


def scene(
    walks: dict[str, Walk], *, spy: Walk = BULL_SPY, tech: dict[str, Walk] = WEAK_TECH
) -> PriceHistory:
    """Every symbol calm at RSI 50, SPY bull unless given, tech weak unless given, then `walks`."""
    return wb.history(SYMBOLS, {"SPY": spy, **tech, **walks}, default=DEFAULT, length=LENGTH)


def expect(prices: PriceHistory, weights: dict[str, float]) -> None:
    """The decision is exactly these weights."""
    assert decide(prices) == pytest.approx(weights, rel=1e-9, abs=1e-12)


def test_reads_and_holds_the_specs_58_symbols() -> None:
    """The symbols are the spec's section 4: 16 read only, 42 held."""
    read = "BND FAS IEF IOO QQQ QQQE RETL SPY UVIX VOOG VOOV VOX VTV XLF XLP XLY"
    held = (
        "AAPL AGG AMZN BIL BTAL ERX FNGO FNGU FTLS GLD GOOGL KMLM LABD LABU MSFT NVDA PDBC PSQ "
        "QID SLV SOXL SPLV SPXL SPXU SQQQ SVIX SVXY TECL TLT TMF TMV TQQQ TSLA TZA UPRO UUP "
        "UVXY VIXM VIXY VXX XLE XLK"
    )
    assert frozenset((read + " " + held).split()) == SYMBOLS
    assert len(SYMBOLS) == 58


# --- section 0: the most volatile variant ------------------------------------------------


def test_top_most_volatile_variant_wins_v7() -> None:
    """Section 0 by hand: V7 holds TSLA (4%), V1/V6 hold FNGU (2%), all else 0.5% -> V7's TSLA."""
    walks = {"TSLA": Walk(rsi=70.0, amp=HOT, period=11), "FNGU": Walk(rsi=50.0, amp=0.02)}
    prices = scene(walks, tech=STRONG_TECH)
    assert max(wb.rsi(prices, s, 11) for s in ("FNGO", "MSFT", "AAPL", "NVDA", "GOOGL", "AMZN")) < (
        wb.rsi(prices, "TSLA", 11)
    )
    expect(prices, {"TSLA": 1.0})


def test_top_most_volatile_variant_wins_v1_v6() -> None:
    """Section 0 by hand, reversed: FNGU 4% and TSLA 2% -> V1/V6 (verbatim copies) hold FNGU."""
    walks = {"TSLA": Walk(rsi=70.0, amp=0.02, period=11), "FNGU": hot()}
    expect(scene(walks, tech=STRONG_TECH), {"FNGU": 1.0})


# --- section 1: OB, SPOP, POP, SW (V1-V4, V6-V8) ------------------------------------------

OB = [
    ("OB.1", "QQQE", 79),
    ("OB.2", "VTV", 79),
    ("OB.3", "VOX", 79),
    ("OB.4", "TECL", 79),
    ("OB.5", "VOOG", 79),
    ("OB.6", "VOOV", 79),
    ("OB.7", "XLP", 75),
    ("OB.8", "TQQQ", 79),
    ("OB.9", "XLY", 80),
    ("OB.10", "FAS", 80),
    ("OB.11", "SPY", 80),
]


@pytest.mark.parametrize(("step", "symbol", "threshold"), OB, ids=[row[0] for row in OB])
def test_ob_overbought_holds_uvxy(step: str, symbol: str, threshold: float) -> None:
    """OB.1-OB.11: the symbol's RSI(10) above its threshold -> UVXY (hot), whatever V5 holds."""
    walks = {symbol: Walk(rsi=88.0, amp=CALM), "UVXY": hot()}
    prices = scene(walks)
    assert min(wb.rsi(past, symbol) for past in wb.recent(prices, 6)) > threshold, step
    expect(prices, {"UVXY": 1.0})


@pytest.mark.parametrize("symbol", ["XLY", "FAS", "SPY"])
def test_ob_9_to_11_threshold_is_80(symbol: str) -> None:
    """OB.9-OB.11 compare with 80, not 79: RSI(10) 79.5 falls through to POP.1 (TQQQ oversold ->
    TECL).
    """
    walks = {symbol: calm(79.5), "TQQQ": calm(20.0), "TECL": hot()}
    prices = scene(walks)
    assert 79 < wb.rsi(prices, symbol) <= 80
    expect(prices, {"TECL": 1.0})


def test_ob_7_xlp_threshold_is_75() -> None:
    """OB.7: XLP at RSI(10) 78 (above 75, below every other threshold) -> UVXY."""
    walks = {"XLP": Walk(rsi=82.0, amp=CALM), "UVXY": hot()}
    prices = scene(walks)
    assert all(75 < wb.rsi(past, "XLP") < 79 for past in list(wb.recent(prices, 6))[::2])
    expect(prices, {"UVXY": 1.0})


def test_spop_1_bsc_vixm() -> None:
    """SPOP.1: RSI(UVXY,21) > 65 and RSI(SPY,21) > 30 -> VIXM (V1, V3, V4, V6, V8)."""
    walks = {"UVXY": Walk(rsi=75.0, period=21, amp=CALM), "VIXM": hot()}
    prices = scene(walks)
    assert wb.rsi(prices, "UVXY", 21) > 65 and wb.rsi(prices, "SPY", 21) > 30
    expect(prices, {"VIXM": 1.0})


def test_spop_1_bsc_spxl() -> None:
    """SPOP.1: RSI(UVXY,21) > 65 and RSI(SPY,21) <= 30 -> SPXL."""
    walks = {"UVXY": Walk(rsi=75.0, period=21, amp=CALM), "SPXL": hot()}
    prices = scene(walks, spy=Walk(rsi=25.0, period=21, amp=CALM))
    assert wb.rsi(prices, "SPY", 21) <= 30
    expect(prices, {"SPXL": 1.0})


def test_spop_v7_reads_uvix() -> None:
    """SPOP in V7 reads UVIX: only V7 pops (UVXY calm at RSI 50), so V7 holds VIXM."""
    walks = {"UVIX": Walk(rsi=75.0, period=21, amp=CALM), "VIXM": hot()}
    prices = scene(walks)
    assert wb.rsi(prices, "UVXY", 21) <= 65 < wb.rsi(prices, "UVIX", 21)
    expect(prices, {"VIXM": 1.0})


@pytest.mark.parametrize(
    ("step", "signal", "held", "level"),
    [
        ("POP.1", "TQQQ", "TECL", 20.0),
        ("POP.2", "SOXL", "SOXL", 20.0),
        ("POP.3", "SPXL", "SPXL", 20.0),
        ("POP.3b", "LABU", "LABU", 15.0),
    ],
)
def test_pop_oversold(step: str, signal: str, held: str, level: float) -> None:
    """POP.1-3 (and V2's POP.3b, LABU < 25): the oversold test holds its leaf (POP.1 reads TQQQ,
    holds
    TECL).
    """
    walks = {signal: Walk(rsi=level, amp=HOT if signal == held else CALM)}
    if signal != held:
        walks[held] = hot()
    prices = scene(walks)
    assert max(wb.rsi(past, signal) for past in wb.recent(prices, 6)) < (
        25 if step == "POP.3b" else 30
    )
    expect(prices, {held: 1.0})


def test_pop_1_reads_tqqq_not_tecl() -> None:
    """POP.1's test reads TQQQ: TECL itself at RSI 20 pops nothing; LS3's calmest pick is held
    instead.
    """
    walks = {"TECL": Walk(rsi=20.0, amp=HOT), "UUP": Walk(rsi=50.0, amp=0.03)}
    walks |= {"FTLS": Walk(rsi=50.0, amp=0.035), "KMLM": Walk(rsi=60.0, amp=0.035)}
    prices = scene(walks)
    assert decide(prices) != {"TECL": 1.0}


# SW(S, W) per variant; strong tech = RSI(XLK,10) > RSI(KMLM,10).


def test_sw_v1_v6_strong_fngu() -> None:
    """V1/V6 S: BOT1 by RSI(10) of {FNGU} -> FNGU."""
    expect(scene({"FNGU": hot()}, tech=STRONG_TECH), {"FNGU": 1.0})


def test_sw_v7_strong_top1_by_rsi_11() -> None:
    """V7 S: TOP1 by RSI(11) of {FNGO, TSLA, MSFT, AAPL, NVDA, GOOGL, AMZN} -> NVDA highest."""
    expect(scene({"NVDA": Walk(rsi=65.0, amp=HOT, period=11)}, tech=STRONG_TECH), {"NVDA": 1.0})


def test_sw_v3_strong_bottom1_soxl() -> None:
    """V3 S: BOT1 by RSI(10) of {TECL, SOXL, SVIX} -> SOXL lowest (V4's pair lacks SOXL)."""
    walks = {"SOXL": Walk(rsi=38.0, amp=HOT), "TECL": calm(45.0), "SVIX": calm(55.0)}
    expect(scene(walks, tech=STRONG_TECH), {"SOXL": 1.0})


def test_sw_v4_strong_bottom1_of_tecl_svix() -> None:
    """V4 S: BOT1 by RSI(10) of {TECL, SVIX}: SOXL lowest overall (V3 holds it, calm), TECL next ->
    TECL.
    """
    walks = {"SOXL": calm(38.0), "TECL": Walk(rsi=44.0, amp=HOT), "SVIX": calm(55.0)}
    expect(scene(walks, tech=STRONG_TECH), {"TECL": 1.0})


def test_sw_v2_strong_bottom2_half_each() -> None:
    """V2 S: BOT2 by RSI(10) of {TECL, SOXL, SVIX} -> the two lowest, 1/2 each (TECL calm, SOXL
    hot).
    """
    walks = {"TECL": calm(38.0), "SOXL": Walk(rsi=44.0, amp=HOT), "SVIX": calm(60.0)}
    expect(scene(walks, tech=STRONG_TECH), {"TECL": 0.5, "SOXL": 0.5})


def test_sw_v8_strong_top1_svix() -> None:
    """V8 S: TOP1 by RSI(10) of {TECL, SOXL, SVIX} -> SVIX highest."""
    walks = {"SVIX": Walk(rsi=65.0, amp=HOT), "TECL": calm(45.0), "SOXL": calm(50.0)}
    expect(scene(walks, tech=STRONG_TECH), {"SVIX": 1.0})


def test_sw_ls3_weak_bottom1_by_stdev_6() -> None:
    """V1/V6/V7 W = LS3: BOT1 by SD(6) of {UUP, FTLS, KMLM} -> UUP, the calmest (3%)."""
    walks = {"UUP": Walk(rsi=50.0, amp=0.03), "FTLS": Walk(rsi=50.0, amp=0.05)}
    walks["KMLM"] = Walk(rsi=60.0, amp=0.05)
    expect(scene(walks), {"UUP": 1.0})


def test_sw_ls3_tie_goes_to_the_first_ticker_alphabetically() -> None:
    """Tie-break (not in the file): UUP and FTLS, identical walks, tie in SD(6) -> FTLS."""
    same = Walk(rsi=50.0, amp=0.03)
    walks = {"UUP": same, "FTLS": same, "KMLM": Walk(rsi=60.0, amp=0.05)}
    prices = scene(walks)
    assert prices.closes["UUP"] == prices.closes["FTLS"]
    expect(prices, {"FTLS": 1.0})


def test_sw_v2_v3_weak_top1_tlt() -> None:
    """V2/V3 W: TOP1 by RSI(10) of {SQQQ, TLT} -> TLT (V8's BOND, BND rising, holds SPLV)."""
    walks = {"TLT": Walk(rsi=60.0, amp=HOT), "BND": calm(60.0), "SPLV": calm(45.0)}
    prices = scene(walks)
    assert wb.moving_average_return(prices, "BND", 20) > 0
    expect(prices, {"TLT": 1.0})


def test_sw_v2_v3_weak_top1_sqqq() -> None:
    """V2/V3 W: TOP1 by RSI(10) of {SQQQ, TLT} -> SQQQ."""
    expect(scene({"SQQQ": Walk(rsi=60.0, amp=HOT)}), {"SQQQ": 1.0})


def test_sw_v4_weak_bottom3_by_stdev_6() -> None:
    """V4 W: BOT3 by SD(6) of {TMV, TMF, SVXY, VIXM, FTLS, KMLM, UUP} -> UUP, TMV, TMF, 1/3 each.

    Their mean amplitude (2.67%) beats LS3's UUP (2%); V5 is sent to VIX Blend (RETL above 85).
    """
    amps = {"UUP": 0.02, "TMV": 0.03, "TMF": 0.03, "VIXM": 0.035}
    amps |= {"SVXY": 0.06, "FTLS": 0.06, "KMLM": 0.06}
    walks = {s: Walk(rsi=60.0 if s == "KMLM" else 50.0, amp=a) for s, a in amps.items()}
    walks["RETL"] = calm(92.0)
    expect(scene(walks), {"UUP": 1 / 3, "TMV": 1 / 3, "TMF": 1 / 3})


def test_sw_v8_weak_bond_1_bottom1_splv() -> None:
    """V8 W = BOND.1: MAR(BND,20) > 0 -> BOT1 by RSI(10) of {KMLM, SPLV} -> SPLV."""
    walks = {"BND": calm(60.0), "SPLV": Walk(rsi=45.0, amp=HOT)}
    prices = scene(walks)
    assert wb.moving_average_return(prices, "BND", 20) > 0
    expect(prices, {"SPLV": 1.0})


def test_sw_v8_weak_bond_2_top1_tza() -> None:
    """V8 W = BOND.2: MAR(BND,20) <= 0 -> TOP1 by RSI(10) of {TLT, LABD, TZA} -> TZA."""
    walks = {"BND": calm(40.0), "TZA": Walk(rsi=65.0, amp=HOT)}
    prices = scene(walks)
    assert wb.moving_average_return(prices, "BND", 20) <= 0
    expect(prices, {"TZA": 1.0})


# --- section 3: V5 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "symbol", "level", "weights"),
    [
        ("V5.1 VB++", "SPY", 88.0, VB_PLUS_PLUS),
        ("V5.2 VB++", "IOO", 88.0, VB_PLUS_PLUS),
        ("V5.2 VB+", "IOO", 81.5, VB_PLUS),
        ("V5.3 VB++", "QQQ", 88.0, VB_PLUS_PLUS),
        ("V5.3 VB+", "QQQ", 81.0, VB_PLUS),
        ("V5.4 VB+", "VTV", 90.0, VB_PLUS),
        ("V5.4 VB", "VTV", 82.0, VB),
        ("V5.5 VB+", "XLP", 90.0, VB_PLUS),
        ("V5.5 VB", "XLP", 80.0, VB),
        ("V5.6 VB+", "XLF", 90.0, VB_PLUS),
        ("V5.6 VB", "XLF", 83.0, VB),
        ("V5.7 VB", "RETL", 90.0, VB),
    ],
)
def test_v5_scale_in(step: str, symbol: str, level: float, weights: dict[str, float]) -> None:
    """V5.1-V5.7: the first overbought signal and its second threshold pick the VIX blend.

    The blends' VIX ETFs are hot (UVXY calm), so V5 outvolatiles the UVXY the OB variants hold.
    """
    prices = scene({symbol: calm(level), **VIX_BLENDS_HOT})
    expect(prices, weights)


def test_v5_1_vb_plus() -> None:
    """V5.1: RSI(SPY,10) in (80, 82.5] -> VB+ (UVXY, VXX, VIXM)."""
    prices = scene(VIX_BLENDS_HOT, spy=calm(81.0))
    assert 80 < wb.rsi(prices, "SPY") <= 82.5
    expect(prices, VB_PLUS)


def test_v5_7_btal_bil() -> None:
    """V5.7: RSI(RETL,10) in (82, 85] -> BB = BTAL/BIL 1/2 each."""
    walks = {"RETL": calm(84.0), "BTAL": hot(), "BIL": hot()}
    prices = scene(walks)
    assert 82 < wb.rsi(prices, "RETL") <= 85
    expect(prices, BB)


OVERBOUGHT_SPY = Walk(rsi=70.0, period=70, amp=CALM)
GSP_HOT = {s: hot() for s in ("GLD", "SLV", "PDBC")}


def test_v5_8_overbought_all_3x_tech_and_vixy() -> None:
    """V5.8: RSI(SPY,70) > 63: OA (AGG RSI(15) above QQQ's -> All 3x Tech) + OV.1 (RSI(QQQ,90) > 60
    ->
    VIXY).
    """
    walks = {"QQQ": Walk(rsi=65.0, period=90, amp=CALM), "AGG": Walk(rsi=78.0, period=15, amp=CALM)}
    walks |= {"VIXY": hot(), "ERX": hot()}
    prices = scene(walks, spy=OVERBOUGHT_SPY)
    assert wb.rsi(prices, "SPY", 70) > 63 and wb.rsi(prices, "SPY") <= 80
    assert wb.rsi(prices, "QQQ", 90) > 60 and wb.rsi(prices, "QQQ") <= 79
    assert wb.rsi(prices, "AGG", 15) > wb.rsi(prices, "QQQ", 15)
    tech = {s: 0.1 for s in ("TQQQ", "SPXL", "SOXL", "FNGU", "ERX")}
    expect(prices, {**tech, "VIXY": 0.5})


def test_v5_8_overbought_gsp_both_halves() -> None:
    """V5.8: OA's AGG below QQQ -> GSP; OV's QQQ tests all false -> GSP: 100% GLD 50 / SLV 25 / PDBC
    25.
    """
    prices = scene({"AGG": calm(40.0, period=15), **GSP_HOT}, spy=OVERBOUGHT_SPY)
    assert wb.rsi(prices, "QQQ", 90) <= 60 and wb.rsi(prices, "QQQ", 14) <= 80
    expect(prices, GSP)


@pytest.mark.parametrize(
    ("step", "run"),
    [("OV.3 RSI(QQQ,5) > 90", 0.02), ("OV.4 RSI(QQQ,3) > 95", 0.01)],
)
def test_v5_8_ov_short_rsi_vixy(step: str, run: float) -> None:
    """OV.3/OV.4: a 7-session run up of QQQ after a fall -> VIXY in OV's half, GSP in OA's."""
    qqq = Walk(rsi=20.0, amp=0.01, shape=(run,) * 7)
    prices = scene(
        {"QQQ": qqq, "AGG": calm(40.0, period=15), "VIXY": hot(), **GSP_HOT}, spy=OVERBOUGHT_SPY
    )
    assert wb.rsi(prices, "QQQ", 90) <= 60 and wb.rsi(prices, "QQQ", 14) <= 80
    assert wb.rsi(prices, "QQQ") <= 79
    if step.startswith("OV.3"):
        assert wb.rsi(prices, "QQQ", 5) > 90
    else:
        assert wb.rsi(prices, "QQQ", 5) <= 90 and wb.rsi(prices, "QQQ", 3) > 95
    expect(prices, {"GLD": 0.25, "SLV": 0.125, "PDBC": 0.125, "VIXY": 0.5})


def test_v5_9_1_vox_vix_blend() -> None:
    """V5 9.1: RSI(VOX,10) > 79 -> VB (OB.3 sends the others to UVXY, calm)."""
    expect(scene({"VOX": calm(88.0), **VIX_BLENDS_HOT}), VB)


def test_v5_9_2_xlp_vix_blend() -> None:
    """V5 9.2: RSI(XLP,10) in (75, 77] -> VB."""
    prices = scene({"XLP": calm(76.5), **VIX_BLENDS_HOT})
    assert 75 < wb.rsi(prices, "XLP") <= 77
    expect(prices, VB)


def tqqq_crash(drop: float, bounce: float) -> Walk:
    """TQQQ alternating -drop and +bounce for a year: CR(TQQQ,6) below -12 on every session."""
    return Walk(rsi=50.0, amp=CALM, shape=(-drop, bounce) * 130)


def test_v5_9_3_bounce_vix_blend_plus() -> None:
    """V5 9.3: CR(TQQQ,6) < -12 and CR(TQQQ,1) > 5.5 -> VB+ (on the falling sessions every variant
    holds TECL).
    """
    prices = scene({"TQQQ": tqqq_crash(0.12, 0.056), **VIX_BLENDS_HOT})
    assert (
        wb.cumulative_return(prices, "TQQQ", 6) < -12
        and wb.cumulative_return(prices, "TQQQ", 1) > 5.5
    )
    expect(prices, VB_PLUS)


def test_v5_9_3_pops_tecl() -> None:
    """V5 9.3 Pops: CR(TQQQ,1) <= 5.5 and RSI(TQQQ,10) < 31 -> TECL (POP.1 elsewhere agrees)."""
    prices = scene({"TQQQ": tqqq_crash(0.12, 0.05), "TECL": hot()})
    assert wb.cumulative_return(prices, "TQQQ", 1) <= 5.5 and wb.rsi(prices, "TQQQ") < 31
    expect(prices, {"TECL": 1.0})


def test_v5_9_3_pops_soxl() -> None:
    """V5 9.3 Pops: CR(TQQQ,1) <= 5.5, RSI(TQQQ,10) >= 31, RSI(SOXL,10) < 30 -> SOXL (as POP.2
    elsewhere).
    """
    prices = scene({"TQQQ": tqqq_crash(0.10, 0.05), "SOXL": hot(20.0)})
    assert wb.cumulative_return(prices, "TQQQ", 1) <= 5.5 and wb.rsi(prices, "TQQQ") >= 31
    expect(prices, {"SOXL": 1.0})


def test_v5_9_3_pops_spxl() -> None:
    """V5 9.3 Pops: RSI(SPXL,10) < 30 -> SPXL."""
    prices = scene({"TQQQ": tqqq_crash(0.10, 0.05), "SPXL": hot(20.0)})
    expect(prices, {"SPXL": 1.0})


def test_v5_9_3_pops_kf_svxy() -> None:
    """V5 9.3 Pops, no pop -> KF: strong tech, BOT1 by RSI(10) of [TECL, SVXY, FF] -> SVXY."""
    prices = scene({"TQQQ": tqqq_crash(0.10, 0.05), "SVXY": hot(30.0)}, tech=STRONG_TECH)
    assert wb.rsi(prices, "TQQQ") >= 31
    expect(prices, {"SVXY": 1.0})


def test_v5_9_4_hg_1_kf_weak_bottom3() -> None:
    """V5 9.4 -> HG.1 -> KF, weak tech: BOT3 by SD(6) of {SVXY, VIXM, FTLS, KMLM, UUP} -> UUP,
    SVXY, VIXM.

    Their mean amplitude (5%) beats LS3's UUP (3%) and V4's three calmest of seven (1.33%).
    """
    amps = {"UUP": 0.03, "SVXY": 0.06, "VIXM": 0.06, "FTLS": 0.07, "KMLM": 0.07}
    walks = {s: Walk(rsi=60.0 if s == "KMLM" else 50.0, amp=a) for s, a in amps.items()}
    prices = scene(walks)
    assert wb.price(prices, "SPY") > wb.sma(prices, "SPY", 200) and wb.sma(
        prices, "SPY", 3
    ) >= wb.sma(prices, "SPY", 200)
    expect(prices, {"UUP": 1 / 3, "SVXY": 1 / 3, "VIXM": 1 / 3})


def test_v5_kf_strong_ff_by_its_own_rsi() -> None:
    """KF strong tech: FF's RSI(10), on FF's own simulated price series (50% FNGU + 50% XLE, XLE the
    best MAR(20)), is below TECL's and SVXY's -> FF = FNGU 1/2, XLE 1/2 (it outvolatiles V1/V6's
    FNGU)."""
    walks = {"FNGU": Walk(rsi=15.0, amp=0.04), "XLE": Walk(rsi=65.0, amp=0.08)}
    walks |= {"TECL": calm(70.0), "SVXY": calm(70.0)}
    prices = scene(walks, tech={"XLK": calm(55.0), "KMLM": calm(45.0)})
    mar = {
        s: wb.moving_average_return(prices, s, 20) for s in ("FNGU", "SPXL", "XLE", "XLK", "AGG")
    }
    assert max(mar, key=mar.__getitem__) == "XLE"
    ff = [1.0]
    fngu, xle = prices.closes["FNGU"], prices.closes["XLE"]
    for i in range(len(fngu) - 300, len(fngu)):
        ff.append(
            ff[-1] * (1 + 0.5 * (fngu[i] / fngu[i - 1] - 1) + 0.5 * (xle[i] / xle[i - 1] - 1))
        )
    ff_rsi = wb.rsi(PriceHistory({"FF": tuple(ff)}), "FF")
    assert ff_rsi < min(wb.rsi(prices, "TECL"), wb.rsi(prices, "SVXY"))
    expect(prices, {"FNGU": 0.5, "XLE": 0.5})


def test_v5_9_4_bull_cross() -> None:
    """V5 9.4: PRICE(SPY) > SMA(SPY,200) but SMA(SPY,3) < SMA(SPY,200) -> Bull Cross: TOP2 by
    RSI(10)
    of {TQQQ, SPXL, TMF} -> TMF, SPXL. Before today SPY was below its SMA and V5 held BIL (HG.4)."""
    spy = Walk(rsi=49.5, amp=CALM, shape=(0.04,))
    walks = {"QQQ": Walk(rsi=38.0, amp=0.01), "BIL": hot(), "TMF": hot(70.0), "SPXL": hot(65.0)}
    prices = scene(walks, spy=spy)
    assert wb.price(prices, "SPY") > wb.sma(prices, "SPY", 200) > wb.sma(prices, "SPY", 3)
    assert wb.cumulative_return(prices, "QQQ", 60) < -12
    expect(prices, {"TMF": 0.5, "SPXL": 0.5})


def test_v5_9_5_bear_cross() -> None:
    """V5 9.5: PRICE(SPY) <= SMA(SPY,200) < SMA(SPY,3) -> Bear Cross: TOP2 by RSI(10) of
    {SQQQ, SPXU, TMF, TMV} -> SPXU, TMV. Before today SPY was above, and V5 held KF's SVXY."""
    spy = Walk(rsi=55.0, amp=CALM, shape=(-0.03,))
    walks = {"SVXY": hot(30.0), "SPXU": hot(70.0), "TMV": hot(65.0)}
    prices = scene(walks, spy=spy, tech=STRONG_TECH)
    assert wb.price(prices, "SPY") <= wb.sma(prices, "SPY", 200) < wb.sma(prices, "SPY", 3)
    expect(prices, {"SPXU": 0.5, "TMV": 0.5})


def bear_hg(walks: dict[str, Walk]) -> PriceHistory:
    """SPY below its SMA(200) on every recent session (V5 at 9.6, HG.1 false)."""
    prices = scene(walks, spy=BEAR_SPY)
    for past in wb.recent(prices, 6):
        assert wb.sma(past, "SPY", 3) <= wb.sma(past, "SPY", 200)
        assert wb.price(past, "SPY") <= wb.sma(past, "SPY", 200)
    return prices


def test_v5_hg_2_qqq_oversold_tecl() -> None:
    """HG.2: RSI(QQQ,10) < 31 -> TECL."""
    expect(bear_hg({"QQQ": calm(25.0), "TECL": hot()}), {"TECL": 1.0})


def test_v5_hg_3_spy_oversold_upro() -> None:
    """HG.3: RSI(SPY,10) < 30 -> UPRO."""
    prices = scene({"UPRO": hot()}, spy=calm(22.0))
    assert wb.rsi(prices, "SPY") < 30
    expect(prices, {"UPRO": 1.0})


def test_v5_hg_4_qqq_crash_bil() -> None:
    """HG.4: CR(QQQ,60) < -12 -> BIL."""
    prices = bear_hg({"QQQ": Walk(rsi=38.0, amp=0.01), "BIL": hot()})
    assert wb.cumulative_return(prices, "QQQ", 60) < -12
    expect(prices, {"BIL": 1.0})


def test_v5_hg_5_psq() -> None:
    """HG.5: PRICE(TQQQ) > SMA(TQQQ,20) and RSI(PSQ,10) < 32.5 -> PSQ."""
    prices = bear_hg({"TQQQ": calm(60.0), "PSQ": hot(25.0)})
    assert wb.price(prices, "TQQQ") > wb.sma(prices, "TQQQ", 20)
    expect(prices, {"PSQ": 1.0})


def test_v5_hg_5_kf_strong_tecl() -> None:
    """HG.5: TQQQ above its SMA(20), PSQ not oversold -> KF, strong tech: BOT1 of [TECL, SVXY, FF]
    ->
    TECL.
    """
    prices = bear_hg({"TQQQ": calm(60.0), "TECL": hot(30.0)} | STRONG_TECH)
    expect(prices, {"TECL": 1.0})


def test_v5_hg_6_ief_over_psq() -> None:
    """HG.6 (10/20): TQQQ below its SMA(20), RSI(IEF,10) > RSI(PSQ,20) -> PSQ."""
    prices = bear_hg({"TQQQ": calm(40.0), "IEF": calm(70.0), "PSQ": hot()})
    assert wb.rsi(prices, "IEF") > wb.rsi(prices, "PSQ", 20)
    expect(prices, {"PSQ": 1.0})


def test_v5_hg_6_qid() -> None:
    """HG.6 (10/20): RSI(IEF,10) <= RSI(PSQ,20) -> QID."""
    prices = bear_hg({"TQQQ": calm(40.0), "IEF": calm(30.0), "QID": hot()})
    expect(prices, {"QID": 1.0})


# --- data, history and parameters --------------------------------------------------------


@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_symbol_is_required(symbol: str) -> None:
    """Missing bars for any of the spec's 58 symbols fail the decision naming it."""
    prices = scene({})
    closes = {s: c for s, c in prices.closes.items() if s != symbol}
    with pytest.raises(DataUnavailable, match=symbol):
        KLM.decide(PriceHistory(closes), PARAMS)


def test_lookback_is_enough_and_needed() -> None:
    """lookback_days closes of every symbol decide (KF's FF included); one fewer raises."""
    lookback = KLM.lookback_days(PARAMS)
    prices = scene(
        {"FNGU": Walk(rsi=15.0, amp=0.04), "XLE": Walk(rsi=65.0, amp=0.08)}, tech=STRONG_TECH
    )
    trimmed = {s: c[-lookback:] for s, c in prices.closes.items()}
    assert decide(PriceHistory(trimmed)) == pytest.approx(decide(prices), rel=1e-6)
    with pytest.raises(DataUnavailable):
        KLM.decide(PriceHistory({s: c[1:] for s, c in trimmed.items()}), PARAMS)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError instead of being guessed at."""
    with pytest.raises(StrategyError, match="KlmParameters"):
        KLM.decide(scene({}), NuclearParameters())
