"""gevent backend: greenlets, gevent's Event and lock. Never monkey-patches."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import gevent.lock
import greenlet

from greensio.backends.base import LockLike


class _NoLock:
    """``atomic_lock()`` under gevent: a section that never yields is already atomic."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        pass

    def __enter__(self) -> _NoLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


_NO_LOCK = _NoLock()


class GeventBackend:
    name = "gevent"

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet:
        return gevent.spawn(fn, *args, **kwargs)

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        # A bare greenlet started from the hub's callback queue: a gevent.Greenlet costs about
        # twice as much (links, and the spawning-tree record gevent keeps by default).
        hub = gevent.get_hub()
        task = greenlet.greenlet(fn, parent=hub)
        hub.loop.run_callback(task.switch, *args)

    def sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)

    def event(self) -> gevent.event.Event:
        return gevent.event.Event()

    def atomic_lock(self) -> LockLike:
        return _NO_LOCK

    def lock(self) -> LockLike:
        return gevent.lock.RLock()

    monotonic = staticmethod(time.monotonic)
