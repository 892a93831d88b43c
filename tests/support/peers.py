"""python-socketio's ``socketio.Client`` (PyPI) as a foreign peer in the test process (threads)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import socketio

from tests.support.servers import UNIT

STEP = 3 * UNIT


class Recorder:
    """A thread-safe log of (event, args) as a client's handlers saw them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.seen: list[tuple[str, tuple]] = []

    def add(self, event: str, *args: object) -> None:
        with self._changed:
            self.seen.append((event, args))
            self._changed.notify_all()

    def handler(self, event: str, result: object = None):
        """A handler that records ``event`` and returns ``result`` (the ack, if one is asked)."""

        def record(*args: object) -> object:
            self.add(event, *args)
            return result

        return record

    def all(self, event: str) -> list[tuple]:
        with self._changed:
            return [args for name, args in self.seen if name == event]

    def wait_for(self, event: str, timeout: float = STEP, count: int = 1) -> tuple:
        """The arguments of the ``count``-th ``event``; fails after ``timeout`` seconds."""
        with self._changed:
            found = self._changed.wait_for(lambda: len(self._all(event)) >= count, timeout)
            assert found, f"no {count}x {event!r} within {timeout}s; seen: {self.seen}"
            return self._all(event)[count - 1]

    def _all(self, event: str) -> list[tuple]:
        return [args for name, args in self.seen if name == event]


class Peer:
    """One python-socketio client whose handlers for ``events`` record into ``record``."""

    def __init__(self, events: Iterable[str] = (), namespaces: Iterable[str] = ("/",)) -> None:
        self.record = Recorder()
        self.sio = socketio.Client(reconnection=False, request_timeout=5 * UNIT)
        for namespace in namespaces:
            for event in ("connect", "disconnect", "connect_error", *events):
                key = event if namespace == "/" else f"{namespace}:{event}"
                self.sio.on(event, self.record.handler(key), namespace=namespace)

    def connect(
        self,
        url: str,
        namespaces: list[str] | None = None,
        transports: list[str] | None = None,
        auth: object = None,
    ) -> Peer:
        self.sio.connect(
            url,
            namespaces=namespaces or ["/"],
            transports=transports,
            auth=auth,
            wait_timeout=5 * UNIT,
        )
        return self

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
