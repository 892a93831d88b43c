"""A deterministic backend for tests: a clock that moves only when told, a run queue you drain.

Theory of operation. Every task is a greenlet whose parent is the *driver*: the greenlet that made
the backend (the test). Nothing runs by itself: a spawned task waits in the run queue until the
driver calls ``run()`` (drain the queue: every task runs until it blocks or ends) or ``advance(dt)``
(drain, then move the clock forward through each deadline on the way — sleeps and timed waits — and
drain again at each). A task that blocks (``sleep``, ``Event.wait``, a taken ``Lock``) switches back
to the driver. So a test of timers, heartbeats or reconnect backoff runs in microseconds of real
time, and the same way every time.

The driver may block too: ``event.wait(timeout)`` or ``sleep()`` called by the driver itself runs
the tasks and jumps the clock from deadline to deadline until the event is set or the timeout has
passed (trio's autojump clock, made explicit). Blocking in the driver with nothing that could ever
wake it and no timeout raises ``UsageError`` instead of hanging.

Single-threaded by construction: the backend refuses to be used from another thread.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import greenlet

from greensio.exceptions import UsageError

logger = logging.getLogger("greensio")

_START = object()  # the run-queue value that starts a new task


class FakeTask:
    """A task of the fake backend (``spawn``'s handle)."""

    def __init__(
        self,
        backend: FakeBackend,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        self._backend = backend
        self.done = FakeEvent(backend)
        self.value: Any = None
        self.exception: BaseException | None = None

        def body() -> None:
            try:
                self.value = fn(*args, **kwargs)
            except Exception as exc:  # as a greenlet would: logged, kept, not propagated
                self.exception = exc
                logger.exception("task %s failed", getattr(fn, "__qualname__", fn))
            finally:
                self.done.set()

        self.greenlet = greenlet.greenlet(body, parent=backend._driver)

    def join(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


class FakeEvent:
    """``threading.Event``'s interface over the fake backend's scheduler."""

    def __init__(self, backend: FakeBackend) -> None:
        self._backend = backend
        self._flag = False
        self._waiters: list[greenlet.greenlet] = []

    def set(self) -> None:
        self._flag = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._backend._wake(waiter, True)

    def clear(self) -> None:
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        return self._backend._block(self._waiters, timeout, lambda: self._flag)


class FakeLock:
    """A reentrant lock over the fake backend's scheduler."""

    def __init__(self, backend: FakeBackend) -> None:
        self._backend = backend
        self._owner: object = None
        self._count = 0
        self._waiters: list[greenlet.greenlet] = []

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = greenlet.getcurrent()
        while self._owner is not None and self._owner is not me:
            if not blocking:
                return False
            free = self._backend._block(
                self._waiters, None if timeout < 0 else timeout, lambda: self._owner is None
            )
            if not free:
                return False
        self._owner = me
        self._count += 1
        return True

    def release(self) -> None:
        if self._owner is not greenlet.getcurrent():
            raise UsageError("release() of a lock this task does not hold")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                self._backend._wake(waiter, True)

    def __enter__(self) -> FakeLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class FakeBackend:
    """The ``Backend`` interface, run by hand (see the module docstring)."""

    name = "fake"
    cooperative = True
    coalesces_writes = False
    cooperative_sockets = False

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._driver = greenlet.getcurrent()
        self._thread = threading.get_ident()
        self._ready: collections.deque[tuple[greenlet.greenlet, object]] = collections.deque()
        #: (deadline, order, task, token): a timed wait; the token is its wake-up once.
        self._timed: list[tuple[float, int, greenlet.greenlet, list[bool]]] = []
        self._order = itertools.count()
        #: The live token of each blocked task, so a wake-up reaches it only once.
        self._tokens: dict[greenlet.greenlet, list[bool]] = {}

    # --- driving it -------------------------------------------------------------------------------
    def run(self) -> None:
        """Run every ready task until each blocks or ends (tasks they wake run too)."""
        self._check_thread()
        if greenlet.getcurrent() is not self._driver:
            raise UsageError("run() and advance() are for the test, not for a task")
        while self._ready:
            task, value = self._ready.popleft()
            if task.dead:
                continue
            if value is _START:
                task.switch()
            else:
                task.switch(value)

    def advance(self, seconds: float) -> None:
        """Run ready tasks, then move the clock ``seconds`` ahead, stopping at every deadline
        on the way to run what it wakes."""
        if seconds < 0:
            raise UsageError("the clock only moves forward")
        target = self.now + seconds
        self.run()
        while self._timed and self._timed[0][0] <= target:
            self._fire_next()
            self.run()
        self.now = target
        self.run()

    def pending_deadlines(self) -> list[float]:
        """The deadlines tasks are blocked on, earliest first (stale ones left out)."""
        return sorted(when for when, _, _, token in self._timed if not token[0])

    # --- the Backend interface --------------------------------------------------------------------
    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FakeTask:
        self._check_thread()
        task = FakeTask(self, fn, args, kwargs)
        self._ready.append((task.greenlet, _START))
        return task

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.spawn(fn, *args)

    start = run_soon

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.spawn(fn, *args)

    def current_task(self) -> object:
        return greenlet.getcurrent()

    def sleep(self, seconds: float) -> None:
        self._block([], max(0.0, seconds), lambda: False)

    def event(self) -> FakeEvent:
        return FakeEvent(self)

    def lock(self) -> FakeLock:
        return FakeLock(self)

    def atomic_lock(self) -> FakeLock:
        return FakeLock(self)

    def monotonic(self) -> float:
        return self.now

    # --- the scheduler ----------------------------------------------------------------------------
    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise UsageError("FakeBackend is single-threaded: use it from the thread that made it")

    def _wake(self, task: greenlet.greenlet, value: bool) -> None:
        token = self._tokens.pop(task, None)
        if token is not None and not token[0]:
            token[0] = True
            self._ready.append((task, value))

    def _fire_next(self) -> None:
        when, _, task, token = heapq.heappop(self._timed)
        if not token[0]:
            self.now = max(self.now, when)
            self._wake(task, False)

    def _block(
        self,
        waiters: list[greenlet.greenlet],
        timeout: float | None,
        ready: Callable[[], bool],
    ) -> bool:
        """Park the current task until woken (True) or ``timeout`` passes (False)."""
        self._check_thread()
        me = greenlet.getcurrent()
        if me is self._driver:
            return self._block_driver(timeout, ready)
        token = [False]
        self._tokens[me] = token
        waiters.append(me)
        if timeout is not None:
            heapq.heappush(self._timed, (self.now + timeout, next(self._order), me, token))
        result = self._driver.switch()
        if me in waiters:
            waiters.remove(me)
        return bool(result) or ready()

    def _block_driver(self, timeout: float | None, ready: Callable[[], bool]) -> bool:
        deadline = None if timeout is None else self.now + timeout
        while True:
            self.run()
            if ready():
                return True
            upcoming = [when for when, _, _, token in self._timed if not token[0]]
            if deadline is not None and (not upcoming or min(upcoming) > deadline):
                self.now = max(self.now, deadline)
                self.run()
                return ready()
            if not upcoming:
                raise UsageError(
                    "the test is waiting on something no task can ever set: run() or advance() "
                    "the fake backend from the test, or give the wait a timeout"
                )
            self._fire_next()
