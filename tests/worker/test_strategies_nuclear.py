"""Every branch of the nuclear strategy, driven by constructed bars."""

import pytest
from strategy_bars import geometric, history, series, talib_above_sma, talib_rsi, volatility

from alchemiser.api import StrategyName
from alchemiser.api.parameters import NuclearParameters, TeclParameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY, Decision
from alchemiser.worker.strategies.nuclear import OVERBOUGHT_WATCH, Nuclear

PARAMS = NuclearParameters()
NUCLEAR = Nuclear()
SYMBOLS = NUCLEAR.symbols(PARAMS)


def decide(prices: PriceHistory) -> Decision:
    """Decide from a history that holds exactly the strategy's symbols."""
    assert prices.symbols() == SYMBOLS
    decision = NUCLEAR.decide(prices, PARAMS)
    assert set(decision) <= SYMBOLS
    assert sum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    return decision


def bull(**overrides: tuple[float, ...]) -> PriceHistory:
    """SPY above its 200-day SMA, every RSI 50 unless overridden."""
    prices = history(SYMBOLS, overrides, trend="up")
    assert talib_above_sma(prices, "SPY")
    return prices


def bear(**overrides: tuple[float, ...]) -> PriceHistory:
    """SPY below its 200-day SMA, every RSI 50 unless overridden."""
    prices = history(SYMBOLS, overrides, trend="down")
    assert not talib_above_sma(prices, "SPY")
    return prices


def test_registered_under_its_name() -> None:
    """REGISTRY maps "nuclear" to this strategy."""
    assert REGISTRY[StrategyName.NUCLEAR].name == StrategyName.NUCLEAR
    assert isinstance(REGISTRY[StrategyName.NUCLEAR], Nuclear)


@pytest.mark.parametrize("symbol", OVERBOUGHT_WATCH)
def test_very_overbought_holds_uvxy(symbol: str) -> None:
    """Branch 1, RSI above 81: any watched symbol at RSI(10) 85 puts the whole slice in UVXY."""
    prices = bull(**{symbol: series(85.0)})
    assert talib_rsi(prices, symbol) > 81
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 1.0}
    assert decision.branch == f"overbought {symbol} above 81"


@pytest.mark.parametrize("symbol", OVERBOUGHT_WATCH)
def test_overbought_holds_uvxy_and_btal(symbol: str) -> None:
    """Branch 1, RSI between 79 and 81: 75% UVXY / 25% BTAL, the split kept."""
    prices = bull(**{symbol: series(80.0)})
    assert 79 < talib_rsi(prices, symbol) < 81
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 0.75, "BTAL": 0.25}
    assert decision.branch == f"overbought {symbol}"


def test_first_overbought_symbol_in_order_decides() -> None:
    """Branch 1 ordering: SPY at 80 is checked before IOO at 85, so the split is held."""
    prices = bull(SPY=series(80.0), IOO=series(85.0))
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 0.75, "BTAL": 0.25}
    assert decision.branch == "overbought SPY"


def test_rsi_at_79_is_not_overbought() -> None:
    """Branch 1 threshold is strict: RSI(10) 78.9 on every watched symbol does not trigger it."""
    prices = bull(**{symbol: series(78.9) for symbol in OVERBOUGHT_WATCH})
    assert not decide(prices).branch.startswith("overbought")


def test_tqqq_oversold_holds_tqqq() -> None:
    """Branch 2: TQQQ RSI(10) below 30 holds TQQQ."""
    prices = bull(TQQQ=series(20.0))
    assert talib_rsi(prices, "TQQQ") < 30
    decision = decide(prices)
    assert dict(decision) == {"TQQQ": 1.0}
    assert decision.branch == "TQQQ oversold"


def test_spy_oversold_holds_upro() -> None:
    """Branch 3: SPY RSI(10) below 30 (TQQQ not oversold) holds UPRO."""
    prices = bull(SPY=series(20.0))
    assert talib_rsi(prices, "SPY") < 30
    assert talib_above_sma(prices, "SPY")
    decision = decide(prices)
    assert dict(decision) == {"UPRO": 1.0}
    assert decision.branch == "SPY oversold"


def test_bull_holds_top_three_nuclear_names_by_momentum() -> None:
    """Branch 4: SPY above its 200-day SMA holds the 3 best 90-day average returns, 1/3 each."""
    momentum = {"SMR": 0.001, "BWXT": 0.004, "LEU": -0.002, "EXC": 0.003, "NLR": 0.002}
    prices = bull(**{s: geometric(g) for s, g in momentum.items()}, OKLO=geometric(0.0005))
    decision = decide(prices)
    assert dict(decision) == pytest.approx({"BWXT": 1 / 3, "EXC": 1 / 3, "NLR": 1 / 3})
    assert decision.branch == "bull: top nuclear momentum"


def test_bull_momentum_ties_break_alphabetically() -> None:
    """Branch 4 ties: equal momentum everywhere picks the first three names alphabetically."""
    flat_growth = geometric(0.001)
    prices = bull(**{s: flat_growth for s in ("SMR", "BWXT", "LEU", "EXC", "NLR", "OKLO")})
    assert set(decide(prices)) == {"BWXT", "EXC", "LEU"}


def test_bear_sqqq_and_qqq_weighted_by_inverse_volatility() -> None:
    """Branch 5, pick A: PSQ RSI below 35 -> SQQQ; pick B: IEF RSI above PSQ's -> QQQ."""
    prices = bear(
        PSQ=series(30.0, trend="down"),
        IEF=series(40.0, trend="down"),
        SQQQ=series(50.0, trend="down", scale=2.0),
    )
    assert talib_rsi(prices, "PSQ") < 35
    assert talib_rsi(prices, "IEF") > talib_rsi(prices, "PSQ")
    inverse = {s: 1.0 / volatility(prices, s) for s in ("SQQQ", "QQQ")}
    expected = {s: v / sum(inverse.values()) for s, v in inverse.items()}
    decision = decide(prices)
    assert dict(decision) == pytest.approx(expected, rel=1e-9)
    assert decision["QQQ"] > decision["SQQQ"]  # the calmer pick gets more
    assert decision.branch == "bear: SQQQ and QQQ"


def test_bear_tqqq_and_psq() -> None:
    """Branch 5, pick A: TLT RSI(20) above PSQ RSI(20) -> TQQQ; pick B: IEF not above PSQ -> PSQ."""
    prices = bear(
        TLT=series(70.0, trend="down", period=20),
        PSQ=series(50.0, trend="down"),
        IEF=series(45.0, trend="down"),
    )
    assert talib_rsi(prices, "PSQ") >= 35
    assert talib_rsi(prices, "TLT", 20) > talib_rsi(prices, "PSQ", 20)
    assert talib_rsi(prices, "IEF") <= talib_rsi(prices, "PSQ")
    decision = decide(prices)
    assert set(decision) == {"TQQQ", "PSQ"}
    inverse = {s: 1.0 / volatility(prices, s) for s in ("TQQQ", "PSQ")}
    assert decision["TQQQ"] == pytest.approx(inverse["TQQQ"] / sum(inverse.values()), rel=1e-9)
    assert decision.branch == "bear: TQQQ and PSQ"


def test_bear_tlt_against_psq_uses_rsi_20() -> None:
    """Branch 5, pick A compares RSI(20): TLT above PSQ on RSI(20) but far below on RSI(10)."""
    prices = bear(
        TLT=series(45.0, trend="up", period=20, scale=0.2),
        PSQ=series(50.0, trend="down"),
        IEF=series(45.0, trend="down"),
    )
    assert talib_rsi(prices, "TLT", 20) > talib_rsi(prices, "PSQ", 20)
    assert talib_rsi(prices, "TLT", 10) < talib_rsi(prices, "PSQ", 10)
    assert decide(prices).branch == "bear: TQQQ and PSQ"


def test_bear_psq_and_qqq() -> None:
    """Branch 5, pick A: TLT RSI(20) not above PSQ's -> PSQ; pick B: IEF above PSQ -> QQQ."""
    prices = bear(
        TLT=series(30.0, trend="down", period=20),
        PSQ=series(50.0, trend="down"),
        IEF=series(60.0, trend="down"),
    )
    assert talib_rsi(prices, "TLT", 20) <= talib_rsi(prices, "PSQ", 20)
    decision = decide(prices)
    assert set(decision) == {"PSQ", "QQQ"}
    assert decision.branch == "bear: PSQ and QQQ"


def test_bear_picks_agree_on_psq() -> None:
    """Branch 5, both picks PSQ: the whole slice goes to PSQ."""
    prices = bear(
        TLT=series(30.0, trend="down", period=20),
        PSQ=series(50.0, trend="down"),
        IEF=series(40.0, trend="down"),
    )
    decision = decide(prices)
    assert dict(decision) == {"PSQ": 1.0}
    assert decision.branch == "bear: PSQ and PSQ"


def test_bear_pick_with_no_volatility_fails() -> None:
    """Branch 5: a pick whose last 14 closes never moved cannot be inverse-weighted."""
    frozen = series(50.0, trend="down")[:-15] + (100.0,) * 15
    prices = bear(PSQ=series(30.0, trend="down"), IEF=series(40.0, trend="down"), SQQQ=frozen)
    with pytest.raises(StrategyError, match="SQQQ"):
        decide(prices)


@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_symbol_is_required(symbol: str) -> None:
    """Missing bars for any listed symbol fail the decision naming it, whatever the branch."""
    prices = bull(SPY=series(85.0))
    closes = {s: c for s, c in prices.closes.items() if s != symbol}
    with pytest.raises(DataUnavailable, match=symbol):
        NUCLEAR.decide(PriceHistory(closes), PARAMS)


def test_lookback_is_enough_and_needed() -> None:
    """Exactly lookback_days bars decide; one bar fewer for SPY raises DataUnavailable."""
    lookback = NUCLEAR.lookback_days(PARAMS)
    assert lookback >= 200
    prices = bull()
    trimmed = {s: c[-lookback:] for s, c in prices.closes.items()}
    NUCLEAR.decide(PriceHistory(trimmed), PARAMS)
    trimmed["SPY"] = trimmed["SPY"][1:]
    with pytest.raises(DataUnavailable, match="SPY"):
        NUCLEAR.decide(PriceHistory(trimmed), PARAMS)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError instead of being guessed at."""
    with pytest.raises(StrategyError, match="NuclearParameters"):
        NUCLEAR.decide(bull(), TeclParameters())
