"""Every leaf of SPEC-tecl.md, each reached by a hand-built history (tests named after its steps).

The histories are alternating walks (walk_bars.py); every condition a test relies
on is re-checked with TA-Lib, and the expected weights are the spec's leaves.
"""

import pytest
import walk_bars as wb
from walk_bars import Walk

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters, TeclParameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY

PARAMS = TeclParameters()
TECL = REGISTRY[StrategyName.TECL]
SYMBOLS = TECL.symbols(PARAMS)
LENGTH = max(wb.LENGTH, TECL.lookback_days(PARAMS) + 20)

UVXY_25_BIL_75 = {"UVXY": 0.25, "BIL": 0.75}
UVXY_15_BIL_85 = {"UVXY": 0.15, "BIL": 0.85}
BULL_SPY = Walk(rsi=55.0)
BEAR_SPY = Walk(rsi=45.0)
STRONG_TECH = {"XLK": Walk(rsi=60.0), "KMLM": Walk(rsi=40.0)}
STRONG_TECH_OVERBOUGHT = {"XLK": Walk(rsi=85.0), "KMLM": Walk(rsi=40.0)}
WEAK_TECH_OVERSOLD = {"XLK": Walk(rsi=25.0), "KMLM": Walk(rsi=50.0)}
WEAK_TECH = {"XLK": Walk(rsi=40.0), "KMLM": Walk(rsi=60.0)}


def decide(prices: PriceHistory) -> dict[str, float]:
    """The strategy's weights for a history of exactly its symbols, checked to be valid."""
    assert prices.symbols() == SYMBOLS
    decision = dict(TECL.decide(prices, PARAMS))
    assert set(decision) <= SYMBOLS
    assert sum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    return decision


def bull(walks: dict[str, Walk]) -> PriceHistory:
    """SPY above its 200-day SMA (step 1), every other RSI(10) 50 unless given."""
    prices = wb.history(SYMBOLS, {"SPY": BULL_SPY, **walks}, length=LENGTH)
    assert wb.price(prices, "SPY") > wb.sma(prices, "SPY", 200)
    return prices


def bear(walks: dict[str, Walk]) -> PriceHistory:
    """SPY below its 200-day SMA (step 2), every other RSI(10) 50 unless given."""
    prices = wb.history(SYMBOLS, {"SPY": BEAR_SPY, **walks}, length=LENGTH)
    assert wb.price(prices, "SPY") <= wb.sma(prices, "SPY", 200)
    return prices


def test_reads_and_holds_the_specs_symbols() -> None:
    """The symbols are the spec's: read SPY TQQQ SPXL UVXY XLK KMLM SQQQ BSV, held TECL BIL ..."""
    spec = ["SPY", "TQQQ", "SPXL", "UVXY", "XLK", "KMLM", "SQQQ", "BSV", "TECL", "BIL"]
    assert frozenset(spec) == SYMBOLS


# --- step 1, bull ------------------------------------------------------------------------


def test_step_1_1_tqqq_overbought() -> None:
    """Step 1.1: RSI(TQQQ,10) > 79 -> UVXY 25 / BIL 75."""
    prices = bull({"TQQQ": Walk(rsi=82.0)})
    assert wb.rsi(prices, "TQQQ") > 79
    assert decide(prices) == pytest.approx(UVXY_25_BIL_75)


def test_step_1_2_spy_overbought() -> None:
    """Step 1.2: RSI(SPY,10) > 80 with TQQQ not above 79 -> UVXY 25 / BIL 75."""
    prices = bull({"SPY": Walk(rsi=82.0)})
    assert wb.rsi(prices, "SPY") > 80 and wb.rsi(prices, "TQQQ") <= 79
    assert decide(prices) == pytest.approx(UVXY_25_BIL_75)


def test_step_1_2_threshold_is_80() -> None:
    """Step 1.2 compares strictly with 80: SPY at 79.5 falls through to the KMLM switch."""
    prices = bull({"SPY": Walk(rsi=79.5), **STRONG_TECH})
    assert 79 < wb.rsi(prices, "SPY") <= 80
    assert decide(prices) == {"TECL": 1.0}


def test_step_1_3_ks_1a_strong_tech_overbought() -> None:
    """Step 1.3, KS.1a: RSI(XLK,10) > RSI(KMLM,10) and > 81 -> BIL."""
    prices = bull(STRONG_TECH_OVERBOUGHT)
    assert wb.rsi(prices, "XLK") > max(81, wb.rsi(prices, "KMLM"))
    assert decide(prices) == {"BIL": 1.0}


def test_step_1_3_ks_1b_strong_tech() -> None:
    """Step 1.3, KS.1b: XLK above KMLM, not above 81 -> TECL."""
    prices = bull(STRONG_TECH)
    assert wb.rsi(prices, "KMLM") < wb.rsi(prices, "XLK") <= 81
    assert decide(prices) == {"TECL": 1.0}


def test_step_1_3_ks_2a_weak_tech_oversold() -> None:
    """Step 1.3, KS.2a: XLK not above KMLM and RSI(XLK,10) < 29 -> TECL."""
    prices = bull(WEAK_TECH_OVERSOLD)
    assert wb.rsi(prices, "XLK") < 29
    assert decide(prices) == {"TECL": 1.0}


def test_step_1_3_ks_2b_weak_tech_holds_bil() -> None:
    """Step 1.3, KS.2b: weak tech, XLK not below 29 -> W = BIL."""
    prices = bull(WEAK_TECH)
    assert 29 <= wb.rsi(prices, "XLK") <= wb.rsi(prices, "KMLM")
    assert decide(prices) == {"BIL": 1.0}


# --- step 2, bear ------------------------------------------------------------------------


def test_step_2_1_tqqq_oversold() -> None:
    """Step 2.1: RSI(TQQQ,10) < 31 -> TECL."""
    prices = bear({"TQQQ": Walk(rsi=25.0)})
    assert wb.rsi(prices, "TQQQ") < 31
    assert decide(prices) == {"TECL": 1.0}


def test_step_2_1_threshold_is_31() -> None:
    """Step 2.1 reads 31, not the bull branch's numbers: TQQQ at 30.5 -> TECL."""
    prices = bear({"TQQQ": Walk(rsi=30.5)})
    assert 30 < wb.rsi(prices, "TQQQ") < 31
    assert decide(prices) == {"TECL": 1.0}


def test_step_2_2_spxl_oversold() -> None:
    """Step 2.2: TQQQ not below 31, RSI(SPXL,10) < 29 -> SPXL."""
    prices = bear({"SPXL": Walk(rsi=22.0)})
    assert wb.rsi(prices, "SPXL") < 29 and wb.rsi(prices, "TQQQ") >= 31
    assert decide(prices) == {"SPXL": 1.0}


def test_step_2_3a_uvxy_spike() -> None:
    """Step 2.3a: RSI(UVXY,10) > 84 -> UVXY 15 / BIL 85."""
    prices = bear({"UVXY": Walk(rsi=88.0)})
    assert wb.rsi(prices, "UVXY") > 84
    assert decide(prices) == pytest.approx(UVXY_15_BIL_85)


def test_step_2_3b_uvxy_elevated() -> None:
    """Step 2.3b: RSI(UVXY,10) in (74, 84] -> BIL."""
    prices = bear({"UVXY": Walk(rsi=79.0)})
    assert 74 < wb.rsi(prices, "UVXY") <= 84
    assert decide(prices) == {"BIL": 1.0}


def test_step_2_4_ks_1a_strong_tech_overbought() -> None:
    """Step 2.4, KS.1a: bear, UVXY calm, XLK above KMLM and above 81 -> BIL."""
    prices = bear(STRONG_TECH_OVERBOUGHT)
    assert wb.rsi(prices, "UVXY") <= 74
    assert decide(prices) == {"BIL": 1.0}


def test_step_2_4_ks_1b_strong_tech() -> None:
    """Step 2.4, KS.1b: bear, XLK above KMLM, not above 81 -> TECL."""
    prices = bear(STRONG_TECH)
    assert decide(prices) == {"TECL": 1.0}


def test_step_2_4_ks_2a_weak_tech_oversold_comes_before_the_filter() -> None:
    """Step 2.4, KS.2a: bear, weak tech, XLK < 29 -> TECL (before the SQQQ/BSV choice)."""
    prices = bear({**WEAK_TECH_OVERSOLD, "SQQQ": Walk(rsi=70.0, period=9)})
    assert wb.rsi(prices, "XLK") < 29
    assert decide(prices) == {"TECL": 1.0}


def test_step_2_4_ks_2b_weak_tech_sqqq() -> None:
    """Step 2.4, KS.2b: weak tech, XLK not below 29 -> TOP1 by RSI(9) of SQQQ, BSV: SQQQ higher."""
    prices = bear({**WEAK_TECH, "SQQQ": Walk(rsi=60.0, period=9), "BSV": Walk(rsi=40.0, period=9)})
    assert wb.rsi(prices, "SQQQ", 9) > wb.rsi(prices, "BSV", 9)
    assert decide(prices) == {"SQQQ": 1.0}


def test_step_2_4_ks_2b_weak_tech_bsv() -> None:
    """Step 2.4, KS.2b: the same with BSV's RSI(9) higher -> BSV."""
    prices = bear({**WEAK_TECH, "SQQQ": Walk(rsi=40.0, period=9), "BSV": Walk(rsi=60.0, period=9)})
    assert wb.rsi(prices, "BSV", 9) > wb.rsi(prices, "SQQQ", 9)
    assert decide(prices) == {"BSV": 1.0}


def test_step_2_4_ks_2b_tie_goes_to_the_first_ticker_alphabetically() -> None:
    """Tie-break (the spec leaves it open; docs/symphonies.md): equal RSI(9) -> BSV, A before S."""
    prices = bear({**WEAK_TECH, "SQQQ": Walk(rsi=50.0), "BSV": Walk(rsi=50.0)})
    assert prices.closes["SQQQ"] == prices.closes["BSV"]
    assert decide(prices) == {"BSV": 1.0}


# --- data, history and parameters --------------------------------------------------------


@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_symbol_is_required(symbol: str) -> None:
    """Missing bars for any of the spec's symbols fail the decision, naming it."""
    prices = bull({"TQQQ": Walk(rsi=82.0)})
    closes = {s: c for s, c in prices.closes.items() if s != symbol}
    with pytest.raises(DataUnavailable, match=symbol):
        TECL.decide(PriceHistory(closes), PARAMS)


def test_lookback_is_enough_and_needed() -> None:
    """lookback_days closes of every symbol decide; one fewer of every symbol raises
    DataUnavailable.
    """
    lookback = TECL.lookback_days(PARAMS)
    assert lookback >= 200
    prices = bear(WEAK_TECH)
    trimmed = {s: c[-lookback:] for s, c in prices.closes.items()}
    assert decide(PriceHistory(trimmed)) == decide(prices)
    with pytest.raises(DataUnavailable):
        TECL.decide(PriceHistory({s: c[1:] for s, c in trimmed.items()}), PARAMS)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError instead of being guessed at."""
    with pytest.raises(StrategyError, match="TeclParameters"):
        TECL.decide(bull({}), KlmParameters())
