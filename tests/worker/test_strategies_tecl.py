"""Every branch of the tecl strategy and its KMLM switch, driven by constructed bars."""

import pytest
from strategy_bars import history, series, talib_above_sma, talib_rsi

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters, TeclParameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY, Decision
from alchemiser.worker.strategies.tecl import Tecl

PARAMS = TeclParameters()
TECL = Tecl()
SYMBOLS = TECL.symbols(PARAMS)


def decide(prices: PriceHistory) -> Decision:
    """Decide from a history that holds exactly the strategy's symbols."""
    assert prices.symbols() == SYMBOLS
    decision = TECL.decide(prices, PARAMS)
    assert set(decision) <= SYMBOLS
    assert sum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    return decision


def bull(**overrides: tuple[float, ...]) -> PriceHistory:
    """SPY above its 200-day SMA, every RSI 50 unless overridden."""
    prices = history(SYMBOLS, overrides, trend="up")
    assert talib_above_sma(prices, "SPY")
    return prices


def bear(**overrides: tuple[float, ...]) -> PriceHistory:
    """SPY below its 200-day SMA, every RSI 50 unless overridden (series trend down)."""
    prices = history(SYMBOLS, overrides, trend="down")
    assert not talib_above_sma(prices, "SPY")
    return prices


def down(rsi: float, period: int = 10) -> tuple[float, ...]:
    """A falling series with the given RSI."""
    return series(rsi, trend="down", period=period)


def test_registered_under_its_name() -> None:
    """REGISTRY maps "tecl" to this strategy."""
    assert isinstance(REGISTRY[StrategyName.TECL], Tecl)
    assert REGISTRY[StrategyName.TECL].name == StrategyName.TECL


def test_bull_tqqq_overbought_holds_uvxy_and_bil() -> None:
    """Bull, TQQQ RSI(10) above 79: 25% UVXY / 75% BIL, the split kept."""
    prices = bull(TQQQ=series(82.0))
    assert talib_rsi(prices, "TQQQ") > 79
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 0.25, "BIL": 0.75}
    assert decision.branch == "bull: overbought"


def test_bull_spy_overbought_holds_uvxy_and_bil() -> None:
    """Bull, SPY RSI(10) above 80 (TQQQ calm): 25% UVXY / 75% BIL."""
    prices = bull(SPY=series(81.0))
    assert talib_rsi(prices, "SPY") > 80
    assert dict(decide(prices)) == {"UVXY": 0.25, "BIL": 0.75}


def test_bull_spy_threshold_is_80_not_79() -> None:
    """Bull: SPY at RSI 79.5 is not overbought (its threshold is 80), so the switch decides."""
    prices = bull(SPY=series(79.5), XLK=series(60.0), KMLM=series(40.0))
    decision = decide(prices)
    assert decision.branch == "kmlm switch: strong tech"


def test_bull_strong_tech_holds_tecl() -> None:
    """Bull, KMLM switch: XLK RSI(10) above KMLM's (XLK not above 81) holds TECL."""
    prices = bull(XLK=series(60.0), KMLM=series(40.0))
    assert talib_rsi(prices, "XLK") > talib_rsi(prices, "KMLM")
    decision = decide(prices)
    assert dict(decision) == {"TECL": 1.0}
    assert decision.branch == "kmlm switch: strong tech"


def test_bull_strong_tech_overbought_holds_bil() -> None:
    """Bull, KMLM switch: XLK above KMLM and XLK RSI(10) above 81 holds BIL."""
    prices = bull(XLK=series(85.0), KMLM=series(40.0))
    assert talib_rsi(prices, "XLK") > 81
    decision = decide(prices)
    assert dict(decision) == {"BIL": 1.0}
    assert decision.branch == "kmlm switch: strong tech, XLK overbought"


def test_bull_weak_tech_oversold_xlk_holds_tecl() -> None:
    """Bull, KMLM switch weak tech: XLK RSI(10) below 29 holds TECL."""
    prices = bull(XLK=series(25.0), KMLM=series(40.0))
    assert talib_rsi(prices, "XLK") < 29
    decision = decide(prices)
    assert dict(decision) == {"TECL": 1.0}
    assert decision.branch == "bull: weak tech, XLK oversold"


def test_bull_weak_tech_holds_bil() -> None:
    """Bull, KMLM switch weak tech: XLK RSI(10) not below 29 holds BIL."""
    prices = bull(XLK=series(40.0), KMLM=series(60.0))
    decision = decide(prices)
    assert dict(decision) == {"BIL": 1.0}
    assert decision.branch == "bull: weak tech"


def test_bull_equal_rsi_is_weak_tech() -> None:
    """Bull, KMLM switch: XLK exactly equal to KMLM is not "above", so weak tech decides."""
    prices = bull()
    assert talib_rsi(prices, "XLK") == talib_rsi(prices, "KMLM")
    assert decide(prices).branch == "bull: weak tech"


def test_bear_tqqq_oversold_holds_tecl() -> None:
    """Bear, TQQQ RSI(10) below 31 holds TECL."""
    prices = bear(TQQQ=down(28.0))
    assert talib_rsi(prices, "TQQQ") < 31
    decision = decide(prices)
    assert dict(decision) == {"TECL": 1.0}
    assert decision.branch == "bear: TQQQ oversold"


def test_bear_spxl_oversold_holds_spxl() -> None:
    """Bear, SPXL RSI(10) below 29 (TQQQ not oversold) holds SPXL."""
    prices = bear(SPXL=down(25.0))
    assert talib_rsi(prices, "SPXL") < 29
    decision = decide(prices)
    assert dict(decision) == {"SPXL": 1.0}
    assert decision.branch == "bear: SPXL oversold"


def test_bear_uvxy_spike_holds_uvxy_and_bil() -> None:
    """Bear, UVXY RSI(10) above 84: 15% UVXY / 85% BIL, the split kept."""
    prices = bear(UVXY=down(88.0))
    assert talib_rsi(prices, "UVXY") > 84
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 0.15, "BIL": 0.85}
    assert decision.branch == "bear: UVXY spike"


def test_bear_uvxy_elevated_holds_bil() -> None:
    """Bear, UVXY RSI(10) above 74 but not above 84 holds BIL."""
    prices = bear(UVXY=down(80.0))
    assert 74 < talib_rsi(prices, "UVXY") <= 84
    decision = decide(prices)
    assert dict(decision) == {"BIL": 1.0}
    assert decision.branch == "bear: UVXY elevated"


def test_bear_strong_tech_holds_tecl() -> None:
    """Bear, KMLM switch: XLK RSI(10) above KMLM's holds TECL."""
    prices = bear(XLK=down(60.0), KMLM=down(40.0))
    decision = decide(prices)
    assert dict(decision) == {"TECL": 1.0}
    assert decision.branch == "kmlm switch: strong tech"


def test_bear_strong_tech_overbought_holds_bil() -> None:
    """Bear, KMLM switch: XLK above KMLM and above 81 holds BIL."""
    prices = bear(XLK=down(85.0), KMLM=down(40.0))
    decision = decide(prices)
    assert dict(decision) == {"BIL": 1.0}
    assert decision.branch == "kmlm switch: strong tech, XLK overbought"


def test_bear_weak_tech_holds_sqqq_when_its_rsi9_is_higher() -> None:
    """Bear, KMLM switch weak tech: SQQQ RSI(9) above BSV's holds SQQQ."""
    prices = bear(XLK=down(40.0), KMLM=down(60.0), SQQQ=down(60.0, 9), BSV=down(40.0, 9))
    assert talib_rsi(prices, "SQQQ", 9) > talib_rsi(prices, "BSV", 9)
    decision = decide(prices)
    assert dict(decision) == {"SQQQ": 1.0}
    assert decision.branch == "bear: weak tech, stronger of SQQQ/BSV"


def test_bear_weak_tech_holds_bsv_when_its_rsi9_is_higher() -> None:
    """Bear, KMLM switch weak tech: BSV RSI(9) above SQQQ's holds BSV."""
    prices = bear(XLK=down(40.0), KMLM=down(60.0), SQQQ=down(40.0, 9), BSV=down(60.0, 9))
    assert talib_rsi(prices, "BSV", 9) > talib_rsi(prices, "SQQQ", 9)
    decision = decide(prices)
    assert dict(decision) == {"BSV": 1.0}
    assert decision.branch == "bear: weak tech, stronger of SQQQ/BSV"


def test_bear_weak_tech_compares_rsi_9() -> None:
    """Bear, KMLM switch weak tech: SQQQ above BSV on RSI(9) wins though BSV leads on RSI(10)."""
    prices = bear(
        XLK=down(40.0),
        KMLM=down(60.0),
        SQQQ=series(50.5, trend="down", period=9, scale=0.2),
        BSV=series(49.5, trend="up", period=9, scale=0.2),
    )
    assert talib_rsi(prices, "SQQQ", 9) > talib_rsi(prices, "BSV", 9)
    assert talib_rsi(prices, "SQQQ", 10) < talib_rsi(prices, "BSV", 10)
    assert dict(decide(prices)) == {"SQQQ": 1.0}


def test_bear_weak_tech_ignores_the_bull_oversold_rule() -> None:
    """Bear, weak tech with XLK RSI below 29: the bear rule (SQQQ/BSV) applies, not TECL."""
    prices = bear(XLK=down(20.0), KMLM=down(60.0), SQQQ=down(40.0, 9), BSV=down(60.0, 9))
    assert talib_rsi(prices, "XLK") < 29
    assert dict(decide(prices)) == {"BSV": 1.0}


@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_symbol_is_required(symbol: str) -> None:
    """Missing bars for any listed symbol fail the decision naming it, whatever the branch."""
    prices = bull(TQQQ=series(82.0))
    closes = {s: c for s, c in prices.closes.items() if s != symbol}
    with pytest.raises(DataUnavailable, match=symbol):
        TECL.decide(PriceHistory(closes), PARAMS)


def test_lookback_is_enough_and_needed() -> None:
    """Exactly lookback_days bars decide; one bar fewer for XLK raises DataUnavailable."""
    lookback = TECL.lookback_days(PARAMS)
    assert lookback >= 200
    trimmed = {s: c[-lookback:] for s, c in bull().closes.items()}
    TECL.decide(PriceHistory(trimmed), PARAMS)
    trimmed["XLK"] = trimmed["XLK"][1:]
    with pytest.raises(DataUnavailable, match="XLK"):
        TECL.decide(PriceHistory(trimmed), PARAMS)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError."""
    with pytest.raises(StrategyError, match="TeclParameters"):
        TECL.symbols(KlmParameters())
