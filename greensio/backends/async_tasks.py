"""Running application handlers: in order per peer, or each in a task of its own.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin, which differs only in not
waiting for a handler's coroutine.
"""

from __future__ import annotations

import collections
import contextvars
import inspect  # unasync: async-only
import logging
from collections.abc import Callable
from typing import Any

from greensio.backends.base import AsyncBackend
from greensio.handlers import call_flexibly

logger = logging.getLogger("greensio")


class AsyncTaskQueue:
    """Runs queued calls one after another in a worker task that exists only while there is work.

    One per peer keeps that peer's events in order without a resident task per connection.
    A call that raises is logged on ``logger`` (the front-end's; ``greensio`` when None).
    """

    def __init__(self, backend: AsyncBackend, logger: logging.Logger | None = None) -> None:
        self.backend = backend
        self.logger = logger
        self._lock = backend.atomic_lock()  # guards the deque and the flag only
        #: The calls waiting (made when one has to wait, dropped when none is left: an idle
        #: peer's queue holds nothing).
        self._tasks: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] | None = None
        self._running = False

    def run_in_order(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after every call queued before it."""
        if self.claim(fn, args):
            self.backend.start(self.drain)

    def claim(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        """Queue ``fn(*args)``, unless nothing is queued or running: then mark the queue busy and
        return True, and the caller must run ``drain()`` (the call is its first item)."""
        with self._lock:
            tasks = self._tasks
            if tasks is None:
                tasks = self._tasks = collections.deque()
            tasks.append((fn, args))
            if self._running:
                return False
            self._running = True
            return True

    def run_now(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in a task of its own, not waiting for queued calls."""
        self.backend.run_soon(run_guarded, fn, args, self.logger)

    async def drain(self) -> None:
        """Run the queued calls until there are none (the queue is then idle again)."""
        while True:
            with self._lock:
                tasks = self._tasks
                if not tasks:
                    self._tasks = None
                    self._running = False
                    return
                fn, args = tasks.popleft()
            await run_guarded(fn, args, self.logger)


async def run_guarded(
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
        await invoke(contextvars.Context().run, fn, *args)
    except Exception:
        log.exception("%s failed", getattr(fn, "__qualname__", fn))


async def invoke(fn: Callable[..., Any], *args: Any) -> Any:
    """Call an application's function, and wait for its result when that is awaitable."""
    result = fn(*args)
    if inspect.isawaitable(result):  # unasync: async-only
        result = await result  # unasync: async-only
    return result


async def invoke_flexibly(fn: Callable[..., Any], *args: Any) -> Any:
    """``invoke`` with as many of ``args`` as ``fn`` takes (``greensio.handlers.call_flexibly``)."""
    result = call_flexibly(fn, *args)
    if inspect.isawaitable(result):  # unasync: async-only
        result = await result  # unasync: async-only
    return result
