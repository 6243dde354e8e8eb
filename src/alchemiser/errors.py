"""Every error Alchemiser raises on purpose.

Foreign errors (kubernetes, alpaca, HTTP) are translated into these at the
adapter that meets them, so callers only ever catch our own classes. Two parents
say whether trying again can help: `Retryable` (retried, always bounded, an order
only under its own client order id) and `Permanent` (never retried). A class that
is never raised does not belong here (tests/test_errors.py checks).
"""


class AlchemiserError(Exception):
    """Base of every error raised on purpose by Alchemiser."""


class Retryable(AlchemiserError):
    """Base of failures that may pass when the same call is tried again (bounded)."""


class Permanent(AlchemiserError):
    """Base of refusals that trying the same call again cannot change."""


class ConfigError(AlchemiserError):
    """Raised when configuration or a manifest is invalid; the message names the field."""


class CredentialsError(AlchemiserError):
    """Raised when broker credentials are missing, unreadable or refused (never carries them)."""


class HaltActive(AlchemiserError):
    """Raised when a TradingHalt forbids the action that was about to happen."""


class HaltStateUnknown(Retryable):
    """Raised when halts cannot be read; callers treat this as halted."""


class MarketClosed(AlchemiserError):
    """Raised when the broker clock or the exchange calendar says the market is closed."""


class DataUnavailable(AlchemiserError):
    """Raised when market data needed for a decision is missing or incomplete."""


class StrategyError(AlchemiserError):
    """Raised when a strategy cannot reach a decision from the data it was given."""


class RiskRejected(Permanent):
    """Raised when the risk engine denies an order; carries the reason."""


class BrokerUnavailable(Retryable):
    """Raised on a retryable broker failure: timeout, connection error, 429 or 5xx."""


class OrderRejected(Permanent):
    """Raised when the broker permanently refuses an order (4xx other than 429)."""


class NotificationUnavailable(AlchemiserError):
    """Raised on a retryable webhook failure: timeout, connection error, 408, 429 or 5xx."""


class NotificationRefused(AlchemiserError):
    """Raised when a webhook refuses a notice for good (other 4xx, 3xx) or has no usable URL."""


class KubeError(AlchemiserError):
    """Raised when a Kubernetes API call fails in a way the caller must handle."""
