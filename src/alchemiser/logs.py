"""Logging configuration: structlog, set up once per entrypoint.

JSON lines in a cluster (or when asked), readable console output locally.
The standard library's records (kopf's handler lines, aiohttp, urllib3) go through
the same processors and renderer, so every line has a timestamp, a level and, in a
cluster, is one JSON object (a traceback inside it, not after it).
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


def _kube_object(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """kopf's per-object records carry the object (`k8s_ref`): say which one it was."""
    ref = getattr(event.get("_record"), "k8s_ref", None)
    if isinstance(ref, dict) and ref.get("name"):
        where = f"{ref['namespace']}/{ref['name']}" if ref.get("namespace") else ref["name"]
        event["object"] = f"{ref.get('kind') or 'object'} {where}"
    return event


def configure(*, json: bool, level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and the standard library root logger for this process."""
    numeric = logging.getLevelName(level.upper())
    out = stream if stream is not None else sys.stderr
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    stamped: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, _kube_object, *stamped],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    structlog.configure(
        processors=[*stamped, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """Return a logger bound with the module name."""
    # `logger=` would collide with wrap_logger's own first parameter (a TypeError).
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(logger_name=name)
    return logger
