"""Every branch of the klm strategy, driven by constructed bars."""

import pytest
from strategy_bars import history, series, talib_rsi, volatility

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters, NuclearParameters
from alchemiser.errors import DataUnavailable, StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import REGISTRY, Decision
from alchemiser.worker.strategies.klm import GUARDED, LOW_VOLATILITY, POPS, Klm

PARAMS = KlmParameters()
KLM = Klm()
SYMBOLS = KLM.symbols(PARAMS)


def decide(prices: PriceHistory) -> Decision:
    """Decide from a history that holds exactly the strategy's symbols."""
    assert prices.symbols() == SYMBOLS
    decision = KLM.decide(prices, PARAMS)
    assert set(decision) <= SYMBOLS
    assert sum(decision.values()) == pytest.approx(1.0, abs=1e-12)
    return decision


def prices_with(**overrides: tuple[float, ...]) -> PriceHistory:
    """Every RSI 50 unless overridden."""
    return history(SYMBOLS, overrides)


def test_registered_under_its_name() -> None:
    """REGISTRY maps "klm" to this strategy."""
    assert isinstance(REGISTRY[StrategyName.KLM], Klm)
    assert REGISTRY[StrategyName.KLM].name == StrategyName.KLM


def test_symbols_cover_every_pick() -> None:
    """Every symbol a branch can pick is listed (the old bot's list missed some)."""
    assert {"UVXY", "TECL", "SOXL", "SPXL", "BIL", "FTLS", "KMLM", "SSO", "UUP"} <= SYMBOLS


@pytest.mark.parametrize("symbol", GUARDED)
def test_overbought_guard_holds_uvxy(symbol: str) -> None:
    """Branch 1: RSI(10) above 79 on any guarded symbol holds UVXY."""
    prices = prices_with(**{symbol: series(80.0)})
    assert talib_rsi(prices, symbol) > 79
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 1.0}
    assert decision.branch == f"overbought {symbol}"


def test_xlp_guard_uses_75() -> None:
    """Branch 1: XLP at RSI(10) 77 (above its own 75 threshold) holds UVXY."""
    prices = prices_with(XLP=series(77.0))
    assert 75 < talib_rsi(prices, "XLP") < 79
    decision = decide(prices)
    assert dict(decision) == {"UVXY": 1.0}
    assert decision.branch == "overbought XLP"


def test_guarded_symbols_use_79() -> None:
    """Branch 1: RSI(10) 77 on every guarded symbol (below 79) does not trip the guard."""
    prices = prices_with(**{symbol: series(77.0) for symbol in GUARDED})
    assert not decide(prices).branch.startswith("overbought")


@pytest.mark.parametrize("symbol", POPS)
def test_oversold_pop_buys_the_symbol(symbol: str) -> None:
    """Branch 2: TECL, SOXL or SPXL with RSI(10) below 30 is bought."""
    prices = prices_with(**{symbol: series(25.0)})
    assert talib_rsi(prices, symbol) < 30
    decision = decide(prices)
    assert dict(decision) == {symbol: 1.0}
    assert decision.branch == f"{symbol} oversold pop"


def test_pops_are_checked_in_order() -> None:
    """Branch 2 ordering: SOXL and SPXL both oversold buys SOXL (listed first)."""
    prices = prices_with(SOXL=series(20.0), SPXL=series(10.0))
    assert dict(decide(prices)) == {"SOXL": 1.0}


def test_guard_comes_before_pops() -> None:
    """Branch 1 before 2: an overbought SPY wins over an oversold TECL."""
    prices = prices_with(SPY=series(85.0), TECL=series(20.0))
    assert dict(decide(prices)) == {"UVXY": 1.0}


def test_strong_tech_holds_tecl() -> None:
    """Branch 3, KMLM switch: XLK RSI(10) above KMLM's (not above 81) holds TECL."""
    prices = prices_with(XLK=series(60.0), KMLM=series(40.0))
    decision = decide(prices)
    assert dict(decision) == {"TECL": 1.0}
    assert decision.branch == "kmlm switch: strong tech"


def test_strong_tech_overbought_holds_bil() -> None:
    """Branch 3, KMLM switch: XLK above KMLM and RSI(10) above 81 holds BIL."""
    prices = prices_with(XLK=series(85.0), KMLM=series(40.0))
    assert talib_rsi(prices, "XLK") > 81
    decision = decide(prices)
    assert dict(decision) == {"BIL": 1.0}
    assert decision.branch == "kmlm switch: strong tech, XLK overbought"


@pytest.mark.parametrize("calmest", LOW_VOLATILITY)
def test_weak_tech_holds_the_lowest_volatility(calmest: str) -> None:
    """Branch 3 weak tech: the lowest 14-day volatility of FTLS, KMLM, SSO, UUP is held."""
    overrides = {s: series(50.0, scale=1.0 + i) for i, s in enumerate(LOW_VOLATILITY)}
    overrides["KMLM"] = series(60.0, scale=2.5)
    overrides[calmest] = series(60.0 if calmest == "KMLM" else 50.0, scale=0.2)
    prices = prices_with(XLK=series(40.0), **overrides)
    assert talib_rsi(prices, "XLK") <= talib_rsi(prices, "KMLM")
    assert min(LOW_VOLATILITY, key=lambda s: volatility(prices, s)) == calmest
    decision = decide(prices)
    assert dict(decision) == {calmest: 1.0}
    assert decision.branch == "weak tech: lowest volatility"


def test_weak_tech_volatility_is_over_14_days() -> None:
    """Branch 3 weak tech: FTLS, calm for 14 days after a wild month, beats a steady SSO."""
    wild = series(50.0, scale=3.0)
    recently_calm = wild[:-15] + tuple(wild[-16] + (0.05 if i % 2 else 0.0) for i in range(15))
    prices = prices_with(
        XLK=series(40.0),
        KMLM=series(60.0, scale=2.0),
        FTLS=recently_calm,
        SSO=series(50.0, scale=0.5),
        UUP=series(50.0, scale=2.0),
    )
    assert volatility(prices, "FTLS") < volatility(prices, "SSO")
    assert volatility(prices, "FTLS", 30) > volatility(prices, "SSO", 30)
    assert dict(decide(prices)) == {"FTLS": 1.0}


@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_symbol_is_required(symbol: str) -> None:
    """Missing bars for any listed symbol fail the decision naming it, whatever the branch."""
    prices = prices_with(SPY=series(85.0))
    closes = {s: c for s, c in prices.closes.items() if s != symbol}
    with pytest.raises(DataUnavailable, match=symbol):
        KLM.decide(PriceHistory(closes), PARAMS)


def test_lookback_is_enough_and_needed() -> None:
    """Exactly lookback_days bars decide; one bar fewer for FAS raises DataUnavailable."""
    lookback = KLM.lookback_days(PARAMS)
    trimmed = {s: c[-lookback:] for s, c in prices_with().closes.items()}
    KLM.decide(PriceHistory(trimmed), PARAMS)
    trimmed["FAS"] = trimmed["FAS"][1:]
    with pytest.raises(DataUnavailable, match="FAS"):
        KLM.decide(PriceHistory(trimmed), PARAMS)


def test_other_parameters_are_refused() -> None:
    """Parameters of another strategy raise StrategyError."""
    with pytest.raises(StrategyError, match="KlmParameters"):
        KLM.lookback_days(NuclearParameters())
