"""Logging configuration: structlog, set up once per entrypoint.

JSON lines in a cluster (or when asked), readable console output locally.
A processor drops any event field whose name looks like a credential, as a
last line of defence; code must still never pass secrets to a logger.
"""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_MARKERS = ("secret", "password", "token", "api_key", "apikey", "key_id", "authorization")


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name in list(event):
        if any(marker in name.lower() for marker in _SECRET_MARKERS):
            event[name] = "[redacted]"
    return event


def configure(*, json: bool, level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and the standard library root logger for this process."""
    numeric = logging.getLevelName(level.upper())
    out = stream if stream is not None else sys.stderr
    logging.basicConfig(level=numeric, stream=out, format="%(message)s", force=True)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """Return a logger bound with the module name."""
    # `logger=` would collide with wrap_logger's own first parameter (a TypeError).
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(logger_name=name)
    return logger
