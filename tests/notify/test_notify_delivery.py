"""The Notifier against a real receiver process: delivery, retries, failures, secrecy."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from cloudevents.core.bindings import http
from notify_support import Receiver, free_port

from alchemiser import logs
from alchemiser.notify import config, notices
from alchemiser.notify.delivery import Notifier

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = datetime(2026, 12, 1, 15, 45, tzinfo=UTC)
TOKEN = "T0KEN-s3cr3t-path"  # stands for the secret part of a real webhook URL


def run_notice(job: str = "trader-1", namespace: str = "a") -> notices.Notice:
    last_run = {"job": job, "outcome": "Succeeded", "ordersSubmitted": 2, "notional": 10.0}
    return notices.run_finished(namespace, "trader", last_run, now=NOW)


class Setup:
    """A notifier wired to URL files under tmp_path, with its outcomes counted."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self.notifier: Notifier | None = None

    def url(self, name: str, url: str) -> Path:
        path = self.tmp_path / name
        path.write_text(url + "\n")
        return path

    def start(self, sinks: list[dict[str, Any]], **bounds: Any) -> Notifier:
        settings = {"attempts": 3, "timeoutSeconds": 1, "maxBackoffSeconds": 0.2, **bounds}
        parsed = config.NotifierConfig.model_validate({"sinks": sinks, **settings})
        self.notifier = Notifier(parsed, record=lambda s, o: self.outcomes.update([(s, o)]))
        self.notifier.start()
        return self.notifier

    async def settled(self, timeout: float = 30) -> None:
        assert self.notifier is not None
        await asyncio.wait_for(self.notifier.drain(), timeout)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    """Builds notifiers for a test; stops them afterwards."""
    made = Setup(tmp_path)
    yield made
    if made.notifier is not None:
        await made.notifier.stop()


async def wait_until(probe: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await asyncio.to_thread(probe)
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_cloudevent_and_slack_reach_the_receiver(setup: Setup, receiver: Receiver) -> None:
    """Each format is POSTed once, to its own URL, parseable, with the idempotency key."""
    setup.start(
        [
            {"name": "ce", "urlFile": str(setup.url("ce", f"{receiver.base}/ce/{TOKEN}"))},
            {
                "name": "slack",
                "format": "slack",
                "urlFile": str(setup.url("slack", f"{receiver.base}/slack/{TOKEN}")),
            },
        ]
    )
    notice = run_notice()
    assert setup.notifier is not None
    setup.notifier.publish(notice)
    await setup.settled()
    got = {record["path"].split("/")[1]: record for record in receiver.received()}
    assert set(got) == {"ce", "slack"}
    event = http.from_http_event(http.HTTPMessage(got["ce"]["headers"], got["ce"]["body"].encode()))
    assert event.get_id() == notice.key
    assert event.get_type() == "io.alchemiser.run.finished"
    assert json.loads(got["slack"]["body"])["text"].endswith(notice.title)
    assert got["slack"]["headers"]["idempotency-key"] == notice.key
    assert setup.outcomes == {("ce", "sent"): 1, ("slack", "sent"): 1}


async def test_5xx_is_retried_with_the_same_key_and_bytes(setup: Setup, receiver: Receiver) -> None:
    """Two 503s then 200: three attempts, identical body and key, counted once as sent."""
    receiver.mode("error", times=2)
    setup.start([{"name": "ce", "urlFile": str(setup.url("ce", f"{receiver.base}/{TOKEN}"))}])
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    await setup.settled()
    records = receiver.received()
    assert [r["status"] for r in records] == [503, 503, 200]
    assert len({r["body"] for r in records}) == 1
    assert len({r["headers"]["idempotency-key"] for r in records}) == 1
    assert setup.outcomes == {("ce", "sent"): 1}


async def test_retries_are_bounded(setup: Setup, receiver: Receiver) -> None:
    """A receiver that keeps failing gets exactly `attempts` tries, then the notice is failed."""
    receiver.mode("error")
    setup.start([{"name": "ce", "urlFile": str(setup.url("ce", f"{receiver.base}/x"))}])
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    await setup.settled()
    assert [r["status"] for r in receiver.received()] == [503, 503, 503]
    assert setup.outcomes == {("ce", "failed"): 1}


async def test_4xx_is_not_retried(setup: Setup, receiver: Receiver) -> None:
    """A 400 is a permanent refusal: one attempt, failed."""
    receiver.mode("reject")
    setup.start([{"name": "ce", "urlFile": str(setup.url("ce", f"{receiver.base}/x"))}])
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    await setup.settled()
    assert [r["status"] for r in receiver.received()] == [400]
    assert setup.outcomes == {("ce", "failed"): 1}


async def test_a_hanging_receiver_times_out_and_never_blocks_publish(
    setup: Setup, receiver: Receiver
) -> None:
    """publish returns while the receiver hangs; each attempt times out; the other sink works."""
    receiver.mode("hang")
    healthy = Receiver().start()
    try:
        setup.start(
            [
                {"name": "stuck", "urlFile": str(setup.url("stuck", f"{receiver.base}/h"))},
                {"name": "fine", "urlFile": str(setup.url("fine", f"{healthy.base}/f"))},
            ],
            attempts=2,
            timeoutSeconds=0.5,
        )
        assert setup.notifier is not None
        for job in ("j1", "j2", "j3"):
            setup.notifier.publish(run_notice(job))
        assert setup.outcomes == {}  # nothing was delivered or given up inside publish
        await wait_until(lambda: len(healthy.received()) == 3)
        await setup.settled()
        assert setup.outcomes == {("fine", "sent"): 3, ("stuck", "failed"): 3}
        assert len(receiver.received()) == 6  # 3 notices x 2 attempts, each cut off
    finally:
        healthy.stop()


async def test_refused_connection_is_retried_until_the_receiver_comes_up(setup: Setup) -> None:
    """Nothing listening: retried; the receiver starting meanwhile gets the notice once."""
    late = Receiver(free_port())
    setup.start(
        [{"name": "ce", "urlFile": str(setup.url("ce", f"{late.base}/x"))}],
        attempts=20,
        maxBackoffSeconds=0.5,
    )
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    await asyncio.sleep(1.0)  # some attempts are refused first
    assert setup.outcomes == {}
    late.start()
    try:
        await setup.settled()
        assert [r["status"] for r in late.received()] == [200]
        assert setup.outcomes == {("ce", "sent"): 1}
    finally:
        late.stop()


async def test_refused_connection_gives_up_after_the_attempts(setup: Setup) -> None:
    """No receiver at all: bounded attempts, then failed with a message naming only the sink."""
    setup.start(
        [
            {
                "name": "gone",
                "urlFile": str(setup.url("u", f"http://127.0.0.1:{free_port()}/{TOKEN}")),
            }
        ]
    )
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    await setup.settled()
    assert setup.outcomes == {("gone", "failed"): 1}


async def test_queue_is_bounded_and_overflow_is_counted(setup: Setup, receiver: Receiver) -> None:
    """With the receiver hanging, notices beyond the queue and the busy worker are dropped."""
    receiver.mode("hang")
    setup.start(
        [{"name": "ce", "urlFile": str(setup.url("ce", f"{receiver.base}/x"))}],
        queueLimit=2,
        workersPerSink=1,
        attempts=1,
        timeoutSeconds=2,
    )
    assert setup.notifier is not None
    setup.notifier.publish(run_notice("first"))
    await wait_until(lambda: len(receiver.received()) == 1)  # the worker holds it
    for job in ("a", "b", "c", "d"):
        setup.notifier.publish(run_notice(job))
    assert setup.outcomes == {("ce", "dropped"): 2}
    await setup.settled()
    assert setup.outcomes == {("ce", "dropped"): 2, ("ce", "failed"): 3}


async def test_the_same_notice_twice_is_sent_once(setup: Setup, receiver: Receiver) -> None:
    """A re-published occurrence (same key) is dropped as a duplicate."""
    setup.start([{"name": "ce", "urlFile": str(setup.url("ce", f"{receiver.base}/x"))}])
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    setup.notifier.publish(run_notice())
    await setup.settled()
    assert len(receiver.received()) == 1
    assert setup.outcomes == {("ce", "sent"): 1, ("", "duplicate"): 1}


async def test_url_rotation_takes_effect_without_a_restart(
    setup: Setup, receiver: Receiver
) -> None:
    """The URL file is read per attempt: rewriting it redirects the next notice."""
    path = setup.url("ce", f"{receiver.base}/old")
    setup.start([{"name": "ce", "urlFile": str(path)}])
    assert setup.notifier is not None
    setup.notifier.publish(run_notice("one"))
    await setup.settled()
    path.write_text(f"{receiver.base}/new")
    setup.notifier.publish(run_notice("two"))
    await setup.settled()
    assert [r["path"] for r in receiver.received()] == ["/old", "/new"]


async def test_missing_or_bad_url_file_fails_without_retrying(setup: Setup) -> None:
    """No URL file, or one without an http(s) URL: failed at once (nothing to retry)."""
    setup.start(
        [
            {"name": "absent", "urlFile": str(setup.tmp_path / "absent")},
            {"name": "bad", "urlFile": str(setup.url("bad", "not a url"))},
        ]
    )
    assert setup.notifier is not None
    setup.notifier.publish(run_notice())
    await setup.settled(timeout=5)
    assert setup.outcomes == {("absent", "failed"): 1, ("bad", "failed"): 1}


async def test_urls_never_appear_in_logs(
    setup: Setup, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sent, failed, refused and dropped notices log the sink name, never the URL."""
    logs.configure(json=True, level="DEBUG")
    try:
        receiver.mode("error")
        dead = f"http://127.0.0.1:{free_port()}/{TOKEN}"
        setup.start(
            [
                {"name": "erroring", "urlFile": str(setup.url("e", f"{receiver.base}/{TOKEN}"))},
                {"name": "dead", "urlFile": str(setup.url("d", dead))},
                {"name": "bad", "urlFile": str(setup.url("b", f"ftp://{TOKEN}"))},
            ],
            queueLimit=1,
            workersPerSink=1,
            attempts=2,
        )
        assert setup.notifier is not None
        for job in ("a", "b", "c", "d"):
            setup.notifier.publish(run_notice(job))
        await setup.settled()
        out = capsys.readouterr()
        text = out.out + out.err
        assert "gave up a notification" in text and "dropped a notification" in text
        assert TOKEN not in text
        assert str(receiver.port) not in text
    finally:
        structlog.reset_defaults()
