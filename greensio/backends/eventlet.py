"""eventlet backend: green threads, and an Event and a reentrant lock built on eventlet's own.

eventlet is supported, not primary: its maintainers keep it in bug-fix mode and discourage new
use (docs/deployment-eventlet.md). Like the gevent backend this never monkey-patches; the entry
point does (``eventlet.monkey_patch()``, which gunicorn's eventlet worker runs itself), and
``async_mode=None`` picks this backend only once it has (greensio/backends/__init__.py).

Importing eventlet warns (``EventletDeprecationWarning``); that warning is the application's to
see or filter, so nothing here hides it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import eventlet
import eventlet.event
import eventlet.lock
import greenlet
from eventlet import hubs

from greensio.backends.base import NO_LOCK, LockLike

logger = logging.getLogger("greensio")


class _Event:
    """``threading.Event``'s interface on eventlet's one-shot ``Event`` (a fresh one per clear).

    A waiter woken by ``set()`` returns True even when ``clear()`` ran before it did, as with
    threads: it waits on the event that was set, and ``clear`` only replaces a set one.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = eventlet.event.Event()

    def set(self) -> None:
        if not self._event.ready():
            self._event.send(True)

    def clear(self) -> None:
        if self._event.ready():
            self._event = eventlet.event.Event()

    def is_set(self) -> bool:
        return bool(self._event.ready())

    def wait(self, timeout: float | None = None) -> bool:
        event = self._event
        if event.ready():
            return True
        if timeout is not None and timeout <= 0:
            return False
        return event.wait(timeout) is True  # None when the timeout expired


class _RLock:
    """A reentrant lock owned by a green thread, on eventlet's (non-reentrant) ``Lock``."""

    __slots__ = ("_lock", "_owner", "_count")

    def __init__(self) -> None:
        self._lock = eventlet.lock.Lock()
        self._owner: object | None = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = greenlet.getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        if not blocking:
            got = self._lock.acquire(False)
        else:
            got = self._lock.acquire(True, None if timeout < 0 else timeout)
        if not got:
            return False
        self._owner, self._count = me, 1
        return True

    def release(self) -> None:
        if self._owner is not greenlet.getcurrent():
            raise RuntimeError("cannot release an RLock this green thread does not hold")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._lock.release()

    def __enter__(self) -> _RLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class _Task:
    """A spawned green thread; ``join`` waits for its end (its failure was logged by then)."""

    __slots__ = ("thread",)

    def __init__(self, thread: Any) -> None:
        self.thread = thread

    def join(self, timeout: float | None = None) -> None:
        with eventlet.Timeout(timeout, False):
            self.thread.wait()


def _guarded(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:
        logger.exception("task %s failed", getattr(fn, "__qualname__", fn))


class EventletBackend:
    name = "eventlet"
    cooperative = True
    # Writes go out at once through eventlet's green sockets, which may wait for the peer: no
    # coalescing (it needs sends that never block), and no keep-alive takeover (gevent's sockets
    # only, greensio/transports/keepalive.py).
    coalesces_writes = False
    cooperative_sockets = False

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> _Task:
        return _Task(eventlet.spawn(_guarded, fn, args, kwargs))

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        # spawn_n: a bare green thread, with no result to keep (cheaper than spawn).
        eventlet.spawn_n(_guarded, fn, args, {})

    start = run_soon

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        # A timer due now, fired by the hub in its own greenlet when the running task yields.
        hubs.get_hub().schedule_call_global(0, fn, *args)

    current_task = staticmethod(greenlet.getcurrent)

    def sleep(self, seconds: float) -> None:
        eventlet.sleep(seconds)

    def event(self) -> _Event:
        return _Event()

    def atomic_lock(self) -> LockLike:
        return NO_LOCK

    def lock(self) -> LockLike:
        return _RLock()

    monotonic = staticmethod(time.monotonic)
