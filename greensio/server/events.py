"""How the Socket.IO server reacts to its Engine.IO layer and to clients' packets.

``Server`` (greensio/server/server.py) holds the API; this mixin holds the event side: a
new Engine.IO connection gets a ``ClientConnection``; its messages go through the protocol
core, and the events that come out run in that client's order (connect, events,
disconnects), acks straight away.
"""

from __future__ import annotations

import logging
from typing import Any

from greensio import exceptions
from greensio.engineio.server import EngineIOServer
from greensio.handlers import HandlerRegistry, args_of, call_flexibly
from greensio.managers.base import Manager
from greensio.protocol.events import (
    AckReceived,
    EventReceived,
    NamespaceConnectRequested,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.packets import PacketCodec
from greensio.protocol.socketio.session import ServerSession
from greensio.server.connection import ClientConnection


class ServerEvents:
    """The event side of ``Server``; see the module docstring."""

    eio: EngineIOServer
    backend: Any
    codec: PacketCodec
    logger: logging.Logger
    manager: Manager
    registry: HandlerRegistry
    clients: dict[str, ClientConnection]
    namespaces: list[str] | str
    always_connect: bool
    ordered_handlers: bool
    connect_timeout: float
    max_pending_acks: int
    reason: Any

    # --- Engine.IO events ------------------------------------------------------------------------
    def _on_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        now = self.backend.monotonic()
        session = ServerSession(self.codec, now=now, connect_timeout=self.connect_timeout)
        self.clients[eio_sid] = ClientConnection(
            eio_sid, session, self.backend, environ, self.max_pending_acks
        )
        self.eio.timers.call_at(now + self.connect_timeout, self._check_connect_timeout, eio_sid)

    def _check_connect_timeout(self, eio_sid: str) -> None:
        conn = self.clients.get(eio_sid)
        if conn is not None and conn.session.connect_timed_out(self.backend.monotonic()):
            self.logger.info(
                "%s: no namespace joined in %ss; closing", eio_sid, self.connect_timeout
            )
            self.backend.spawn(self.eio.disconnect, eio_sid)

    def _on_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        conn = self.clients.get(eio_sid)
        if conn is None:
            return
        try:
            with conn.lock:
                events = conn.session.receive_message(data)
        except exceptions.ProtocolError as exc:
            self.logger.info("%s: closing after a bad packet: %s", eio_sid, exc)
            self.eio.disconnect(eio_sid)
            return
        # The connection's WebSocket reader may run event handlers itself (no task per event).
        # Connect and disconnect handlers, once per connection, keep their task: run by the
        # reader, they cost each idle connection ~4 KiB more (measured under gunicorn).
        in_order = conn.run_here_in_order if self.eio.may_run_inline(eio_sid) else conn.run_in_order
        for event in events:
            if isinstance(event, EventReceived):
                if self.ordered_handlers:
                    in_order(self._handle_event, conn, event)
                else:
                    conn.run_now(self._handle_event, conn, event)
            elif isinstance(event, AckReceived):
                conn.acks.resolve(event.ack_id, event.args)
            elif isinstance(event, NamespaceConnectRequested):
                conn.run_in_order(self._handle_connect, conn, event)
            elif isinstance(event, NamespaceDisconnected):
                conn.acks.fail_namespace(event.namespace)
                conn.run_in_order(self._left, conn, event.sid, event.namespace, event.reason)

    def _on_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        conn = self.clients.get(eio_sid)
        if conn is None:
            return
        conn.acks.fail_namespace(None)
        for namespace, sid in list(conn.session.sids.items()):
            if conn.session.is_connected(namespace):
                conn.run_in_order(self._left, conn, sid, namespace, reason)
        # Forgotten only after its disconnect handlers ran: they may still read the session.
        conn.run_in_order(self._forget, eio_sid, conn)

    def _forget(self, eio_sid: str, conn: ClientConnection) -> None:
        if self.clients.get(eio_sid) is conn:
            del self.clients[eio_sid]

    # --- Socket.IO events (run in the client's order) --------------------------------------------
    def _namespace_allowed(self, namespace: str) -> bool:
        if self.namespaces == "*" or self.registry.has_namespace(namespace):
            return True
        if self.registry.accepts_any_namespace():
            return True
        return isinstance(self.namespaces, (list, tuple, set)) and namespace in self.namespaces

    def _handle_connect(self, conn: ClientConnection, event: NamespaceConnectRequested) -> None:
        namespace = event.namespace
        session = conn.session
        if not self._namespace_allowed(namespace):
            self._send_raw(
                conn, session.refuse_connect(namespace, {"message": "Invalid namespace"})
            )
            return
        sid = self.eio.generate_id()
        with conn.lock:
            session.begin_connect(namespace, sid)
        self.manager.connect(conn.eio_sid, namespace, sid)
        if self.always_connect:
            self._send_raw(conn, session.accept_connect(namespace))
        refusal = self._run_connect_handler(sid, namespace, conn.environ, event.auth)
        if refusal is None:
            if not self.always_connect:
                self._send_raw(conn, session.accept_connect(namespace))
            return
        self.manager.disconnect(sid, namespace)
        conn.user_sessions.pop(namespace, None)
        if self.always_connect:
            self._send_raw(conn, session.disconnect(namespace))
        else:
            self._send_raw(conn, session.refuse_connect(namespace, refusal))

    def _run_connect_handler(
        self, sid: str, namespace: str, environ: dict[str, Any], auth: Any
    ) -> dict[str, Any] | None:
        """Run the connect handler; the CONNECT_ERROR payload when it refused, else None."""
        found = self.registry.find("connect", namespace)
        if found is None:
            return None
        handler, prefix = found
        try:
            result = call_flexibly(handler, *prefix, sid, environ, auth)
        except exceptions.ConnectionRefusedError as exc:
            return exc.error_args
        except Exception:
            self.logger.exception("connect handler failed")
            return {"message": "Connection rejected by server"}
        if result is False:
            return {"message": "Connection rejected by server"}
        return None

    def _handle_event(self, conn: ClientConnection, event: EventReceived) -> None:
        namespace = event.namespace
        if not conn.session.is_connected(namespace):
            return
        sid = conn.session.sids[namespace]
        found = self.registry.find(event.event, namespace)
        if found is None:
            self.logger.info("%s: no handler for %r on %s", sid, event.event, namespace)
            return
        handler, prefix = found
        result = handler(*prefix, sid, *event.args)
        if event.ack_id is not None:
            with conn.lock:
                out = conn.session.encode_ack(namespace, event.ack_id, args_of(result))
                if out:
                    self.eio.send_messages(conn.eio_sid, out)

    def _left(self, conn: ClientConnection, sid: str, namespace: str, reason: str) -> None:
        """``sid`` is gone from ``namespace``: fail its acks, run its handler once (its rooms
        and session still readable there, as in python-socketio), then forget it."""
        if not self.manager.is_connected(sid, namespace) or (sid, namespace) in conn.leaving:
            return
        conn.leaving.add((sid, namespace))
        conn.acks.fail_namespace(namespace)
        found = self.registry.find("disconnect", namespace)
        try:
            if found is not None:
                handler, prefix = found
                call_flexibly(handler, *prefix, sid, reason)
        except Exception:
            self.logger.exception("disconnect handler failed")
        finally:
            self.manager.disconnect(sid, namespace)
            conn.user_sessions.pop(namespace, None)
            conn.leaving.discard((sid, namespace))

    def _send_raw(self, conn: ClientConnection, messages: list[str | bytes]) -> None:
        if messages:
            self.eio.send_messages(conn.eio_sid, messages)
