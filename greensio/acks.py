"""Acks this side is owed by one peer: callbacks and blocked ``call()``s, keyed by ack id.

Bounded: past ``limit`` pending acks the oldest is failed with ``TimeoutError``. When the peer goes
away every pending ack fails at once with ``DisconnectedError`` (a ``call()`` does not wait out its
timeout). A callback without a timeout keeps python-socketio's signature ``callback(*args)`` and is
simply dropped on failure; one with a timeout is called with the exception as its only argument.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from greensio import exceptions
from greensio.backends.base import Backend, EventLike
from greensio.backends.tasks import run_guarded
from greensio.exceptions import DisconnectedError, GreensioError
from greensio.handlers import ack_value


class Waiter:
    """What a blocked ``call()`` waits on."""

    def __init__(self, backend: Backend, ack_id: int) -> None:
        self.ack_id = ack_id
        self.event: EventLike = backend.event()
        self.args: list[Any] | None = None
        self.error: GreensioError | None = None

    def resolve(self, args: list[Any]) -> None:
        self.args = args
        self.event.set()

    def fail(self, error: GreensioError) -> None:
        self.error = error
        self.event.set()


class _Callback:
    def __init__(self, fn: Callable[..., Any], reports_errors: bool, backend: Backend) -> None:
        self.fn = fn
        self.reports_errors = reports_errors
        self.backend = backend

    def resolve(self, args: list[Any]) -> None:
        self.backend.run_soon(run_guarded, self.fn, tuple(args))

    def fail(self, error: GreensioError) -> None:
        if self.reports_errors:
            self.backend.run_soon(run_guarded, self.fn, (error,))


class PendingAcks:
    def __init__(self, backend: Backend, limit: int = 1000) -> None:
        self.backend = backend
        self.limit = limit
        self._pending: collections.OrderedDict[int, Waiter | _Callback] = collections.OrderedDict()
        self._namespace_of: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add_callback(
        self, namespace: str, ack_id: int, fn: Callable[..., Any], reports_errors: bool
    ) -> object:
        """Register ``fn`` for the ack ``ack_id``; returns the entry, for ``expire``."""
        entry = _Callback(fn, reports_errors, self.backend)
        self._add(namespace, ack_id, entry)
        return entry

    def add_waiter(self, namespace: str, ack_id: int) -> Waiter:
        waiter = Waiter(self.backend, ack_id)
        self._add(namespace, ack_id, waiter)
        return waiter

    def _add(self, namespace: str, ack_id: int, entry: Waiter | _Callback) -> None:
        while len(self._pending) >= self.limit:
            oldest_id, oldest = self._pending.popitem(last=False)
            self._namespace_of.pop(oldest_id, None)
            oldest.fail(exceptions.TimeoutError("too many acks pending; the oldest was dropped"))
        self._pending[ack_id] = entry
        self._namespace_of[ack_id] = namespace

    def _pop(self, ack_id: int) -> Waiter | _Callback | None:
        self._namespace_of.pop(ack_id, None)
        return self._pending.pop(ack_id, None)

    def resolve(self, ack_id: int, args: list[Any]) -> None:
        entry = self._pop(ack_id)
        if entry is not None:
            entry.resolve(args)

    def expire(self, ack_id: int, entry: object) -> None:
        """``entry``'s timeout passed. Ack ids start again at 0 on a client's new connection,
        so the id alone could name a newer ack: only this very entry is failed."""
        if self._pending.get(ack_id) is entry:
            self._pop(ack_id)
            assert isinstance(entry, (Waiter, _Callback))
            entry.fail(exceptions.TimeoutError(f"no ack for id {ack_id} in time"))

    def discard(self, ack_id: int, entry: object) -> None:
        """Forget ``entry`` (a ``call()`` that stopped waiting), if it is still the pending one."""
        if self._pending.get(ack_id) is entry:
            self._pop(ack_id)

    def wait(self, waiter: Waiter, timeout: float) -> Any:
        """Block until ``waiter``'s ack: None, its one value, or a tuple of several.

        Raises:
            TimeoutError: no ack within ``timeout`` seconds (the waiter is forgotten).
            DisconnectedError: the peer left first (raised as soon as it does).
        """
        if not waiter.event.wait(timeout):
            self.discard(waiter.ack_id, waiter)
            raise exceptions.TimeoutError(f"no ack within {timeout} s")
        if waiter.error is not None:
            raise waiter.error
        return ack_value(waiter.args or [])

    def fail_namespace(self, namespace: str | None = None) -> None:
        """The peer left ``namespace`` (every namespace when None): its pending acks fail now."""
        doomed = [
            ack_id
            for ack_id, ns in self._namespace_of.items()
            if namespace is None or ns == namespace
        ]
        for ack_id in doomed:
            entry = self._pop(ack_id)
            if entry is not None:
                entry.fail(DisconnectedError("the peer disconnected before answering"))
