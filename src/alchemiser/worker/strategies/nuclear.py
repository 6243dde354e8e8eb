"""The `nuclear` strategy: nuclear-energy momentum in bull markets, hedges otherwise.

Rule: pure; a function of completed daily closes. All RSIs are RSI(10) unless
stated; "above"/"below" are strict. The first matching branch decides:

    1. overbought: the first of SPY, IOO, TQQQ, VTV, XLF, VOX (in that order)
       with RSI > 79 decides:
         its RSI > 81                  -> UVXY 100%
         otherwise                     -> UVXY 75% / BTAL 25%
    2. TQQQ RSI < 30                   -> TQQQ (oversold bounce)
    3. SPY RSI < 30                    -> UPRO (oversold bounce)
    4. SPY close above its 200-day SMA -> the 3 of SMR, BWXT, LEU, EXC, NLR, OKLO with
                                          the highest 90-day moving-average return,
                                          1/3 each (ties: alphabetical)
    5. bear market: two picks, weighted by inverse 14-day volatility
       (standard deviation of daily returns); one symbol if both agree.
         pick A (bonds against short tech):
           PSQ RSI < 35                        -> SQQQ
           TLT RSI(20) above PSQ RSI(20)       -> TQQQ
           otherwise                           -> PSQ
         pick B (treasuries against short tech):
           IEF RSI above PSQ RSI               -> QQQ
           otherwise                           -> PSQ

The description this reimplements leaves the bear basket's exact tests open
("chosen from PSQ/SQQQ/TQQQ/QQQ by RSI of PSQ, TLT and IEF"); branch 5 is this
project's reading of it. Every symbol is checked for data before deciding, so a
missing series fails every run, not only the runs whose branch reads it.
"""

import math

from pydantic import BaseModel

from alchemiser.api import StrategyName
from alchemiser.api.parameters import NuclearParameters
from alchemiser.errors import StrategyError
from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import signals
from alchemiser.worker.strategies.base import expect_params
from alchemiser.worker.strategies.decision import Decision, hold

OVERBOUGHT_WATCH = ("SPY", "IOO", "TQQQ", "VTV", "XLF", "VOX")
NUCLEAR_NAMES = ("SMR", "BWXT", "LEU", "EXC", "NLR", "OKLO")
BEAR_PICKS = ("PSQ", "SQQQ", "TQQQ", "QQQ")
HEDGES = ("UVXY", "BTAL", "UPRO", "TLT", "IEF")
SYMBOLS = frozenset(OVERBOUGHT_WATCH + NUCLEAR_NAMES + BEAR_PICKS + HEDGES)

RSI_PERIOD = 10
OVERBOUGHT = 79.0
VERY_OVERBOUGHT = 81.0
OVERSOLD = 30.0
PSQ_OVERSOLD = 35.0
BOND_RSI_PERIOD = 20
TOP_N = 3
MOMENTUM_WINDOW = 90
VOLATILITY_WINDOW = 14


class Nuclear:
    """Nuclear-energy momentum with overbought hedges and a bear basket."""

    name = StrategyName.NUCLEAR

    def symbols(self, params: BaseModel) -> frozenset[str]:
        """Every symbol any branch reads or picks."""
        expect_params(params, NuclearParameters, self.name)
        return SYMBOLS

    def lookback_days(self, params: BaseModel) -> int:
        """The 200-day SMA plus the RSI warm-up (signals.LOOKBACK_DAYS)."""
        expect_params(params, NuclearParameters, self.name)
        return signals.LOOKBACK_DAYS

    def decide(self, history: PriceHistory, params: BaseModel) -> Decision:
        """Walk the decision tree in the module docstring."""
        expect_params(params, NuclearParameters, self.name)
        for symbol in sorted(SYMBOLS):
            history.closes_for(symbol)
        for symbol in OVERBOUGHT_WATCH:
            value = signals.rsi(history, symbol, RSI_PERIOD)
            if value > OVERBOUGHT:
                if value > VERY_OVERBOUGHT:
                    return hold("UVXY", f"overbought {symbol} above {VERY_OVERBOUGHT:g}")
                return Decision({"UVXY": 0.75, "BTAL": 0.25}, f"overbought {symbol}")
        if signals.rsi(history, "TQQQ", RSI_PERIOD) < OVERSOLD:
            return hold("TQQQ", "TQQQ oversold")
        if signals.rsi(history, "SPY", RSI_PERIOD) < OVERSOLD:
            return hold("UPRO", "SPY oversold")
        if signals.above_sma(history, "SPY", signals.SMA_LONG):
            return _nuclear_momentum(history)
        return _bear_basket(history)


def _nuclear_momentum(history: PriceHistory) -> Decision:
    ranked = sorted(
        NUCLEAR_NAMES,
        key=lambda s: (-signals.moving_average_return(history, s, MOMENTUM_WINDOW), s),
    )
    top = ranked[:TOP_N]
    return Decision({symbol: 1.0 / TOP_N for symbol in top}, "bull: top nuclear momentum")


def _bear_basket(history: PriceHistory) -> Decision:
    psq = signals.rsi(history, "PSQ", RSI_PERIOD)
    if psq < PSQ_OVERSOLD:
        pick_a = "SQQQ"
    elif signals.rsi(history, "TLT", BOND_RSI_PERIOD) > signals.rsi(
        history, "PSQ", BOND_RSI_PERIOD
    ):
        pick_a = "TQQQ"
    else:
        pick_a = "PSQ"
    pick_b = "QQQ" if signals.rsi(history, "IEF", RSI_PERIOD) > psq else "PSQ"
    branch = f"bear: {pick_a} and {pick_b}"
    if pick_a == pick_b:
        return hold(pick_a, branch)
    return Decision(inverse_volatility(history, (pick_a, pick_b), VOLATILITY_WINDOW), branch)


def inverse_volatility(
    history: PriceHistory, symbols: tuple[str, ...], window: int
) -> dict[str, float]:
    """Weights proportional to 1 / standard deviation of daily returns over `window`."""
    inverse: dict[str, float] = {}
    for symbol in symbols:
        volatility = signals.stdev_return(history, symbol, window)
        if not (math.isfinite(volatility) and volatility > 0.0):
            raise StrategyError(f"{symbol} has no {window}-day volatility to weight by")
        inverse[symbol] = 1.0 / volatility
    total = math.fsum(inverse.values())
    return {symbol: value / total for symbol, value in inverse.items()}
