"""Delivers notices to webhooks in the background: bounded queues, bounded retries.

Rule: the only I/O of the notify package. `Notifier.publish` is synchronous and never
blocks or raises: it queues the notice for every webhook that wants it (one bounded
queue per webhook, so a hanging webhook never holds up another) or drops it, counted.
Workers post with a timeout per attempt and retry retryable failures with tenacity
(bounded attempts, exponential backoff), sending the same bytes and Idempotency-Key
each time. While `calm` is clear (a halt is being propagated) workers wait, so
notifications never compete with the kill switch. Nothing raised, logged or counted
here carries a URL: errors name the webhook, never its address.
"""

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from alchemiser.errors import NotificationRefused, NotificationUnavailable
from alchemiser.logs import get_logger
from alchemiser.notify import formats
from alchemiser.notify.config import NotifierConfig, Sink
from alchemiser.notify.notices import Notice

Record = Callable[[str, str], None]  # (webhook name, outcome: sent|failed|dropped|duplicate)
REMEMBERED_KEYS: Final = 10_000
RESPONSE_LIMIT: Final = 64 * 1024
RETRY_STATUSES: Final = frozenset({408, 429})

log = get_logger(__name__)


def _ignore(sink: str, outcome: str) -> None:
    return None


def read_url(sink: Sink) -> str:
    """The webhook's URL, read now (a rotated Secret takes effect on the next attempt)."""
    try:
        url = sink.url_file.read_text().strip()
    except OSError as error:
        raise NotificationRefused(
            f"webhook {sink.name}: its URL file cannot be read ({error.strerror})"
        ) from None
    if not url.startswith(("http://", "https://")):
        raise NotificationRefused(f"webhook {sink.name}: its URL file holds no http(s) URL")
    return url


def classify(sink: Sink, status: int) -> None:
    """Raise for a non-2xx answer: retryable (408, 429, 5xx) or refused (the rest)."""
    if 200 <= status < 300:
        return
    if status in RETRY_STATUSES or status >= 500:
        raise NotificationUnavailable(f"webhook {sink.name} answered HTTP {status}")
    raise NotificationRefused(f"webhook {sink.name} answered HTTP {status}")


class Notifier:
    """Queues notices per webhook and delivers them with a few workers each."""

    def __init__(
        self,
        config: NotifierConfig,
        *,
        record: Record = _ignore,
        calm: asyncio.Event | None = None,
    ) -> None:
        """`record` counts outcomes (the operator feeds its metrics from it)."""
        self._config = config
        self._record = record
        self._calm = calm
        self._queues: dict[str, asyncio.Queue[Notice]] = {
            sink.name: asyncio.Queue(config.queue_limit) for sink in config.sinks
        }
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def sinks(self) -> Sequence[Sink]:
        """The configured webhooks."""
        return self._config.sinks

    def start(self) -> None:
        """Open the HTTP session and start the workers (inside the running event loop)."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._config.timeout_seconds),
            connector=aiohttp.TCPConnector(limit=len(self._config.sinks) * 4 or 1),
            raise_for_status=False,
        )
        self._workers = [
            asyncio.create_task(self._work(sink), name=f"notifier {sink.name} {i}")
            for sink in self._config.sinks
            for i in range(self._config.workers_per_sink)
        ]

    async def stop(self) -> None:
        """Stop the workers (queued notices are dropped) and close the session."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def drain(self) -> None:
        """Wait until every queued notice was delivered or given up."""
        for queue in self._queues.values():
            await queue.join()

    def publish(self, notice: Notice) -> None:
        """Queue the notice for every webhook that wants it; never blocks, never raises."""
        if notice.key in self._seen:
            self._record("", "duplicate")
            return
        self._seen[notice.key] = None
        while len(self._seen) > REMEMBERED_KEYS:
            self._seen.popitem(last=False)
        for sink in self._config.sinks:
            if not sink.wants(notice):
                continue
            try:
                self._queues[sink.name].put_nowait(notice)
            except asyncio.QueueFull:
                self._record(sink.name, "dropped")
                log.warning(
                    "dropped a notification: queue full",
                    sink=sink.name,
                    kind=notice.kind.value,
                    key=notice.key,
                )

    async def _work(self, sink: Sink) -> None:
        queue = self._queues[sink.name]
        while True:
            notice = await queue.get()
            try:
                if self._calm is not None:
                    await self._calm.wait()
                attempts = await self._deliver(sink, notice)
                self._record(sink.name, "sent")
                log.info(
                    "delivered a notification",
                    sink=sink.name,
                    kind=notice.kind.value,
                    key=notice.key,
                    attempts=attempts,
                )
            except (NotificationUnavailable, NotificationRefused) as error:
                self._record(sink.name, "failed")
                log.warning(
                    "gave up a notification",
                    sink=sink.name,
                    kind=notice.kind.value,
                    key=notice.key,
                    error=str(error),
                )
            finally:
                queue.task_done()

    async def _deliver(self, sink: Sink, notice: Notice) -> int:
        """Post with bounded retries of retryable failures; returns the attempts used."""
        request = formats.request(notice, sink.format)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.attempts),
            wait=wait_exponential_jitter(multiplier=0.5, max=self._config.max_backoff_seconds),
            retry=retry_if_exception_type(NotificationUnavailable),
            reraise=True,
        )
        attempts = 0
        async for attempt in retrying:
            with attempt:
                attempts = attempt.retry_state.attempt_number
                await self._post(sink, request)
        return attempts

    async def _post(self, sink: Sink, request: formats.Request) -> None:
        if self._session is None:
            raise NotificationUnavailable(f"webhook {sink.name}: the notifier is not started")
        url = read_url(sink)
        try:
            async with self._session.post(
                url, data=request.body, headers=request.headers, allow_redirects=False
            ) as response:
                with contextlib.suppress(aiohttp.ClientPayloadError):
                    await response.content.read(RESPONSE_LIMIT)
                status = response.status
        except TimeoutError:
            raise NotificationUnavailable(
                f"webhook {sink.name}: no answer within {self._config.timeout_seconds:g}s"
            ) from None
        except aiohttp.ClientError as error:
            # The class name only: aiohttp's messages include the host and the URL.
            raise NotificationUnavailable(f"webhook {sink.name}: {type(error).__name__}") from None
        classify(sink, status)
