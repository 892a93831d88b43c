"""Driving ``AsyncClient`` and ``AsyncSimpleClient`` from the behaviour tests written for the
greenlet classes: an asyncio loop runs in a thread of its own, and ``Blocking`` turns each
coroutine method into a call that waits for its result (``asyncio.run_coroutine_threadsafe``).
Everything else (properties, ``on``, ``register_namespace``) is the client's own.

Every method runs on the loop's thread (an asyncio client is not thread-safe), the caller
waiting for it, except the ones named in ``local`` (a test's own helpers that block). Handlers
run on the loop's thread; a method called from there (a handler that emits) runs at once if it
finishes without waiting, as ``emit`` does; one that would wait is an error there.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from typing import Any

from tests.support.servers import UNIT


class LoopThread:
    """An asyncio event loop in a daemon thread; ``stop()`` ends it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 20 * UNIT) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Cancel the tasks still there (as ``asyncio.run`` does at its end), then stop."""
        try:
            self.run(_cancel_the_rest(), 5 * UNIT)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5 * UNIT)
        if not self.thread.is_alive():
            self.loop.close()


def _as_coroutine(method: Any) -> Any:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **kwargs)

    return call


async def _cancel_the_rest() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Blocking:
    """An async client, its coroutine methods called as blocking ones (see the module)."""

    def __init__(self, client: Any, loop: LoopThread, local: frozenset[str] = frozenset()) -> None:
        self.__dict__["_client"] = client
        self.__dict__["_loop"] = loop
        self.__dict__["_local"] = local

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if name in self._local or not inspect.ismethod(value):
            return value
        if inspect.iscoroutinefunction(value):
            return functools.partial(self._call, value)
        return functools.partial(self._call, _as_coroutine(value))

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._client, name, value)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        coroutine = method(*args, **kwargs)
        if threading.current_thread() is self._loop.thread:
            try:
                coroutine.send(None)
            except StopIteration as done:
                return done.value
            coroutine.close()
            raise RuntimeError(f"{method.__name__}() would wait on the loop's own thread")
        return self._loop.run(coroutine)
