"""The `tecl` strategy: leveraged tech (TECL) in good markets, cash-like BIL otherwise.

Rule: pure; a function of completed daily closes. All RSIs are RSI(10) unless
stated; "above"/"below" are strict. The first matching branch decides:

    bull market (SPY close above its 200-day SMA):
        TQQQ RSI > 79 or SPY RSI > 80  -> UVXY 25% / BIL 75%
        otherwise the KMLM switch (kmlm_switch.py), weak tech:
            XLK RSI < 29               -> TECL
            otherwise                  -> BIL
    bear market:
        TQQQ RSI < 31                  -> TECL
        SPXL RSI < 29                  -> SPXL
        UVXY RSI > 84                  -> UVXY 15% / BIL 85%
        UVXY RSI > 74                  -> BIL
        otherwise the KMLM switch, weak tech:
            the higher RSI(9) of SQQQ and BSV (SQQQ on a tie)

Multi-asset splits are kept as splits (the bot this replaces collapsed them to
one symbol). Every symbol is checked for data before deciding.
"""

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.api.parameters import TeclParameters
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import signals
from alchemiser.worker.strategies.base import expect_params
from alchemiser.worker.strategies.decision import Decision, hold
from alchemiser.worker.strategies.kmlm_switch import SWITCH_SYMBOLS, kmlm_switch

SYMBOLS = SWITCH_SYMBOLS | {"SPY", "TQQQ", "UVXY", "SPXL", "SQQQ", "BSV"}

RSI_PERIOD = 10
BULL_TQQQ_OVERBOUGHT = 79.0
BULL_SPY_OVERBOUGHT = 80.0
BULL_XLK_OVERSOLD = 29.0
BEAR_TQQQ_OVERSOLD = 31.0
BEAR_SPXL_OVERSOLD = 29.0
UVXY_SPIKE = 84.0
UVXY_ELEVATED = 74.0
WEAK_TECH_RSI_PERIOD = 9


class Tecl:
    """Leveraged tech with volatility hedges and the KMLM switch."""

    name = StrategyName.TECL

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every symbol any branch reads or picks."""
        expect_params(params, TeclParameters, self.name)
        return SYMBOLS

    def lookback_days(self, params: BaseModel) -> int:
        """The 200-day SMA plus the RSI warm-up (signals.LOOKBACK_DAYS)."""
        expect_params(params, TeclParameters, self.name)
        return signals.LOOKBACK_DAYS

    def decide(self, history: PriceHistory, params: BaseModel) -> Decision:
        """Walk the decision tree in the module docstring."""
        expect_params(params, TeclParameters, self.name)
        for symbol in sorted(SYMBOLS):
            history.closes_for(symbol)
        if signals.above_sma(history, "SPY", signals.SMA_LONG):
            return _bull(history)
        return _bear(history)


def _bull(history: PriceHistory) -> Decision:
    if (
        signals.rsi(history, "TQQQ", RSI_PERIOD) > BULL_TQQQ_OVERBOUGHT
        or signals.rsi(history, "SPY", RSI_PERIOD) > BULL_SPY_OVERBOUGHT
    ):
        return Decision({"UVXY": 0.25, "BIL": 0.75}, "bull: overbought")
    return kmlm_switch(history, _bull_weak_tech)


def _bull_weak_tech(xlk_rsi: float) -> Decision:
    if xlk_rsi < BULL_XLK_OVERSOLD:
        return hold("TECL", "bull: weak tech, XLK oversold")
    return hold("BIL", "bull: weak tech")


def _bear(history: PriceHistory) -> Decision:
    if signals.rsi(history, "TQQQ", RSI_PERIOD) < BEAR_TQQQ_OVERSOLD:
        return hold("TECL", "bear: TQQQ oversold")
    if signals.rsi(history, "SPXL", RSI_PERIOD) < BEAR_SPXL_OVERSOLD:
        return hold("SPXL", "bear: SPXL oversold")
    uvxy = signals.rsi(history, "UVXY", RSI_PERIOD)
    if uvxy > UVXY_SPIKE:
        return Decision({"UVXY": 0.15, "BIL": 0.85}, "bear: UVXY spike")
    if uvxy > UVXY_ELEVATED:
        return hold("BIL", "bear: UVXY elevated")

    def weak_tech(_xlk_rsi: float) -> Decision:
        sqqq = signals.rsi(history, "SQQQ", WEAK_TECH_RSI_PERIOD)
        bsv = signals.rsi(history, "BSV", WEAK_TECH_RSI_PERIOD)
        return hold("SQQQ" if sqqq >= bsv else "BSV", "bear: weak tech, stronger of SQQQ/BSV")

    return kmlm_switch(history, weak_tech)
