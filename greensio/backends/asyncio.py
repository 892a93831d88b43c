"""asyncio backend: the event loop's tasks, an Event with a timeout, and the loop's own timers.

It serves ``AsyncServer`` and ``AsyncClient`` (``async_mode='asgi'`` on the server). Everything
runs on one thread, the running loop's, which is looked up at each call: an ``AsyncServer`` is
often made at import time, before uvicorn or hypercorn starts the loop it will run on.

The methods the shared, non-blocking code calls (``spawn``, ``run_soon``, ``call_soon``,
``atomic_lock``, ``monotonic``, the Event's ``set``) are plain functions as in the other
backends; the ones that wait (``sleep``, ``Event.wait``) are coroutines, for the front-ends
generated from the async sources (scripts/unasync.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from greensio.backends.base import NO_LOCK, LockLike

logger = logging.getLogger("greensio")


class AsyncioEvent(asyncio.Event):
    """``asyncio.Event`` whose ``wait`` takes a timeout and says whether the event was set."""

    async def wait(self, timeout: float | None = None) -> bool:  # type: ignore[override]
        if self.is_set():
            return True
        if timeout is None:
            return await super().wait()
        try:
            return await asyncio.wait_for(super().wait(), timeout)
        except asyncio.TimeoutError:
            return False


def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``fn``; a coroutine it returns goes on as a task of its own."""
    result = fn(*args, **kwargs)
    if inspect.iscoroutine(result):
        return asyncio.get_running_loop().create_task(result)
    return result


def _run_logged(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        _run(fn, args, {})
    except Exception:
        logger.exception("%s failed", getattr(fn, "__qualname__", fn))


class _Yield:
    """An awaitable that hands ``value`` (what a coroutine yielded: a future, or None for a bare
    pass) to the task running it, as that coroutine would have."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        return (yield self.value)


async def _resume(coro: Any, yielded: Any, context: contextvars.Context) -> Any:
    """Drive ``coro`` on from where ``start_eagerly`` left it, each step in its own ``context``:
    each future it waits for is the task's to wait for; what is thrown into the task (a
    cancellation) is thrown into ``coro``."""
    while True:
        try:
            await _Yield(yielded)
        except BaseException as exc:  # noqa: BLE001 - passed on to the coroutine, as a task does
            try:
                yielded = context.run(coro.throw, exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            yielded = context.run(coro.send, None)
        except StopIteration as stop:
            return stop.value


def start_eagerly(coro: Any) -> asyncio.Task[Any] | None:
    """Run ``coro`` now, up to the first point where it waits; None when it finished there (an
    exception it raised is raised here), else the task that runs the rest. Most handlers and
    most ASGI sends never wait: they then cost no task and no pass of the loop (Python 3.12's
    eager tasks, on every version). As in a task of its own, ``coro`` runs in a copy of the
    caller's context variables, the same copy throughout."""
    context = contextvars.copy_context()
    try:
        yielded = context.run(coro.send, None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_resume(coro, yielded, context))


def _start_logged(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result = fn(*args)
        if inspect.iscoroutine(result):
            start_eagerly(result)
    except Exception:
        logger.exception("%s failed", getattr(fn, "__qualname__", fn))


class _Done:
    """What ``spawn`` returns for a plain function, which has already run: a finished task."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def join(self, timeout: float | None = None) -> Any:
        return self.result

    def __await__(self) -> Any:
        yield from ()
        return self.result


class AsyncioBackend:
    name = "asgi"
    cooperative = True
    coalesces_writes = False
    cooperative_sockets = False

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` as a task and return the ``asyncio.Task`` (await it to
        join). A plain function is called at once, on the loop (do not block in it)."""
        result = _run(fn, args, kwargs)
        return result if isinstance(result, asyncio.Task) else _Done(result)

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        asyncio.get_running_loop().call_soon(_run_logged, fn, args)

    def start(self, fn: Callable[..., Any], *args: Any) -> None:
        """``run_soon``, but a coroutine runs at once up to its first wait (``start_eagerly``)."""
        _start_logged(fn, args)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        asyncio.get_running_loop().call_soon(fn, *args)

    def current_task(self) -> object:
        return asyncio.current_task()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def event(self) -> AsyncioEvent:
        return AsyncioEvent()

    def atomic_lock(self) -> LockLike:
        return NO_LOCK

    def lock(self) -> LockLike:
        # Sections under the server's locks never await: on one thread they need no lock.
        return NO_LOCK

    monotonic = staticmethod(time.monotonic)

    def make_timers(self) -> LoopTimers:
        return LoopTimers()


class LoopTimers:
    """``greensio.backends.timers.Timers``' interface over the loop's own ``call_later``."""

    def __init__(self) -> None:
        self._generation = 0

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        delay = max(0.0, when - time.monotonic())
        asyncio.get_running_loop().call_later(delay, self._fire, self._generation, fn, args)

    def stop(self) -> None:
        """Drop what is scheduled: entries made before now do nothing when they come due."""
        self._generation += 1

    def _fire(self, generation: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if generation != self._generation:
            return
        try:
            fn(*args)
        except Exception:  # one bad callback must not stop every heartbeat
            logger.exception("timer callback failed")
