"""The greenlet-side driver of one Engine.IO session: moves bytes, wakes waiters, runs timers.

All protocol decisions are the core's (``greensio.protocol.engineio.session`` on the server,
``greensio.protocol.engineio.client`` on the client); this class holds the session's lock, the
event a long-poll waits on (a pending GET on the server, the POST writer on the client) and the
WebSocket once there is one. Its owner (``EngineIOServer`` or ``EngineIOClient``) provides the
backend, the timer loop and the dispatch of the core's events.
"""

from __future__ import annotations

import logging
from typing import Any, Generic, Protocol, TypeVar

from greensio.backends.base import CoreBackend
from greensio.backends.relay import ReaderRelay
from greensio.backends.timers import TimerLoop
from greensio.protocol.engineio.session import EngineSession, Transport
from greensio.transports.asgi import AsgiWebSocket
from greensio.transports.async_websocket_client import AsyncClientWebSocket
from greensio.transports.foreign_websocket import ForeignWebSocket
from greensio.transports.frames import PreparedMessages
from greensio.transports.websocket import WebSocketConnection


class SessionCore(Protocol):
    """What this driver needs of an Engine.IO core session (server or client side)."""

    transport: Transport

    @property
    def closed(self) -> bool: ...
    def send_messages(self, messages: list[str | bytes]) -> None: ...
    def has_output(self) -> bool: ...
    def can_write_directly(self) -> bool: ...
    def take_websocket_frames(self) -> list[str | bytes]: ...
    def close(self) -> list[Any]: ...
    def next_deadline(self) -> float | None: ...
    def handle_timer(self, now: float) -> list[Any]: ...


S = TypeVar("S", bound=SessionCore)

#: Bytes a WebSocket may have waiting to be sent and still take a volatile packet.
VOLATILE_BACKLOG = 64 * 1024


class SocketOwner(Protocol):
    @property
    def backend(self) -> CoreBackend: ...
    @property
    def timers(self) -> TimerLoop: ...

    #: True when nothing ever blocks or yields while holding a socket's ``lock`` (the server
    #: under gevent, whose WebSocket writes wait for the end of the loop pass): the lock is
    #: then the backend's free ``atomic_lock``.
    atomic_sections: bool

    def dispatch(self, sock: Any, events: list[Any]) -> None: ...


class EngineSocket(Generic[S]):
    """One Engine.IO connection as the front-end sees it."""

    def __init__(self, server: SocketOwner, session: S, sid: str, environ: dict[str, Any]) -> None:
        self.server = server
        self.session = session
        self.sid = sid
        self.environ = environ
        backend = server.backend
        self.lock = backend.atomic_lock() if server.atomic_sections else backend.lock()
        self._wake: Any = None  # the ``wake`` event, made when first needed
        self.ws: (
            WebSocketConnection | ForeignWebSocket | AsgiWebSocket | AsyncClientWebSocket | None
        ) = None
        #: Set while a reader that runs handlers itself reads this socket's WebSocket.
        self.relay: ReaderRelay | None = None
        self._timer_at: float | None = None
        #: The owner's ``engineio_logger`` when it is at INFO: the packet trace of this socket.
        logger = getattr(server, "logger", None)
        self._trace = logger if logger is not None and logger.isEnabledFor(logging.INFO) else None
        #: The server's ``max_outbound_buffer``, and its session when that is bounded by it.
        self._limit: int = getattr(server, "max_outbound_buffer", None) or 0
        self._bounded: EngineSession | None = (
            session if self._limit and isinstance(session, EngineSession) else None
        )

    @property
    def wake(self) -> Any:
        """Set when a waiting poll (or the client's writer) should look again: the backend's
        Event, made on first use (a WebSocket session never needs one)."""
        wake = self._wake
        if wake is None:
            wake = self._wake = self.server.backend.event()
        return wake

    # --- output ----------------------------------------------------------------------------------
    def send_messages(self, messages: list[str | bytes]) -> None:
        """Send messages as one unit: straight to the WebSocket when nothing is queued ahead of
        them, else through the core's outbox (written, or fetched by the pending GET)."""
        self.send_prepared(PreparedMessages(messages))

    def send_prepared(self, prepared: PreparedMessages) -> None:
        """Like ``send_messages``, writing the broadcast's pre-built frames when the core says
        nothing is queued ahead of them."""
        with self.lock:  # (WebSocketConnection.send_prepared expects it held)
            ws = self.ws
            if (
                isinstance(ws, WebSocketConnection)
                and self.session.can_write_directly()
                and ws.send_prepared(prepared.websocket_bytes())
            ):
                if self._trace is not None:  # (the broadcast path: nothing to do when off)
                    self.traced(
                        "sent", *(f"4{m}" if isinstance(m, str) else m for m in prepared.messages)
                    )
            else:
                self.session.send_messages(prepared.messages)
                self.flush()
            bounded = self._bounded
            if bounded is None:
                return
            waiting = bounded.outbox_bytes
            if isinstance(ws, (WebSocketConnection, AsgiWebSocket)):
                waiting += ws.unsent
            if waiting <= self._limit:
                return
            events = self._overflow(bounded)
        self.server.backend.spawn(self.server.dispatch, self, events)

    def can_take_now(self) -> bool:
        """Whether a volatile packet may go now: the session is open and not mid-upgrade; on
        long-polling nothing is queued (no GET is waiting to take it, or it would have); on a
        WebSocket nothing is queued ahead in the core and the socket's send buffer holds less
        than ``VOLATILE_BACKLOG`` bytes."""
        session = self.session
        if session.closed or getattr(session, "upgrading", False):
            return False
        if session.transport is not Transport.WEBSOCKET:
            return not session.has_output()
        if not session.can_write_directly():
            return False
        ws = self.ws
        if isinstance(ws, (WebSocketConnection, AsgiWebSocket)):
            return ws.unsent < VOLATILE_BACKLOG
        return ws is not None

    def _overflow(self, session: EngineSession) -> list[Any]:
        """More than ``max_outbound_buffer`` bytes wait for this client, which is not reading
        them: drop them and close the session (a transport error). Call with ``lock`` held."""
        logger = getattr(self.server, "logger", None)
        if logger is not None:
            logger.warning(
                "%s: disconnected: the client does not read what is sent to it (over "
                "max_outbound_buffer=%d bytes waiting)",
                self.sid,
                self._limit,
            )
        events = session.transport_closed(error=True)
        if isinstance(self.ws, (WebSocketConnection, AsgiWebSocket)):
            self.ws.abort()
        self.wake.set()
        return events

    def traced(self, what: str, *data: str | bytes) -> None:
        """Log ``what`` happened to ``data`` ("sent", "received payload") in the packet trace."""
        trace = self._trace
        if trace is not None:
            for item in data:
                trace.info("%s: %s %.200r", self.sid, what, item)

    def flush(self) -> None:
        """Deliver what the core has queued. Call with ``lock`` held."""
        session = self.session
        if session.transport is Transport.WEBSOCKET:
            if self.ws is not None:
                frames = session.take_websocket_frames()
                if frames:
                    if self._trace is not None:
                        self.traced("sent", *frames)
                    self.ws.send_many(frames)
        elif session.has_output() or session.closed:
            self.wake.set()

    def close(self) -> None:
        """Close from the server side: CLOSE packet, then the transport."""
        with self.lock:
            events = self.session.close()
            self.flush()
        self.server.dispatch(self, events)

    # --- timers ----------------------------------------------------------------------------------
    def schedule(self) -> None:
        """Ask the timer loop to call back at the core's next deadline (if it moved earlier)."""
        deadline = self.session.next_deadline()
        if deadline is not None and (self._timer_at is None or deadline < self._timer_at):
            self._timer_at = deadline
            self.server.timers.call_at(deadline, self._on_timer, deadline)

    def _on_timer(self, when: float) -> None:
        if when != self._timer_at:
            return  # a stale entry: an earlier deadline was scheduled since
        self._timer_at = None
        with self.lock:
            events = self.session.handle_timer(self.server.backend.monotonic())
            self.flush()
            self.schedule()
        if events:
            self.server.backend.spawn(self.server.dispatch, self, events)
