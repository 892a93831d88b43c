# Generated from greensio/async_acks.py by scripts/unasync.py: do not edit.
"""Waiting for acks: ``call()``s that wait and callbacks, over the core's ack table.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (where a ``call()`` blocks
its greenlet on the backend's Event).

The table (ids, the limit, the index by namespace) is the pure
``greensio.protocol.socketio.acks.AckTable``; this module adds what needs the backend: an Event a
``call()`` blocks on, and running callbacks as tasks.

Bounded: past ``limit`` pending acks the oldest is failed with ``TimeoutError``. When the peer goes
away every pending ack fails at once with ``DisconnectedError`` (a ``call()`` does not wait out its
timeout). A callback without a timeout keeps python-socketio's signature ``callback(*args)`` and is
simply dropped on failure; one with a timeout is called with the exception as its only argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greensio import exceptions
from greensio.backends.base import Backend, EventLike
from greensio.backends.tasks import run_guarded
from greensio.exceptions import DisconnectedError, GreensioError
from greensio.handlers import ack_value
from greensio.protocol.socketio.acks import AckTable


class Waiter:
    """What a ``call()`` waits on."""

    __slots__ = ("ack_id", "event", "args", "error")

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
    __slots__ = ("fn", "reports_errors", "backend")

    def __init__(self, fn: Callable[..., Any], reports_errors: bool, backend: Backend) -> None:
        self.fn = fn
        self.reports_errors = reports_errors
        self.backend = backend

    def resolve(self, args: list[Any]) -> None:
        self.backend.run_soon(run_guarded, self.fn, tuple(args))

    def fail(self, error: GreensioError) -> None:
        if self.reports_errors:
            self.backend.run_soon(run_guarded, self.fn, (error,))


_Entry = Waiter | _Callback


class PendingAcks:
    """The acks one peer owes this side; see the module docstring."""

    def __init__(self, backend: Backend, limit: int = 1000) -> None:
        self.backend = backend
        self._table: AckTable[_Entry] = AckTable(limit)

    @property
    def limit(self) -> int:
        return self._table.limit

    def __len__(self) -> int:
        return len(self._table)

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

    def _add(self, namespace: str, ack_id: int, entry: _Entry) -> None:
        for oldest in self._table.add(namespace, ack_id, entry):
            oldest.fail(exceptions.TimeoutError("too many acks pending; the oldest was dropped"))

    def resolve(self, ack_id: int, args: list[Any]) -> None:
        entry = self._table.pop(ack_id)
        if entry is not None:
            entry.resolve(args)

    def expire(self, ack_id: int, entry: object) -> None:
        """``entry``'s timeout passed: it fails, if it is still the one pending under ``ack_id``
        (the id alone could name a newer ack of the peer's next connection)."""
        if self._table.pop_entry(ack_id, entry):  # type: ignore[arg-type]
            assert isinstance(entry, (Waiter, _Callback))
            entry.fail(exceptions.TimeoutError(f"no ack for id {ack_id} in time"))

    def discard(self, ack_id: int, entry: object) -> None:
        """Forget ``entry`` (a ``call()`` that stopped waiting), if it is still the pending one."""
        self._table.pop_entry(ack_id, entry)  # type: ignore[arg-type]

    def wait(self, waiter: Waiter, timeout: float) -> Any:
        """Wait for ``waiter``'s ack: None, its one value, or a tuple of several.

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
        for entry in self._table.pop_namespace(namespace):
            # One exception each: raised in several tasks, a shared one would pile up tracebacks.
            entry.fail(DisconnectedError("the peer disconnected before answering"))
