"""One timer loop per server: calls ``fn(*args)`` at a time, on the backend.

Every connection's heartbeat and connect deadline goes through here, so an idle connection costs
a heap entry, not a sleeping greenlet. Entries are never cancelled; a callback that finds its
deadline stale simply does nothing (see ``EngineSocket._on_timer``).
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Any, Protocol, cast

from greensio.backends.base import Backend, CoreBackend

logger = logging.getLogger("greensio.timers")


class TimerLoop(Protocol):
    """What the server's timers offer: ``Timers`` here, or the asyncio backend's ``LoopTimers``."""

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> None: ...
    def stop(self) -> None: ...


def timers_for(backend: CoreBackend) -> TimerLoop:
    """The backend's own timers when it has them (asyncio's loop), else a ``Timers`` loop."""
    make = getattr(backend, "make_timers", None)
    if make is not None:
        timers: TimerLoop = make()
        return timers
    return Timers(cast(Backend, backend))  # the greenlet and thread backends: blocking waits


class Timers:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._counter = itertools.count()
        self._lock = backend.lock()
        self._wake = backend.event()
        self._running = False
        self._stopped = False

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            # After stop(), a loop that has not woken up to it yet carries on with this timer;
            # one that has already returned is replaced below.
            self._stopped = False
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (when, next(self._counter), fn, args))
            if not self._running:
                self._running = True
                self.backend.spawn(self._run)
            elif earliest is None or when < earliest:
                self._wake.set()

    def stop(self) -> None:
        """End the loop and drop what is scheduled; a later ``call_at`` starts a new loop."""
        # Under the lock, so that the loop either sees the flag or has cleared ``_wake`` before it
        # is set; otherwise a loop just starting could clear the wake-up and sleep a whole delay.
        with self._lock:
            self._stopped = True
            self._heap.clear()
            self._wake.set()

    def _run(self) -> None:
        while True:
            now = self.backend.monotonic()
            due = []
            with self._lock:
                if self._stopped:
                    self._running = False
                    return
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
                delay = self._heap[0][0] - now if self._heap else 60.0
                self._wake.clear()
            for _, _, fn, args in due:
                try:
                    fn(*args)
                except Exception:  # one bad callback must not stop every heartbeat
                    logger.exception("timer callback failed")
            if not due:
                self._wake.wait(delay)
