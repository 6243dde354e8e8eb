"""Every leaf of SPEC-nuclear.md, each reached by a hand-built history (tests named after its
steps).

The histories are alternating walks (walk_bars.py); every condition a test relies
on is re-checked with TA-Lib, and every expected weight is derived from the spec
by hand: single leaves are literal, and the bear basket's inverse-volatility
weights follow from the walks' amplitudes (a group that holds one symbol on every
recent session has exactly that symbol's return amplitude as its volatility).
"""

from collections.abc import Callable

import pytest
import walk_bars as wb
from hypothesis import given, settings
from hypothesis import strategies as st
from walk_bars import Walk

from alchemiser.api import StrategyName
from alchemiser.api.parameters import NuclearParameters, TeclParameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY

PARAMS = NuclearParameters()
NUCLEAR = REGISTRY[StrategyName.NUCLEAR]
SYMBOLS = NUCLEAR.symbols(PARAMS)
LENGTH = max(wb.LENGTH, NUCLEAR.lookback_days(PARAMS) + 20)

U = {"UVXY": 1.0}
UB = {"UVXY": 0.75, "BTAL": 0.25}
OVERBOUGHT = Walk(rsi=80.0)  # above 79, not above 81
VERY_OVERBOUGHT = Walk(rsi=85.0)
BULL_SPY = Walk(rsi=55.0)  # price above its 200-day SMA
BEAR_SPY = Walk(rsi=45.0)  # price below it
# The bear basket's held symbols, each with its own return amplitude (its volatility).
AMP = {"SQQQ": 0.024, "TQQQ": 0.03, "PSQ": 0.012, "QQQ": 0.01}
# Sessions over which a bear test checks its conditions: the 14 the volatility
# window's returns come from, plus the session before them.
GROUP_SESSIONS = 15


def decide(prices: PriceHistory) -> dict[str, float]:
    """The strategy's weights for a history of exactly its symbols, checked to be valid."""
    assert prices.symbols() == SYMBOLS
    decision = dict(NUCLEAR.decide(prices, PARAMS))
    assert set(decision) <= SYMBOLS
    assert sum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    return decision


def world(walks: dict[str, Walk]) -> PriceHistory:
    """Every symbol at RSI(10) 50 with 1% amplitude unless given its own walk."""
    return wb.history(SYMBOLS, walks, length=LENGTH)


def test_reads_and_holds_the_specs_twenty_symbols() -> None:
    """The symbols are the spec's 20: 16 read, UVXY, BTAL, UPRO, SQQQ held only."""
    assert (
        frozenset(
            [
                "SPY",
                "IOO",
                "TQQQ",
                "VTV",
                "XLF",
                "VOX",
                "PSQ",
                "QQQ",
                "TLT",
                "IEF",
                "SMR",
                "BWXT",
                "LEU",
                "EXC",
                "NLR",
                "OKLO",
                "UVXY",
                "BTAL",
                "UPRO",
                "SQQQ",
            ]
        )
        == SYMBOLS
    )


# Steps 1-6: (step, trigger symbol at RSI 80, symbol above 81 or None for the UB leaf).
HEDGE_LEAVES = [
    ("1a", "SPY", "SPY"),
    ("1b", "SPY", "IOO"),
    ("1c", "SPY", "TQQQ"),
    ("1d", "SPY", "VTV"),
    ("1e", "SPY", "XLF"),
    ("1f", "SPY", None),
    ("2a", "IOO", "IOO"),
    ("2b", "IOO", "TQQQ"),
    ("2c", "IOO", "VTV"),
    ("2d", "IOO", "XLF"),
    ("2e", "IOO", None),
    ("3a", "TQQQ", "TQQQ"),
    ("3b", "TQQQ", "VTV"),
    ("3c", "TQQQ", "XLF"),
    ("3d", "TQQQ", None),
    ("4a", "VTV", "VTV"),
    ("4b", "VTV", "XLF"),
    ("4c", "VTV", None),
    ("5a", "XLF", "XLF"),
    ("5b", "XLF", None),
    ("6", "VOX", None),
]


@pytest.mark.parametrize(("step", "trigger", "above_81"), HEDGE_LEAVES)
def test_steps_1_to_6_overbought_hedges(step: str, trigger: str, above_81: str | None) -> None:
    """Steps 1-6: the trigger above 79; a later-listed symbol above 81 -> UVXY, else UVXY 75/BTAL
    25.
    """
    walks = {"SPY": BULL_SPY, trigger: OVERBOUGHT}
    if above_81 is not None:
        walks[above_81] = VERY_OVERBOUGHT
    prices = world(walks)
    assert 79 < wb.rsi(prices, trigger) <= 81 or trigger == above_81
    earlier = ["SPY", "IOO", "TQQQ", "VTV", "XLF", "VOX"]
    for symbol in earlier[: earlier.index(trigger)]:
        assert wb.rsi(prices, symbol) <= 79, step
    if above_81 is not None:
        assert wb.rsi(prices, above_81) > 81
    assert decide(prices) == (U if above_81 is not None else UB)


def test_step_6_inner_test_reads_xlf_not_vox() -> None:
    """Step 6: VOX above 81 still gives UB (the inner test reads XLF, which step 5 kept at or below
    79).
    """
    prices = world({"SPY": BULL_SPY, "VOX": VERY_OVERBOUGHT})
    assert wb.rsi(prices, "VOX") > 81
    assert wb.rsi(prices, "XLF") <= 79
    assert decide(prices) == UB


WATCHED = ("SPY", "IOO", "TQQQ", "VTV", "XLF", "VOX")


@settings(max_examples=40, deadline=None)
@given(levels=st.tuples(*[st.sampled_from([70.0, 80.0, 85.0])] * len(WATCHED)))
def test_steps_1_to_6_equal_their_reduced_form(levels: tuple[float, ...]) -> None:
    """Steps 1-6 as the spec reduces them: any of H above 81 -> U; else any of H + VOX above 79 ->
    UB.
    """
    prices = world({s: Walk(rsi=level) for s, level in zip(WATCHED, levels, strict=True)})
    rsis = {s: wb.rsi(prices, s) for s in WATCHED}
    decision = decide(prices)
    if max(rsis[s] for s in WATCHED[:5]) > 81:
        assert decision == U
    elif max(rsis.values()) > 79:
        assert decision == UB
    else:
        assert decision not in (U, UB)


def test_rsi_at_79_is_not_overbought() -> None:
    """Steps 1-6 compare strictly: RSI(10) 78.9 on all six watched falls through to step 9."""
    momentum = {s: wb.closes(Walk(rsi=60.0), LENGTH) for s in ("SMR", "BWXT", "LEU")}
    walks = {s: Walk(rsi=78.9) for s in ("IOO", "TQQQ", "VTV", "XLF", "VOX")}
    prices = world({"SPY": BULL_SPY, **walks})
    assert all(wb.rsi(prices, s) < 79 for s in walks)
    prices = PriceHistory({**prices.closes, **momentum})
    assert decide(prices) == pytest.approx({"SMR": 1 / 3, "BWXT": 1 / 3, "LEU": 1 / 3})


def test_step_7_tqqq_oversold() -> None:
    """Step 7: TQQQ RSI(10) below 30 -> TQQQ."""
    prices = world({"SPY": BULL_SPY, "TQQQ": Walk(rsi=20.0)})
    assert wb.rsi(prices, "TQQQ") < 30
    assert decide(prices) == {"TQQQ": 1.0}


def test_step_8_spy_oversold() -> None:
    """Step 8: SPY RSI(10) below 30 (TQQQ not) -> UPRO, whatever the trend."""
    prices = world({"SPY": Walk(rsi=20.0)})
    assert wb.rsi(prices, "SPY") < 30 <= wb.rsi(prices, "TQQQ")
    assert decide(prices) == {"UPRO": 1.0}


def test_step_9_bull_top_three_by_90_day_moving_average_return() -> None:
    """Step 9: SPY above its 200-day SMA -> the 3 best MAR(90) of the six names, 1/3 each."""
    growth = {
        "SMR": 0.001,
        "BWXT": 0.004,
        "LEU": -0.002,
        "EXC": 0.003,
        "NLR": 0.002,
        "OKLO": 0.0005,
    }
    geometric = {s: tuple(100.0 * (1.0 + g) ** i for i in range(LENGTH)) for s, g in growth.items()}
    prices = world({"SPY": BULL_SPY})
    assert wb.price(prices, "SPY") > wb.sma(prices, "SPY", 200)
    prices = PriceHistory({**prices.closes, **geometric})
    assert decide(prices) == pytest.approx({"BWXT": 1 / 3, "EXC": 1 / 3, "NLR": 1 / 3})


def test_step_9_ties_go_to_the_first_tickers_alphabetically() -> None:
    """Step 9 tie-break (the spec leaves it open): six equal MAR(90) -> BWXT, EXC, LEU (A to Z)."""
    same = tuple(100.0 * 1.001**i for i in range(LENGTH))
    prices = world({"SPY": BULL_SPY})
    names = ("SMR", "BWXT", "LEU", "EXC", "NLR", "OKLO")
    prices = PriceHistory({**prices.closes, **dict.fromkeys(names, same)})
    assert decide(prices) == pytest.approx({"BWXT": 1 / 3, "EXC": 1 / 3, "LEU": 1 / 3})


# --- step 10, the bear basket ------------------------------------------------------------


def bear(walks: dict[str, Walk]) -> PriceHistory:
    """SPY below its 200-day SMA, no step 1-8 condition true, held symbols on their amplitudes."""
    held = {s: Walk(rsi=50.0, amp=a) for s, a in AMP.items()}
    prices = world({**held, "SPY": BEAR_SPY, **walks})
    assert wb.price(prices, "SPY") < wb.sma(prices, "SPY", 200)
    for symbol in ("SPY", "IOO", "TQQQ", "VTV", "XLF", "VOX"):
        assert 30 <= wb.rsi(prices, symbol) <= 79, symbol
    return prices


def expected_mix(b1: str, b2: str) -> dict[str, float]:
    """Spec step 10 when each group held its pick on all recent sessions: 1/amplitude weights."""
    if b1 == b2:
        return {b1: 1.0}
    return wb.inverse_weights({b1: AMP[b1], b2: AMP[b2]})


Condition = Callable[[PriceHistory], bool]


def psq_oversold(h: PriceHistory) -> bool:
    """B1.a / B2.a: RSI(PSQ,10) < 35."""
    return wb.rsi(h, "PSQ", 10) < 35


def qqq_crashed(h: PriceHistory) -> bool:
    """B1.b: CR(QQQ,60) < -10."""
    return wb.cumulative_return(h, "QQQ", 60) < -10


def tqqq_above_sma20(h: PriceHistory) -> bool:
    """B1.c / B2.b: PRICE(TQQQ) > SMA(TQQQ,20)."""
    return wb.price(h, "TQQQ") > wb.sma(h, "TQQQ", 20)


def ief_over_psq(h: PriceHistory) -> bool:
    """B1.d: RSI(IEF,10) > RSI(PSQ,20)."""
    return wb.rsi(h, "IEF", 10) > wb.rsi(h, "PSQ", 20)


def tlt_over_psq(h: PriceHistory) -> bool:
    """B1.b/c/e, B2.b/c: RSI(TLT,20) > RSI(PSQ,20)."""
    return wb.rsi(h, "TLT", 20) > wb.rsi(h, "PSQ", 20)


def assert_on_recent_sessions(prices: PriceHistory, conditions: dict[Condition, bool]) -> None:
    """Each condition has the given truth on every session the volatility window depends on."""
    for past in wb.recent(prices, GROUP_SESSIONS):
        for condition, truth in conditions.items():
            assert condition(past) is truth, condition.__doc__


PSQ_CALM = Walk(rsi=50.0, amp=AMP["PSQ"])
PSQ_OVERSOLD = Walk(rsi=25.0, amp=AMP["PSQ"])
QQQ_CRASHED = Walk(rsi=35.0, amp=AMP["QQQ"])
QQQ_CALM = Walk(rsi=55.0, amp=AMP["QQQ"])
TQQQ_UP = Walk(rsi=60.0, amp=AMP["TQQQ"])
TQQQ_DOWN = Walk(rsi=40.0, amp=AMP["TQQQ"])
TLT_STRONG = Walk(rsi=65.0, period=20)
TLT_WEAK = Walk(rsi=35.0, period=20)
IEF_STRONG = Walk(rsi=75.0)
IEF_WEAK = Walk(rsi=30.0)

# (B1 leaf, B2 leaf, walks, conditions on every recent session, B1 pick, B2 pick)
BEAR_LEAVES = [
    ("B1.a", "B2.a", {"PSQ": PSQ_OVERSOLD}, {psq_oversold: True}, "SQQQ", "SQQQ"),
    (
        "B1.b TQQQ",
        "B2.c",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CRASHED, "TQQQ": TQQQ_DOWN, "TLT": TLT_STRONG},
        {psq_oversold: False, qqq_crashed: True, tqqq_above_sma20: False, tlt_over_psq: True},
        "TQQQ",
        "QQQ",
    ),
    (
        "B1.b PSQ",
        "B2.d",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CRASHED, "TQQQ": TQQQ_DOWN, "TLT": TLT_WEAK},
        {psq_oversold: False, qqq_crashed: True, tqqq_above_sma20: False, tlt_over_psq: False},
        "PSQ",
        "SQQQ",
    ),
    (
        "B1.c TQQQ",
        "B2.b TQQQ",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CALM, "TQQQ": TQQQ_UP, "TLT": TLT_STRONG},
        {psq_oversold: False, qqq_crashed: False, tqqq_above_sma20: True, tlt_over_psq: True},
        "TQQQ",
        "TQQQ",
    ),
    (
        "B1.c SQQQ",
        "B2.b SQQQ",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CALM, "TQQQ": TQQQ_UP, "TLT": TLT_WEAK},
        {psq_oversold: False, qqq_crashed: False, tqqq_above_sma20: True, tlt_over_psq: False},
        "SQQQ",
        "SQQQ",
    ),
    (
        "B1.d",
        "B2.c",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CALM, "TQQQ": TQQQ_DOWN, "TLT": TLT_STRONG, "IEF": IEF_STRONG},
        {
            psq_oversold: False,
            qqq_crashed: False,
            tqqq_above_sma20: False,
            ief_over_psq: True,
            tlt_over_psq: True,
        },
        "SQQQ",
        "QQQ",
    ),
    (
        "B1.e",
        "B2.c",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CALM, "TQQQ": TQQQ_DOWN, "TLT": TLT_STRONG, "IEF": IEF_WEAK},
        {
            psq_oversold: False,
            qqq_crashed: False,
            tqqq_above_sma20: False,
            ief_over_psq: False,
            tlt_over_psq: True,
        },
        "QQQ",
        "QQQ",
    ),
    (
        "B1.f",
        "B2.d",
        {"PSQ": PSQ_CALM, "QQQ": QQQ_CALM, "TQQQ": TQQQ_DOWN, "TLT": TLT_WEAK, "IEF": IEF_WEAK},
        {
            psq_oversold: False,
            qqq_crashed: False,
            tqqq_above_sma20: False,
            ief_over_psq: False,
            tlt_over_psq: False,
        },
        "SQQQ",
        "SQQQ",
    ),
]


@pytest.mark.parametrize(
    ("b1_leaf", "b2_leaf", "walks", "conditions", "b1", "b2"),
    BEAR_LEAVES,
    ids=[f"{row[0]}+{row[1]}" for row in BEAR_LEAVES],
)
def test_step_10_bear_leaves(  # noqa: PLR0917 (one parametrized row)
    b1_leaf: str,
    b2_leaf: str,
    walks: dict[str, Walk],
    conditions: dict[Condition, bool],
    b1: str,
    b2: str,
) -> None:
    """Step 10: each B1/B2 leaf, held on every recent session, weighted by 1/(its group's
    volatility).
    """
    prices = bear(walks)
    assert_on_recent_sessions(prices, conditions)
    assert decide(prices) == pytest.approx(expected_mix(b1, b2), rel=1e-6)


def test_step_10_inverse_volatility_of_the_groups_own_returns() -> None:
    """Step 10 by hand: B1 switched from QQQ to TQQQ three sessions ago, so its 14-day volatility
    mixes both.

    QQQ's closes are lifted 25% on the sessions 63..60 before today, so CR(QQQ,60) < -10 exactly
    on the last 4 sessions (t-3..t): B1 takes step b (TQQQ) there and step e (QQQ) before.
    B2 holds QQQ throughout (step c). B1's daily returns for t-13..t are QQQ's for
    t-13..t-3 (held from the closes t-14..t-4) and TQQQ's for t-2..t (held from t-3..t-1).
    """
    qqq = Walk(rsi=55.0, amp=AMP["QQQ"], plateau=(63, 60, 1.25))
    walks = {"PSQ": PSQ_CALM, "QQQ": qqq, "TQQQ": TQQQ_DOWN, "TLT": TLT_STRONG, "IEF": IEF_WEAK}
    prices = bear(walks)
    fixed = {psq_oversold: False, tqqq_above_sma20: False, ief_over_psq: False, tlt_over_psq: True}
    assert_on_recent_sessions(prices, fixed)
    crashed = [qqq_crashed(past) for past in wb.recent(prices, GROUP_SESSIONS)]
    assert crashed == [False] * 11 + [True] * 4
    qqq_returns = wb.daily_returns(prices, "QQQ", 14)
    tqqq_returns = wb.daily_returns(prices, "TQQQ", 14)
    b1_returns = qqq_returns[:11] + tqqq_returns[11:]
    sigma = {"TQQQ": wb.population_stdev(b1_returns), "QQQ": wb.population_stdev(qqq_returns)}
    assert sigma["QQQ"] == pytest.approx(AMP["QQQ"], rel=1e-9)
    expected = wb.inverse_weights(sigma)
    decision = decide(prices)
    assert decision == pytest.approx(expected, rel=1e-6)
    # Weighting today's picks by their own volatility (the old reading) would differ.
    assert decision["TQQQ"] > wb.inverse_weights({"TQQQ": AMP["TQQQ"], "QQQ": AMP["QQQ"]})["TQQQ"]


# --- data, history and parameters --------------------------------------------------------


@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_symbol_is_required(symbol: str) -> None:
    """Missing bars for any of the spec's symbols fail the decision, naming it."""
    prices = world({"SPY": VERY_OVERBOUGHT})
    closes = {s: c for s, c in prices.closes.items() if s != symbol}
    with pytest.raises(DataUnavailable, match=symbol):
        NUCLEAR.decide(PriceHistory(closes), PARAMS)


def test_lookback_is_enough_and_needed() -> None:
    """Exactly lookback_days bars decide the bear basket; one bar fewer raises DataUnavailable."""
    lookback = NUCLEAR.lookback_days(PARAMS)
    prices = bear({"PSQ": PSQ_CALM, "QQQ": QQQ_CALM, "TQQQ": TQQQ_DOWN, "TLT": TLT_STRONG})
    trimmed = {s: c[-lookback:] for s, c in prices.closes.items()}
    assert decide(PriceHistory(trimmed)) == pytest.approx(decide(prices), rel=1e-6)
    trimmed["TQQQ"] = trimmed["TQQQ"][1:]
    with pytest.raises(DataUnavailable, match="TQQQ"):
        NUCLEAR.decide(PriceHistory(trimmed), PARAMS)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError instead of being guessed at."""
    with pytest.raises(StrategyError, match="NuclearParameters"):
        NUCLEAR.decide(world({}), TeclParameters())
