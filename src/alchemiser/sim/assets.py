"""The tradable universe of the paper exchange.

Rule: pure data. Any plausible US ticker is an active, tradable, fractionable
asset (so strategies are never starved of symbols); a few entries override that
to exercise the rules for non-fractionable and non-tradable assets.
"""

import re
import uuid
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("6f1d3c52-3b9e-4a47-9a0e-2f5b8c1d7e40")
_TICKER = re.compile(r"^[A-Z]{1,5}(\.[A-Z])?$")


@dataclass(frozen=True)
class Asset:
    """One US equity as Alpaca's /v2/assets describes it."""

    id: str
    symbol: str
    name: str
    exchange: str
    tradable: bool = True
    fractionable: bool = True
    marginable: bool = True
    shortable: bool = False


def asset_id(symbol: str) -> str:
    """A stable UUID for a symbol, the same in every run."""
    return str(uuid.uuid5(_NAMESPACE, symbol))


# symbol: (name, exchange, tradable, fractionable)
_KNOWN: dict[str, tuple[str, str, bool, bool]] = {
    "SPY": ("SPDR S&P 500 ETF Trust", "ARCA", True, True),
    "QQQ": ("Invesco QQQ Trust", "NASDAQ", True, True),
    "IOO": ("iShares Global 100 ETF", "ARCA", True, True),
    "TQQQ": ("ProShares UltraPro QQQ", "NASDAQ", True, True),
    "SQQQ": ("ProShares UltraPro Short QQQ", "NASDAQ", True, True),
    "PSQ": ("ProShares Short QQQ", "ARCA", True, True),
    "UPRO": ("ProShares UltraPro S&P500", "ARCA", True, True),
    "SPXL": ("Direxion Daily S&P 500 Bull 3X Shares", "ARCA", True, True),
    "TECL": ("Direxion Daily Technology Bull 3X Shares", "ARCA", True, True),
    "SOXL": ("Direxion Daily Semiconductor Bull 3X Shares", "ARCA", True, True),
    "UVXY": ("ProShares Ultra VIX Short-Term Futures ETF", "BATS", True, True),
    "VIXY": ("ProShares VIX Short-Term Futures ETF", "BATS", True, True),
    "BTAL": ("AGF U.S. Market Neutral Anti-Beta Fund", "ARCA", True, True),
    "BIL": ("SPDR Bloomberg 1-3 Month T-Bill ETF", "ARCA", True, True),
    "BSV": ("Vanguard Short-Term Bond ETF", "ARCA", True, True),
    "SHY": ("iShares 1-3 Year Treasury Bond ETF", "NASDAQ", True, True),
    "IEF": ("iShares 7-10 Year Treasury Bond ETF", "NASDAQ", True, True),
    "TLT": ("iShares 20+ Year Treasury Bond ETF", "NASDAQ", True, True),
    "VTV": ("Vanguard Value ETF", "ARCA", True, True),
    "XLF": ("Financial Select Sector SPDR Fund", "ARCA", True, True),
    "XLK": ("Technology Select Sector SPDR Fund", "ARCA", True, True),
    "VOX": ("Vanguard Communication Services ETF", "ARCA", True, True),
    "KMLM": ("KFA Mount Lucas Managed Futures Index Strategy ETF", "ARCA", True, True),
    "SMR": ("NuScale Power Corporation", "NYSE", True, True),
    "BWXT": ("BWX Technologies, Inc.", "NYSE", True, True),
    "LEU": ("Centrus Energy Corp.", "AMEX", True, True),
    "EXC": ("Exelon Corporation", "NASDAQ", True, True),
    "NLR": ("VanEck Uranium and Nuclear ETF", "ARCA", True, True),
    "OKLO": ("Oklo Inc.", "NYSE", True, True),
    "AAPL": ("Apple Inc.", "NASDAQ", True, True),
    "MSFT": ("Microsoft Corporation", "NASDAQ", True, True),
    "NVDA": ("NVIDIA Corporation", "NASDAQ", True, True),
    "BRK.A": ("Berkshire Hathaway Inc. Class A", "NYSE", True, False),
    "ZVZZT": ("NASDAQ test symbol", "NASDAQ", False, False),
}


def lookup(symbol: str) -> Asset | None:
    """The asset for `symbol`, or None when it does not look like a US ticker."""
    known = _KNOWN.get(symbol)
    if known is not None:
        name, exchange, tradable, fractionable = known
        return Asset(
            id=asset_id(symbol),
            symbol=symbol,
            name=name,
            exchange=exchange,
            tradable=tradable,
            fractionable=fractionable,
        )
    if _TICKER.match(symbol):
        return Asset(
            id=asset_id(symbol), symbol=symbol, name=f"{symbol} (simulated)", exchange="NYSE"
        )
    return None


def lookup_id(value: str) -> Asset | None:
    """The asset for a symbol or one of our asset ids."""
    by_symbol = lookup(value.upper())
    if by_symbol is not None:
        return by_symbol
    for symbol in _KNOWN:
        if asset_id(symbol) == value:
            return lookup(symbol)
    return None


def listed() -> list[Asset]:
    """The assets /v2/assets lists (the named universe, not every plausible ticker)."""
    return [asset for symbol in _KNOWN if (asset := lookup(symbol)) is not None]
