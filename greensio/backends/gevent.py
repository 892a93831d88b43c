"""gevent backend: greenlets, gevent's Event and lock. Never monkey-patches."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import gevent.lock
import greenlet

from greensio.backends.base import NO_LOCK, LockLike

logger = logging.getLogger("greensio")

#: Idle task greenlets kept for reuse. Creating a greenlet costs more than its Python object: on
#: CPython 3.11+ its first frame needs a fresh 16 KiB data-stack chunk (an mmap, and a munmap when
#: it ends), which was one of each per handled event.
_POOL_SIZE = 256
_RUN = object()


class _TaskPool:
    """Bare greenlets that run one call after another: ``run_soon`` hands a call to an idle one
    (or a new one) through the hub's callback queue; when the call returns, the greenlet parks
    itself here until the next."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.idle: list[greenlet.greenlet] = []

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        idle = self.idle
        while idle:
            task = idle.pop()
            if not task.dead:  # (killed while parked)
                break
        else:
            task = greenlet.greenlet(self._work, parent=self.hub)
        self.hub.loop.run_callback(task.switch, _RUN, fn, args)

    def _work(self, _marker: object, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        me = greenlet.getcurrent()
        hub_switch = self.hub.switch
        idle = self.idle
        while True:
            try:
                fn(*args)
            except Exception:
                logger.exception("task %s failed", getattr(fn, "__qualname__", fn))
            fn = args = None  # type: ignore[assignment]  # nothing held while parked
            if len(idle) >= _POOL_SIZE:
                return
            me.gr_context = None  # the next call starts with fresh context variables
            idle.append(me)
            while True:
                got = hub_switch()
                if type(got) is tuple and len(got) == 3 and got[0] is _RUN:
                    break
                # a stray wake-up (a waiter left behind by a finished call): stay parked
            _, fn, args = got


class GeventBackend:
    name = "gevent"
    cooperative = True
    coalesces_writes = True
    cooperative_sockets = True

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet:
        return gevent.spawn(fn, *args, **kwargs)

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        # A pooled bare greenlet started from the hub's callback queue: a gevent.Greenlet costs
        # about twice as much as a bare one (links, and the spawning-tree record gevent keeps).
        hub = gevent.get_hub()
        pool = getattr(hub, "_greensio_tasks", None)
        if pool is None:
            pool = hub._greensio_tasks = _TaskPool(hub)
        pool.submit(fn, args)

    start = run_soon

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        gevent.get_hub().loop.run_callback(fn, *args)  # run by the hub, in its own greenlet

    current_task = staticmethod(greenlet.getcurrent)

    def sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)

    def event(self) -> gevent.event.Event:
        return gevent.event.Event()

    def atomic_lock(self) -> LockLike:
        return NO_LOCK

    def lock(self) -> LockLike:
        return gevent.lock.RLock()

    monotonic = staticmethod(time.monotonic)


def serve_loopback(app: Callable[..., Any]) -> tuple[int, Callable[[], None]]:
    """Serve the WSGI ``app`` with gevent's pywsgi on 127.0.0.1 and a port the kernel picks (a
    worker's private endpoint, greensio/engineio/forwarding.py): the port, and how to stop."""
    from gevent.pywsgi import WSGIServer

    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    return server.server_port, lambda: server.stop(timeout=1)
