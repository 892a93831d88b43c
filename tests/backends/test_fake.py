"""greensio.backends.fake: the deterministic backend for timer, heartbeat and reconnect tests."""

from __future__ import annotations

import threading

import pytest

from greensio.backends.fake import FakeBackend
from greensio.exceptions import UsageError

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


def test_nothing_runs_until_the_test_drains_the_queue(backend):
    ran = []
    backend.spawn(ran.append, "a")
    backend.run_soon(ran.append, "b")
    assert ran == []
    backend.run()
    assert ran == ["a", "b"]


def test_sleep_wakes_exactly_at_its_deadline(backend):
    woke = []

    def sleeper(delay):
        backend.sleep(delay)
        woke.append((delay, backend.monotonic()))

    start = backend.monotonic()
    for delay in (3, 1, 2):
        backend.spawn(sleeper, delay)
    backend.advance(1.5)
    assert woke == [(1, start + 1)]
    assert backend.monotonic() == start + 1.5
    backend.advance(10)
    assert woke == [(1, start + 1), (2, start + 2), (3, start + 3)]
    assert backend.monotonic() == start + 11.5


def test_event_wakes_waiters_and_timed_waits_expire(backend):
    event = backend.event()
    results = []
    backend.spawn(lambda: results.append(("untimed", event.wait())))
    backend.spawn(lambda: results.append(("timed", event.wait(5))))
    backend.advance(6)
    assert results == [("timed", False)]
    event.set()
    backend.run()
    assert results == [("timed", False), ("untimed", True)]
    assert event.is_set() and event.wait(0)
    event.clear()
    assert not event.is_set()


def test_a_set_before_the_timeout_wins_once(backend):
    event = backend.event()
    results = []
    backend.spawn(lambda: results.append(event.wait(5)))
    backend.advance(1)
    event.set()
    backend.advance(10)  # the stale deadline at +5 must not wake it a second time
    assert results == [True]
    assert backend.pending_deadlines() == []


def test_join_and_the_value_of_a_task(backend):
    def work():
        backend.sleep(2)
        return 42

    task = backend.spawn(work)
    assert task.join(1) is False  # the test blocks: the clock jumps to the timeout
    assert task.join() is True
    assert task.value == 42


def test_a_failing_task_is_logged_and_kept(backend, caplog):
    def boom():
        raise RuntimeError("boom")

    task = backend.spawn(boom)
    backend.run()
    assert isinstance(task.exception, RuntimeError)
    assert "task" in caplog.text and "boom" in caplog.text


def test_lock_hands_over_in_order(backend):
    lock = backend.lock()
    order = []

    def holder(name, hold):
        with lock:
            order.append(f"{name} in")
            backend.sleep(hold)
            order.append(f"{name} out")

    backend.spawn(holder, "a", 2)
    backend.spawn(holder, "b", 1)
    backend.advance(5)
    assert order == ["a in", "a out", "b in", "b out"]
    with lock, lock:  # reentrant in the driver too
        assert lock.acquire(blocking=False)
        lock.release()


def test_lock_with_a_timeout(backend):
    lock = backend.lock()
    got = []
    backend.spawn(lambda: (lock.acquire(), backend.sleep(10), lock.release()))
    backend.run()
    backend.spawn(lambda: got.append(lock.acquire(timeout=3)))
    backend.advance(4)
    assert got == [False]
    with pytest.raises(UsageError):
        lock.release()  # the driver does not hold it


def test_the_driver_blocking_forever_is_an_error_not_a_hang(backend):
    with pytest.raises(UsageError, match="no task can ever set"):
        backend.event().wait()


def test_run_from_a_task_is_refused(backend):
    errors = []

    def nested():
        try:
            backend.run()
        except UsageError as exc:
            errors.append(exc)

    backend.spawn(nested)
    backend.run()
    assert len(errors) == 1


def test_clock_only_moves_forward(backend):
    with pytest.raises(UsageError):
        backend.advance(-1)


def test_other_threads_are_refused(backend):
    errors = []

    def other():
        try:
            backend.spawn(print)
        except UsageError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    assert len(errors) == 1


def test_the_fake_backend_claims_no_socket_capabilities() -> None:
    backend = FakeBackend()
    assert backend.cooperative and not backend.coalesces_writes
    assert not backend.cooperative_sockets
