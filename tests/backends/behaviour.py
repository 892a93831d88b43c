"""What every concurrency backend must do, written once and run against each backend.

``tests/backends/test_backends.py`` runs these checks in-process for the threading backend, and
for gevent in a child process (``python -m tests.backends.behaviour gevent``), so that gevent's hub
never runs inside the pytest process. Nothing here monkey-patches: the gevent checks use the
backend's own primitives, as greensio does. The child prints one JSON line,
``{check_name: null | "traceback"}``.
"""

from __future__ import annotations

import contextvars
import json
import socket
import sys
import traceback
from collections.abc import Callable

from greensio.backends import get_backend
from greensio.backends.base import Backend, EventLike
from greensio.backends.sockets import direct_io
from tests.support.servers import UNIT

WAIT = 2 * UNIT
SHORT = 0.05 * UNIT


def check_identity(backend: Backend, mode: str) -> None:
    assert backend.name == mode
    first = backend.monotonic()
    second = backend.monotonic()
    assert isinstance(first, float) and second >= first


def check_spawn(backend: Backend, mode: str) -> None:
    got: list[object] = []
    go = backend.event()

    def task(a: int, *, b: str) -> None:
        assert go.wait(WAIT)
        got.append((a, b))

    handle = backend.spawn(task, 1, b="two")
    assert got == []  # spawn returns without running the task to its end
    go.set()
    handle.join(WAIT)
    assert got == [(1, "two")]


def check_sleep(backend: Backend, mode: str) -> None:
    ran: list[bool] = []
    backend.spawn(ran.append, True)
    start = backend.monotonic()
    backend.sleep(SHORT)
    assert backend.monotonic() - start >= SHORT * 0.9
    assert ran == [True]  # other tasks ran while this one slept


def check_event(backend: Backend, mode: str) -> None:
    event = backend.event()
    assert not event.is_set()
    start = backend.monotonic()
    assert event.wait(SHORT) is False
    assert backend.monotonic() - start >= SHORT * 0.9

    def set_later() -> None:
        backend.sleep(SHORT)
        event.set()

    backend.spawn(set_later)
    assert event.wait(WAIT) is True
    assert event.is_set()
    assert event.wait(0) is True
    event.clear()
    assert not event.is_set()


def check_lock_excludes(backend: Backend, mode: str) -> None:
    lock = backend.lock()
    trace: list[str] = []

    def critical(name: str) -> None:
        with lock:
            trace.append(f"{name} in")
            backend.sleep(SHORT)
            trace.append(f"{name} out")

    handles = [backend.spawn(critical, name) for name in ("a", "b")]
    for handle in handles:
        handle.join(WAIT)
    assert len(trace) == 4
    assert [entry.split()[1] for entry in trace] == ["in", "out", "in", "out"], trace


def check_lock_is_reentrant(backend: Backend, mode: str) -> None:
    lock = backend.lock()
    with lock:
        with lock:  # EngineSocket.flush() runs with the lock held, and may be called again inside
            pass
        assert lock.acquire(blocking=False)
        lock.release()


def check_lock_held_elsewhere(backend: Backend, mode: str) -> None:
    lock = backend.lock()
    held, release = backend.event(), backend.event()

    def holder() -> None:
        with lock:
            held.set()
            release.wait(WAIT)

    handle = backend.spawn(holder)
    assert held.wait(WAIT)
    assert lock.acquire(blocking=False) is False
    start = backend.monotonic()
    assert lock.acquire(timeout=SHORT) is False
    assert backend.monotonic() - start >= SHORT * 0.9
    release.set()
    assert lock.acquire(timeout=WAIT) is True
    lock.release()
    handle.join(WAIT)


def check_atomic_lock(backend: Backend, mode: str) -> None:
    # Guards sections that never yield: under gevent nothing can interleave there, so the lock
    # is free; with threads it must still exclude another thread.
    lock = backend.atomic_lock()
    with lock:
        with lock:  # reentrant: an Engine.IO socket's sections nest
            pass
    assert lock.acquire()
    lock.release()
    if mode == "threading":
        assert lock.acquire()
        holder_got_it: list[bool] = []
        handle = backend.spawn(lambda: holder_got_it.append(lock.acquire(blocking=False)))
        handle.join(WAIT)
        lock.release()
        assert holder_got_it == [False]


def check_run_soon(backend: Backend, mode: str) -> None:
    """Tasks run concurrently (each may block), with their arguments, one's failure (logged)
    stops none of the others, and a context variable set in one is not seen by the next."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[tuple[int, str]] = []
    go, done = backend.event(), backend.event()

    def blocker(n: int) -> None:
        var.set(f"set by {n}")
        go.wait(WAIT)
        seen.append((n, var.get()))
        if len(seen) == 20:
            done.set()

    def failing() -> None:
        raise RuntimeError("a task failed (expected by the test)")

    for round_ in range(2):  # the second round reuses pooled tasks under gevent
        go.clear()
        done.clear()
        seen.clear()
        backend.run_soon(failing)
        for n in range(20):
            backend.run_soon(blocker, n)
        backend.sleep(SHORT)
        assert seen == [], round_  # all twenty are blocked at once
        go.set()
        assert done.wait(WAIT), round_
        assert sorted(seen) == [(n, f"set by {n}") for n in range(20)], round_
        later: list[str] = []
        finished = backend.event()

        def read_var(into: list[str], finished: EventLike) -> None:
            into.append(var.get())
            finished.set()

        backend.run_soon(read_var, later, finished)
        assert finished.wait(WAIT)
        assert later == ["unset"], round_


def check_capabilities(backend: Backend, mode: str) -> None:
    green = mode == "gevent"
    assert backend.coalesces_writes is green
    assert backend.cooperative_sockets is green


def check_direct_io_of_the_backends_sockets(backend: Backend, mode: str) -> None:
    """A gevent socket's direct calls are the OS socket's non-blocking ones; a standard socket
    (the threading backend's) and a TLS one have none."""
    if mode != "gevent":
        left, right = socket.socketpair()
        with left, right:
            assert direct_io(left) is None
        return
    import gevent.socket
    import gevent.ssl

    left, right = gevent.socket.socketpair()
    with left, right:
        direct = direct_io(left)
        assert direct is not None
        try:
            direct.recv(10)
            raise AssertionError("an empty socket read without blocking")
        except BlockingIOError:
            pass
        assert direct.send(b"hi") == 2
        direct_right = direct_io(right)
        assert direct_right is not None
        direct_right.wait_readable()
        assert direct_right.recv(10) == b"hi"
        context = gevent.ssl.create_default_context()
        tls = context.wrap_socket(left, do_handshake_on_connect=False, server_hostname="x")
        with tls:
            assert direct_io(tls) is None


CHECKS: dict[str, Callable[[Backend, str], None]] = {
    name: fn for name, fn in globals().items() if name.startswith("check_")
}


def run(mode: str, name: str) -> None:
    """Run one check against a fresh backend for ``mode``."""
    CHECKS[name](get_backend(mode), mode)


def main(mode: str) -> None:
    results: dict[str, str | None] = {}
    for name in CHECKS:
        try:
            run(mode, name)
            results[name] = None
        except BaseException:  # noqa: BLE001 - reported to the parent test, which fails on it
            results[name] = traceback.format_exc()
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
