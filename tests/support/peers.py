"""python-socketio's ``socketio.Client`` (PyPI) as a foreign peer in the test process (threads)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import engineio
import socketio
from socketio import packet

from tests.support.servers import UNIT

STEP = 3 * UNIT


class _InOrderEngineIOClient(engineio.Client):
    """python-engineio's client, handing its messages over in order, in the reading thread."""

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class InOrderClient(socketio.Client):
    """python-socketio's client, with a binary packet's attachments put together in order.

    python-engineio's client handles each message in a thread of its own, so under load the
    threads of one packet's attachments can run out of order and python-socketio's client then
    fills the placeholders wrongly (its race, not the server's). Here the header and attachments
    are collected in the reading thread, in arrival order; everything else, and the event or ack
    a complete packet makes, goes to a thread of its own as before.
    """

    def _engineio_client_class(self):
        return _InOrderEngineIOClient

    def _handle_eio_message(self, data):
        pending = self._binary_packet
        if pending is not None:
            if pending.add_attachment(data):
                self._binary_packet = None
                self.start_background_task(self._handle_binary, pending)
        elif isinstance(data, str) and data[:1] in ("5", "6"):  # BINARY_EVENT or BINARY_ACK
            self._binary_packet = self.packet_class(encoded_packet=data)
        else:
            self.start_background_task(super()._handle_eio_message, data)

    def _handle_binary(self, pkt) -> None:
        if pkt.packet_type == packet.BINARY_EVENT:
            self._handle_event(pkt.namespace, pkt.id, pkt.data)
        else:
            self._handle_ack(pkt.namespace, pkt.id, pkt.data)


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
        self.sio = InOrderClient(reconnection=False, request_timeout=5 * UNIT)
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


class PingCounter(logging.Handler):
    """Counts the PINGs a python-engineio client logs as received (``client.logger = ...``).

    The server sends its next PING only once the last one was answered, so the n-th PING is
    proof that n - 1 PONGs were taken, with no need to sleep through a heartbeat.
    """

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.pings = 0
        self._changed = threading.Condition()
        self.logger = logging.Logger("greensio-tests.ping-counter", logging.INFO)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Received packet PING"):
            with self._changed:
                self.pings += 1
                self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = STEP) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.pings >= count, timeout)
