"""The small typed interface the front-end uses for concurrency (DESIGN.md, "backend").

Front-end code never imports gevent, eventlet or threading; it asks a ``Backend`` for these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class EventLike(Protocol):
    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class AsyncEventLike(Protocol):
    """The asyncio backend's Event: ``wait`` is a coroutine (greensio.backends.asyncio)."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    async def wait(self, timeout: float | None = None) -> bool: ...


class LockLike(Protocol):
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> Any: ...


class _NoLock:
    """The lock of sections that need none: those that never yield in a cooperative backend
    (gevent, eventlet, asyncio), where nothing else runs until the section ends."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        pass

    def __enter__(self) -> _NoLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


#: What a cooperative backend's ``atomic_lock()`` returns.
NO_LOCK = _NoLock()


class TaskLike(Protocol):
    def join(self, timeout: float | None = None) -> Any: ...


class CoreBackend(Protocol):
    """What every concurrency backend provides, greenlet and asyncio alike: what the shared,
    never-waiting code (the Engine.IO sockets and requests, delivery, timers) calls. ``name`` is
    the ``async_mode`` it serves."""

    name: str
    #: True when a task runs until it blocks (greenlets): nothing interleaves between two
    #: points of a task where it does not block or yield.
    cooperative: bool
    #: True when WebSocket writes made during one pass of the event loop may wait for its end
    #: and leave in one send per connection (greensio/transports/coalescer.py): ``run_soon``
    #: runs after the current pass, and the server's sockets can send without blocking.
    coalesces_writes: bool
    #: True when the WSGI server's client sockets are this backend's own cooperative ones
    #: (gevent's, under gunicorn's gevent worker): a task may take a keep-alive connection over
    #: and wait on it for the client's next request (greensio/transports/keepalive.py).
    cooperative_sockets: bool

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> TaskLike:
        """Run ``fn`` concurrently (a greenlet, or a daemon thread)."""
        ...

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in a new task, as cheaply as the backend can; no handle, and ``fn``
        must not raise (wrap it). For the per-event handler tasks, where spawn cost matters."""
        ...

    def start(self, fn: Callable[..., Any], *args: Any) -> None:
        """``run_soon`` for a task that may start in the caller: asyncio runs a coroutine at once
        up to its first wait (the rest in a task); the greenlet backends are ``run_soon``."""
        ...

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` (briefly: it must not block) once the running task next blocks or
        yields. Cooperative backends only: with threads it runs in a task of its own."""
        ...

    def current_task(self) -> object:
        """The running task (greenlet or thread), to compare by identity."""
        ...

    def event(self) -> Any:
        """A new Event: ``EventLike`` (greenlets, threads) or ``AsyncEventLike`` (asyncio)."""
        ...

    def lock(self) -> LockLike: ...

    def atomic_lock(self) -> LockLike:
        """A reentrant lock for sections that never block or yield. Under gevent greenlets cannot
        interleave there, so it costs nothing; with threads it is a real one."""
        ...

    def monotonic(self) -> float: ...


class Backend(CoreBackend, Protocol):
    """A greenlet or thread backend: ``sleep`` and the Event's ``wait`` block the caller."""

    def sleep(self, seconds: float) -> None: ...

    def event(self) -> EventLike: ...


class AsyncBackend(CoreBackend, Protocol):
    """The asyncio backend: the same calls, but ``sleep`` and the Event's ``wait`` are
    coroutines. The asyncio sources (``async_*.py``) are typed with it; their generated greenlet
    twins with ``Backend``."""

    async def sleep(self, seconds: float) -> None: ...

    def event(self) -> AsyncEventLike: ...
