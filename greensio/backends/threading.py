"""Plain-threads backend, for the development server and tests without gevent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from greensio.backends.base import LockLike


class ThreadingBackend:
    name = "threading"
    cooperative = False
    coalesces_writes = False
    cooperative_sockets = False

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> threading.Thread:
        thread = threading.Thread(target=fn, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        return thread

    def run_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.spawn(fn, *args)

    start = run_soon

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.spawn(fn, *args)

    current_task = staticmethod(threading.current_thread)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def event(self) -> threading.Event:
        return threading.Event()

    def atomic_lock(self) -> LockLike:
        return threading.RLock()

    def lock(self) -> LockLike:
        return threading.RLock()

    monotonic = staticmethod(time.monotonic)
