"""Concurrency backends; ``get_backend(async_mode)`` picks one ('gevent', 'eventlet',
'threading', or None).

With ``async_mode=None`` eventlet is chosen when the process has imported eventlet and it has
monkey-patched the socket module (``eventlet.monkey_patch()``, as ``gunicorn -k eventlet`` does);
else gevent when the process has imported gevent (as under ``gunicorn -k gevent`` or after
``gevent.monkey.patch_all()``), and threads otherwise.
"""

from __future__ import annotations

import sys

from greensio.backends.base import AsyncBackend, Backend
from greensio.backends.sockets import eventlet_patched
from greensio.exceptions import UsageError

ASYNC_MODES = ("gevent", "eventlet", "threading")


def _detect() -> str:
    if eventlet_patched():
        return "eventlet"
    # gevent once the application has imported it (gunicorn's gevent worker, a patch_all()
    # entry point); plain threads otherwise, where gevent primitives would not mix with threads.
    return "gevent" if "gevent" in sys.modules else "threading"


def get_backend(async_mode: str | None = None) -> Backend:
    """The backend for ``async_mode``; raises UsageError for an unknown or missing one."""
    mode = async_mode or _detect()
    if mode == "gevent":
        try:
            from greensio.backends.gevent import GeventBackend
        except ImportError as exc:
            raise UsageError(
                "async_mode='gevent' needs gevent: pip install greensio[gevent]"
            ) from exc
        return GeventBackend()
    if mode == "eventlet":
        try:
            from greensio.backends.eventlet import EventletBackend
        except ImportError as exc:
            raise UsageError(
                "async_mode='eventlet' needs eventlet: pip install greensio[eventlet]"
            ) from exc
        return EventletBackend()
    if mode == "threading":
        from greensio.backends.threading import ThreadingBackend

        return ThreadingBackend()
    raise UsageError(f"unknown async_mode {mode!r}; choose one of {ASYNC_MODES}")


#: python-socketio's asyncio modes other than 'asgi', which greensio does not serve.
_OTHER_ASYNC_MODES = ("aiohttp", "sanic", "tornado")


def get_async_backend(async_mode: str | None = None) -> AsyncBackend:
    """The asyncio backend, for ``async_mode`` None or 'asgi'; raises UsageError otherwise."""
    if async_mode in (None, "asgi"):
        from greensio.backends.asyncio import AsyncioBackend

        return AsyncioBackend()
    if async_mode in _OTHER_ASYNC_MODES:
        raise UsageError(
            f"async_mode={async_mode!r} is not supported: greensio's asyncio server speaks ASGI; "
            "leave async_mode out (or 'asgi') and serve greensio.ASGIApp(sio) with uvicorn or "
            "hypercorn"
        )
    raise UsageError(
        f"unknown async_mode {async_mode!r} for the asyncio classes; use 'asgi' (or leave it "
        "out), or the greenlet classes (Server, Client) for 'gevent', 'eventlet' and 'threading'"
    )


__all__ = ["ASYNC_MODES", "AsyncBackend", "Backend", "get_async_backend", "get_backend"]
