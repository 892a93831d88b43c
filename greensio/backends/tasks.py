"""Running application handlers: in order per peer, or each in a task of its own."""

from __future__ import annotations

import collections
import contextvars
import logging
from collections.abc import Callable
from typing import Any

from greensio.backends.base import Backend

logger = logging.getLogger("greensio")


class TaskQueue:
    """Runs queued calls one after another in a worker task that exists only while there is work.

    One per peer keeps that peer's events in order without a resident greenlet per connection.
    A call that raises is logged on ``logger`` (the front-end's; ``greensio`` when None).
    """

    def __init__(self, backend: Backend, logger: logging.Logger | None = None) -> None:
        self.backend = backend
        self.logger = logger
        self._lock = backend.atomic_lock()  # guards the deque and the flag only
        self._tasks: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque()
        )
        self._running = False

    def run_in_order(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after every call queued before it."""
        with self._lock:
            self._tasks.append((fn, args))
            if self._running:
                return
            self._running = True
        self.backend.run_soon(self._drain)

    def run_here_in_order(self, fn: Callable[..., Any], *args: Any) -> None:
        """Like ``run_in_order``, but in the calling task when nothing is queued or running (it
        then also runs what gets queued meanwhile). For a caller that may block harmlessly."""
        with self._lock:
            if self._running:
                self._tasks.append((fn, args))
                return
            self._running = True
        try:
            run_guarded(fn, args, self.logger)
        finally:
            self._drain()

    def run_now(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in a task of its own, not waiting for queued calls."""
        self.backend.run_soon(run_guarded, fn, args, self.logger)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._tasks:
                    self._running = False
                    return
                fn, args = self._tasks.popleft()
            run_guarded(fn, args, self.logger)


def run_guarded(
    fn: Callable[..., Any], args: tuple[Any, ...], log: logging.Logger | None = None
) -> None:
    """Call an application handler; its exception is logged (at ERROR, with the traceback, on
    ``log``, else the ``greensio`` logger), never propagated to the transport.

    Front-ends that know which event a handler serves log its failure themselves, naming the
    event, namespace and sid; this is the last resort (an ack callback, say).

    Each call starts with fresh context variables, as in a task of its own (python-socketio
    starts a greenlet or thread per event), though several may run in one task here.
    """
    log = log or logger
    try:
        contextvars.Context().run(fn, *args)
    except Exception:
        log.exception("%s failed", getattr(fn, "__qualname__", fn))
