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


class LockLike(Protocol):
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> Any: ...


class TaskLike(Protocol):
    def join(self, timeout: float | None = None) -> Any: ...


class Backend(Protocol):
    """What a concurrency backend provides. ``name`` is the ``async_mode`` it serves."""

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

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` (briefly: it must not block) once the running task next blocks or
        yields. Cooperative backends only: with threads it runs in a task of its own."""
        ...

    def current_task(self) -> object:
        """The running task (greenlet or thread), to compare by identity."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def event(self) -> EventLike: ...

    def lock(self) -> LockLike: ...

    def atomic_lock(self) -> LockLike:
        """A reentrant lock for sections that never block or yield. Under gevent greenlets cannot
        interleave there, so it costs nothing; with threads it is a real one."""
        ...

    def monotonic(self) -> float: ...


class NoLock:
    """``atomic_lock()`` of a cooperative backend (gevent, eventlet): a section that never
    yields is already atomic there, so its lock does nothing."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        pass

    def __enter__(self) -> NoLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


NO_LOCK = NoLock()
