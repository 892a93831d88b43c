"""Acks owed to this node by clients of other nodes (``emit(callback=)``, ``call()`` across them).

Theory of operation: an emit that wants its ack back carries ``callback: [to, namespace, id]``;
the node where the client lives asks the client for an ack and publishes it as a ``callback``
message for this node's ``host_id``; ``resolve`` then runs the callback (as a task of its own,
never in the listener). As in python-socketio, one remote emit yields one remote ack: the first
that comes back resolves the entry (a room's other members' acks are ignored).

Bounded: an entry lives until its ack, its ``timeout`` (then ``callback(TimeoutError)``, as for
local acks with a timeout), or, without one, ``LIFETIME`` seconds (then it is dropped silently:
python-socketio keeps them forever). At most ``limit`` entries wait; past that the oldest is
dropped with a warning.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from greensio import exceptions
from greensio.backends.base import Backend
from greensio.backends.tasks import run_guarded
from greensio.backends.timers import Timers

#: Seconds an entry without a timeout waits for its ack before it is forgotten.
LIFETIME = 300.0


class RemoteAcks:
    def __init__(self, backend: Backend, logger: logging.Logger, limit: int = 10_000) -> None:
        self.backend = backend
        self.logger = logger
        self.limit = limit
        self.timers = Timers(backend)
        self._ids = itertools.count(1)
        self._lock = backend.atomic_lock()
        #: id -> (callback, whether it is told of a timeout)
        self._pending: dict[int, tuple[Callable[..., Any], bool]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, callback: Callable[..., Any], timeout: float | None) -> int:
        """Register ``callback`` for the next ack id; returns the id to publish."""
        ack_id = next(self._ids)
        with self._lock:
            if len(self._pending) >= self.limit:
                oldest = next(iter(self._pending))
                del self._pending[oldest]
                self.logger.warning(
                    "%d acks pending from other nodes: forgetting the oldest", self.limit
                )
            self._pending[ack_id] = (callback, timeout is not None)
        delay = LIFETIME if timeout is None else timeout
        self.timers.call_at(self.backend.monotonic() + delay, self.expire, ack_id)
        return ack_id

    def resolve(self, ack_id: int, args: list[Any]) -> bool:
        """The ack for ``ack_id`` came: run its callback with ``args``. False when unknown."""
        with self._lock:
            entry = self._pending.pop(ack_id, None)
        if entry is None:
            return False
        self.backend.run_soon(run_guarded, entry[0], tuple(args), self.logger)
        return True

    def expire(self, ack_id: int) -> None:
        """``ack_id``'s time is up: ``callback(TimeoutError)`` if it asked to know."""
        with self._lock:
            entry = self._pending.pop(ack_id, None)
        if entry is not None and entry[1]:
            error = exceptions.TimeoutError("no ack from the other node's client in time")
            self.backend.run_soon(run_guarded, entry[0], (error,), self.logger)

    def discard(self, ack_id: int) -> None:
        with self._lock:
            self._pending.pop(ack_id, None)

    def stop(self) -> None:
        self.timers.stop()
