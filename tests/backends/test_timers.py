"""greensio.backends.timers.Timers on the threading backend: order, wake-ups, failures, stop().

Deadlines are a fraction of ``UNIT`` in the future and every wait is bounded; the backend is
``ThreadingBackend`` subclassed only to remember the loop threads it spawns.
"""

from __future__ import annotations

import logging
import threading

import pytest

from greensio.backends.fake import FakeBackend
from greensio.backends.threading import ThreadingBackend
from greensio.backends.timers import Timers
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(20 * UNIT)

WAIT = 2 * UNIT
#: A deadline far enough ahead to keep the loop asleep for the whole test.
FAR = 60 * UNIT


class RecordingBackend(ThreadingBackend):
    """The threading backend, keeping every thread it spawns."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def spawn(self, fn, *args, **kwargs):
        thread = super().spawn(fn, *args, **kwargs)
        self.threads.append(thread)
        return thread


class Calls:
    """Records callback names; ``wait(n)`` blocks until n calls were made."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, name: str) -> None:
        with self._cond:
            self.names.append(name)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = WAIT) -> list[str]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.names) >= count, timeout), self.names
            return list(self.names)


@pytest.fixture
def backend() -> RecordingBackend:
    return RecordingBackend()


@pytest.fixture
def timers(backend):
    timers = Timers(backend)
    yield timers
    timers.stop()
    for thread in backend.threads:
        thread.join(WAIT)


def test_no_loop_until_the_first_timer(timers, backend):
    assert backend.threads == []
    calls = Calls()
    for index in range(5):
        timers.call_at(backend.monotonic() + FAR, calls, f"far-{index}")
    assert len(backend.threads) == 1  # one loop for every timer


def test_callbacks_run_in_deadline_order(timers, backend):
    calls = Calls()
    now = backend.monotonic()
    for delay, name in [(0.15, "third"), (0.05, "first"), (0.1, "second"), (0.15, "fourth")]:
        timers.call_at(now + delay * UNIT, calls, name)
    # the same deadline keeps the order of scheduling
    assert calls.wait(4) == ["first", "second", "third", "fourth"]


def test_callbacks_get_their_arguments(timers, backend):
    got: list[tuple] = []
    done = threading.Event()

    def callback(*args):
        got.append(args)
        done.set()

    timers.call_at(backend.monotonic(), callback, 1, "two", None)
    assert done.wait(WAIT)
    assert got == [(1, "two", None)]


def test_past_deadline_runs_at_once(timers, backend):
    calls = Calls()
    start = backend.monotonic()
    timers.call_at(start - 10, calls, "late")
    calls.wait(1)
    assert backend.monotonic() - start < WAIT


def test_earlier_deadline_wakes_a_sleeping_loop(timers, backend):
    calls = Calls()
    timers.call_at(backend.monotonic() + FAR, calls, "far")
    calls_so_far = len(backend.threads)
    start = backend.monotonic()
    timers.call_at(start + 0.05 * UNIT, calls, "near")
    assert calls.wait(1) == ["near"]
    assert backend.monotonic() - start < WAIT
    assert len(backend.threads) == calls_so_far  # the same loop, woken


def test_timer_after_an_idle_loop(timers, backend):
    """Once every timer has run, the loop sleeps with an empty heap; a new timer must wake it."""
    calls = Calls()
    timers.call_at(backend.monotonic(), calls, "first")
    calls.wait(1)
    start = backend.monotonic()
    timers.call_at(start + 0.05 * UNIT, calls, "second")
    assert calls.wait(2) == ["first", "second"]
    assert backend.monotonic() - start < WAIT


def test_timer_scheduled_from_a_callback(timers, backend):
    calls = Calls()

    def reschedule():
        calls("outer")
        timers.call_at(backend.monotonic() + 0.05 * UNIT, calls, "inner")

    timers.call_at(backend.monotonic(), reschedule)
    assert calls.wait(2) == ["outer", "inner"]


def test_a_raising_callback_does_not_stop_the_others(timers, backend, caplog):
    calls = Calls()

    def boom():
        raise RuntimeError("boom")

    now = backend.monotonic()
    timers.call_at(now, boom)
    timers.call_at(now, calls, "same deadline")
    timers.call_at(now + 0.1 * UNIT, calls, "later")
    with caplog.at_level(logging.ERROR, logger="greensio.timers"):
        assert calls.wait(2) == ["same deadline", "later"]
    [record] = [r for r in caplog.records if r.name == "greensio.timers"]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


def test_stop_ends_the_loop_and_drops_pending_timers(timers, backend):
    calls = Calls()
    now = backend.monotonic()
    timers.call_at(now + 0.1 * UNIT, calls, "pending")
    timers.call_at(now + FAR, calls, "far")
    [loop] = backend.threads
    timers.stop()
    loop.join(WAIT)
    assert not loop.is_alive()
    # A later timer starts a new loop; the dropped one, due earlier, never runs.
    timers.call_at(now + 0.2 * UNIT, calls, "after stop")
    assert calls.wait(1) == ["after stop"]
    assert len(backend.threads) == 2


def test_timer_right_after_stop_runs(timers, backend):
    """The stopped loop may not have woken yet when the next timer comes: that one still runs."""
    calls = Calls()
    timers.call_at(backend.monotonic() + FAR, calls, "far")
    timers.stop()
    timers.call_at(backend.monotonic(), calls, "right after")
    assert calls.wait(1) == ["right after"]


@pytest.mark.parametrize("attempt", range(5))
def test_stop_wakes_a_loop_that_is_just_starting(timers, backend, attempt):
    """stop() right after the first timer: the loop must not go to sleep for the timer's delay."""
    timers.call_at(backend.monotonic() + FAR, print, "never")
    timers.stop()
    [loop] = backend.threads
    loop.join(WAIT)
    assert not loop.is_alive()


def test_stop_before_any_timer(timers, backend):
    timers.stop()
    assert backend.threads == []
    calls = Calls()
    timers.call_at(backend.monotonic(), calls, "after stop")
    assert calls.wait(1) == ["after stop"]


# --- the same loop on the deterministic backend: exact virtual times, no real waiting -----------


def test_fake_clock_runs_each_callback_at_its_deadline():
    fake = FakeBackend()
    timers = Timers(fake)
    seen: list[tuple[str, float]] = []
    start = fake.monotonic()
    for delay, name in [(25, "ping"), (5, "connect timeout"), (45, "ping timeout")]:
        timers.call_at(start + delay, lambda n=name: seen.append((n, fake.monotonic() - start)))
    fake.advance(24.999)
    assert seen == [("connect timeout", 5)]
    fake.advance(100)
    assert seen == [("connect timeout", 5), ("ping", 25), ("ping timeout", 45)]
    timers.stop()
    fake.run()
    assert fake.pending_deadlines() == []


def test_fake_clock_idle_loop_sleeps_and_wakes_for_a_new_timer():
    fake = FakeBackend()
    timers = Timers(fake)
    seen: list[float] = []
    timers.call_at(fake.monotonic() + 1, lambda: seen.append(fake.monotonic()))
    fake.advance(2)
    start = fake.monotonic()
    timers.call_at(start + 0.5, lambda: seen.append(fake.monotonic()))
    fake.advance(1)
    assert seen == [start - 1, start + 0.5]
    timers.stop()
    fake.run()
