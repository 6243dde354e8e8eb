"""The KMLM switch shared by `tecl` and `klm`: is tech stronger than managed futures?

Rule: pure; reads only RSI values through `signals`.

    XLK RSI(10) > KMLM RSI(10)            (strong tech)
        XLK RSI(10) > 81  -> BIL          (tech overbought: step aside)
        otherwise         -> TECL
    otherwise                             (weak tech)
        the calling strategy's own choice, given XLK's RSI(10)
"""

from collections.abc import Callable

from alchemiser.worker.market import PriceHistory
from alchemiser.worker.strategies import signals
from alchemiser.worker.strategies.decision import Decision, hold

SWITCH_SYMBOLS = frozenset({"XLK", "KMLM", "TECL", "BIL"})
RSI_PERIOD = 10
XLK_OVERBOUGHT = 81.0

WeakTech = Callable[[float], Decision]


def kmlm_switch(history: PriceHistory, weak_tech: WeakTech) -> Decision:
    """Decide between TECL, BIL and the caller's weak-tech choice (called with XLK's RSI)."""
    xlk = signals.rsi(history, "XLK", RSI_PERIOD)
    kmlm = signals.rsi(history, "KMLM", RSI_PERIOD)
    if xlk > kmlm:
        if xlk > XLK_OVERBOUGHT:
            return hold("BIL", "kmlm switch: strong tech, XLK overbought")
        return hold("TECL", "kmlm switch: strong tech")
    return weak_tech(xlk)
