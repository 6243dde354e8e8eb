"""The operator's side of notifications: start the Notifier, count its outcomes, stop it.

Rule: wiring only. The workflows call `ctx.notify(notice)` (a no-op without a
notifications file), with notices built by alchemiser.notify.notices; delivery,
retries and URLs stay in alchemiser.notify.delivery.
"""

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Final

from alchemiser.errors import ConfigError
from alchemiser.logs import get_logger
from alchemiser.notify import config, notices
from alchemiser.notify.delivery import Notifier
from alchemiser.notify.notices import Notice
from alchemiser.operator import metrics
from alchemiser.operator.tripping import TripNotice

DRAIN_SECONDS: Final = 5.0

log = get_logger(__name__)


def record(sink: str, outcome: str) -> None:
    """Count one delivery outcome in alchemiser_notifications_total."""
    metrics.NOTIFICATIONS.labels(sink=sink, outcome=outcome).inc()


def load(path: str) -> config.NotifierConfig | None:
    """The notifications file's configuration (None: no file configured); ConfigError if bad."""
    if not path:
        return None
    parsed = config.load(Path(path))
    if not parsed.sinks:
        raise ConfigError(f"notifications config {path}: sinks: at least one webhook is needed")
    return parsed


def start(parsed: config.NotifierConfig, calm: asyncio.Event) -> Notifier:
    """Start delivering (inside the event loop); a URL file missing now is only logged."""
    for sink in parsed.sinks:
        if not sink.url_file.is_file():
            log.warning("a webhook's URL file is missing", sink=sink.name)
    notifier = Notifier(parsed, record=record, calm=calm)
    notifier.start()
    log.info("notifications started", sinks=[sink.name for sink in parsed.sinks])
    return notifier


async def stop(notifier: Notifier) -> None:
    """Give queued notices a few seconds, then stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(notifier.drain(), timeout=DRAIN_SECONDS)
    await notifier.stop()


def breaker_notice(trip: TripNotice, now: datetime) -> Notice:
    """The breaker.tripped notice for a trip that created or renewed its halt."""
    return notices.breaker_tripped(
        namespace=trip.namespace,
        strategy=trip.strategy,
        breaker=trip.breaker,
        halt=trip.halt,
        reason=trip.reason,
        mode=trip.mode,
        expires_at=trip.expires_at,
        now=now,
    )
