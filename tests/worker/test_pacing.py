"""Rate-limit pacing: requests wait for the window once the broker says it is nearly spent."""

import threading

from alchemiser.worker.broker.pacing import Pacer


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _pacer(fake: FakeTime, reserve: int = 2) -> Pacer:
    return Pacer(reserve=reserve, clock=fake.clock, sleep=fake.sleep)


def test_no_wait_while_the_window_has_room_or_the_headers_are_absent() -> None:
    """Plenty remaining, or no X-RateLimit headers at all: requests go at once."""
    fake = FakeTime()
    pacer = _pacer(fake)
    pacer.before()
    pacer.after(200, {})
    pacer.before()
    pacer.after(200, {"X-RateLimit-Remaining": "150", "X-RateLimit-Reset": "1030"})
    pacer.before()
    assert fake.sleeps == []


def test_waits_until_the_reset_once_the_reserve_is_reached() -> None:
    """Two left with a reserve of two: the next request waits the 30 s to the reset."""
    fake = FakeTime()
    pacer = _pacer(fake)
    pacer.after(200, {"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "1030"})
    pacer.before()
    assert fake.sleeps == [30.0] and pacer.waited == 30.0
    pacer.before()  # after the reset the count is unknown until the next answer
    assert fake.sleeps == [30.0]


def test_requests_sent_between_answers_count_down_the_remainder() -> None:
    """Four left, reserve two: two requests go, the third waits."""
    fake = FakeTime()
    pacer = _pacer(fake)
    pacer.after(200, {"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "1010"})
    pacer.before()
    pacer.before()
    assert fake.sleeps == []
    pacer.before()
    assert fake.sleeps == [10.0]


def test_a_spent_window_pauses_every_caller_until_the_reset() -> None:
    """Remaining 0 on a 200: concurrent callers all wait for the same reset, none goes early."""
    fake = FakeTime()
    pacer = Pacer(reserve=0, clock=fake.clock, sleep=lambda s: None)
    pacer.after(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1005"})
    waits: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        with lock:
            waits.append(pacer._delay())

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waits == [5.0, 5.0, 5.0, 5.0]
    assert pacer.paused == 5.0  # one pause of the whole adapter, however many callers waited


def test_a_wait_is_bounded_and_a_past_reset_means_no_wait() -> None:
    """A reset an hour away waits at most max_wait; one in the past not at all."""
    fake = FakeTime()
    pacer = Pacer(reserve=5, max_wait=60.0, clock=fake.clock, sleep=fake.sleep)
    pacer.after(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(fake.now) + 3600)})
    pacer.before()
    assert fake.sleeps == [60.0]
    pacer.after(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "10"})
    pacer.before()
    assert fake.sleeps == [60.0]


def test_a_429_pauses_briefly_and_is_counted() -> None:
    """A refused request (reset 55 s away) pauses callers refusal_wait, not the minute."""
    fake = FakeTime()
    pacer = Pacer(refusal_wait=2.0, clock=fake.clock, sleep=fake.sleep)
    pacer.after(429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(fake.now) + 55)})
    pacer.before()
    pacer.before()
    assert fake.sleeps == [2.0] and pacer.refused == 1 and pacer.paused == 2.0


def test_malformed_headers_are_ignored() -> None:
    """A non-numeric header changes nothing (the broker's 429 then still retries, bounded)."""
    fake = FakeTime()
    pacer = _pacer(fake)
    pacer.after(200, {"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "soon"})
    pacer.before()
    assert fake.sleeps == []
