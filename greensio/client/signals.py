"""Ctrl+C disconnects every client that asked for it (python-socketio's ``handle_sigint``).

An ``AsyncClient``'s ``disconnect()`` is a coroutine: it is started as a task on the running
event loop (the signal handler runs in the main thread, between two steps of that loop).
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import threading
import weakref
from typing import Any

_clients: weakref.WeakSet[Any] = weakref.WeakSet()
_previous: Any = None


def register_for_sigint(client: Any) -> None:
    """Disconnect ``client`` on SIGINT, then run the handler that was there before."""
    global _previous
    _clients.add(client)
    if _previous is not None or threading.current_thread() is not threading.main_thread():
        return
    _previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: Any) -> None:
    for client in list(_clients):
        result = client.disconnect()
        if inspect.iscoroutine(result):
            _start(result)
    if callable(_previous):
        _previous(signum, frame)


_started: set[Any] = set()


def _start(coroutine: Any) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop runs in this thread: that client is not running either
        coroutine.close()
        return
    task = loop.create_task(coroutine)
    _started.add(task)  # the loop keeps weak references only
    task.add_done_callback(_started.discard)
