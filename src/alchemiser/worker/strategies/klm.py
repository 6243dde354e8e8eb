"""The `klm` strategy: overbought guard, oversold pops, then the KMLM switch.

Rule: pure; a function of completed daily closes. All RSIs are RSI(10);
"above"/"below" are strict. The first matching branch decides:

    1. overbought guard: RSI > 79 on any of QQQE, VTV, VOX, TECL, VOOG, VOOV,
       TQQQ, XLY, FAS, SPY, or XLP RSI > 75    -> UVXY
    2. oversold pops, in this order:
         TECL RSI < 30                         -> TECL
         SOXL RSI < 30                         -> SOXL
         SPXL RSI < 30                         -> SPXL
    3. the KMLM switch (kmlm_switch.py), weak tech:
         the lowest 14-day volatility (standard deviation of daily returns)
         of FTLS, KMLM, SSO, UUP                -> that symbol (ties: first listed)

The description this reimplements says "above ~79": one threshold, 79, is used for
every guarded symbol except XLP (75). Every symbol is checked for data first.
"""

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.api.parameters import KlmParameters
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import signals
from alchemiser.worker.strategies.base import expect_params
from alchemiser.worker.strategies.decision import Decision, hold
from alchemiser.worker.strategies.kmlm_switch import SWITCH_SYMBOLS, kmlm_switch

GUARDED = ("QQQE", "VTV", "VOX", "TECL", "VOOG", "VOOV", "TQQQ", "XLY", "FAS", "SPY")
POPS = ("TECL", "SOXL", "SPXL")
LOW_VOLATILITY = ("FTLS", "KMLM", "SSO", "UUP")
SYMBOLS = SWITCH_SYMBOLS | frozenset((*GUARDED, "XLP", "UVXY", *POPS, *LOW_VOLATILITY))

RSI_PERIOD = 10
OVERBOUGHT = 79.0
XLP_OVERBOUGHT = 75.0
OVERSOLD = 30.0
VOLATILITY_WINDOW = 14


class Klm:
    """Guarded KMLM switch with oversold pops and a low-volatility fallback."""

    name = StrategyName.KLM

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every symbol any branch reads or picks."""
        expect_params(params, KlmParameters, self.name)
        return SYMBOLS

    def lookback_days(self, params: BaseModel) -> int:
        """The RSI warm-up (signals.LOOKBACK_DAYS; covers the 14-day volatility too)."""
        expect_params(params, KlmParameters, self.name)
        return signals.LOOKBACK_DAYS

    def decide(self, history: PriceHistory, params: BaseModel) -> Decision:
        """Walk the decision tree in the module docstring."""
        expect_params(params, KlmParameters, self.name)
        for symbol in sorted(SYMBOLS):
            history.closes_for(symbol)
        for symbol in GUARDED:
            if signals.rsi(history, symbol, RSI_PERIOD) > OVERBOUGHT:
                return hold("UVXY", f"overbought {symbol}")
        if signals.rsi(history, "XLP", RSI_PERIOD) > XLP_OVERBOUGHT:
            return hold("UVXY", "overbought XLP")
        for symbol in POPS:
            if signals.rsi(history, symbol, RSI_PERIOD) < OVERSOLD:
                return hold(symbol, f"{symbol} oversold pop")

        def weak_tech(_xlk_rsi: float) -> Decision:
            calmest = min(
                LOW_VOLATILITY,
                key=lambda s: signals.stdev_return(history, s, VOLATILITY_WINDOW),
            )
            return hold(calmest, "weak tech: lowest volatility")

        return kmlm_switch(history, weak_tech)
