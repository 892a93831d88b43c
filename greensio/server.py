"""``greensio.Server``: the Socket.IO server, python-socketio's ``Server`` in shape.

It sits on an Engine.IO server (``self.eio``), turns Engine.IO messages into Socket.IO events
through the protocol core, and calls the application's handlers, one client's events in order.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any

from greensio import exceptions
from greensio.engineio_server import EngineIOServer, make_logger
from greensio.manager import Manager
from greensio.protocol.engineio_session import CloseReason
from greensio.protocol.events import (
    AckReceived,
    EventReceived,
    NamespaceConnectRequested,
    NamespaceDisconnected,
)
from greensio.protocol.socketio_packets import Codec, Packet, PacketType
from greensio.protocol.socketio_session import ServerSession
from greensio.server_connection import ClientConnection

default_logger = logging.getLogger("greensio.server")

Handler = Callable[..., Any]


class _Reasons:
    """``sio.reason.X``: why a client disconnected (python-socketio's names and values)."""

    SERVER_DISCONNECT = CloseReason.SERVER_DISCONNECT.value
    CLIENT_DISCONNECT = CloseReason.CLIENT_DISCONNECT.value
    PING_TIMEOUT = CloseReason.PING_TIMEOUT.value
    TRANSPORT_CLOSE = CloseReason.TRANSPORT_CLOSE.value
    TRANSPORT_ERROR = CloseReason.TRANSPORT_ERROR.value


def _accepts(fn: Handler, count: int) -> bool:
    """Whether ``fn`` can be called with ``count`` positional arguments."""
    try:
        inspect.signature(fn).bind(*range(count))
    except TypeError:
        return False
    except ValueError:  # no signature (builtins): assume it does
        return True
    return True


def _args_of(data: Any) -> list[Any]:
    """python-socketio's rule: None is no argument, a tuple is several, anything else one."""
    if data is None:
        return []
    if isinstance(data, tuple):
        return list(data)
    return [data]


class Server:
    """A Socket.IO server.

    Args:
        client_manager: where membership lives; the in-memory ``Manager`` by default.
        logger: False (errors only), True (INFO) or a ``logging.Logger``.
        json: a module with ``dumps``/``loads`` for packet data (e.g. orjson).
        always_connect: accept CONNECT before running the connect handler.
        namespaces: the namespaces clients may join: a list, ``'*'`` for any; by default the
            ones with handlers.
        connect_timeout: seconds a connection may stay without joining a namespace (45).
        max_attachments: most binary attachments one packet may carry (10, as Node).
        engineio_logger: ``logger`` for the Engine.IO layer.
        **kwargs: Engine.IO options: ``async_mode``, ``ping_interval``, ``ping_timeout``,
            ``max_http_buffer_size``, ``cors_allowed_origins``, ``cors_credentials``, ``cookie``,
            ``transports``, ``allow_upgrades``, ``max_payload_packets``.
    """

    reason = _Reasons

    def __init__(
        self,
        client_manager: Manager | None = None,
        logger: bool | logging.Logger = False,
        serializer: str = "default",
        json: Any = None,
        async_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | str | None = None,
        connect_timeout: float = 45,
        max_attachments: int = 10,
        engineio_logger: bool | logging.Logger = False,
        **kwargs: Any,
    ) -> None:
        if serializer not in ("default", "json"):
            raise exceptions.UsageError(f"unsupported serializer {serializer!r}")
        kwargs.pop("async_handlers", None)
        self.eio = EngineIOServer(logger=engineio_logger, async_handlers=False, **kwargs)
        self.eio.on("connect", self._on_eio_connect)
        self.eio.on("message", self._on_eio_message)
        self.eio.on("disconnect", self._on_eio_disconnect)
        self.async_mode = self.eio.async_mode
        self.backend = self.eio.backend
        self.logger = make_logger(logger, default_logger)
        self.codec = Codec(json, max_attachments=max_attachments)
        self.always_connect = always_connect
        self.namespaces = namespaces
        self.connect_timeout = connect_timeout
        self.handlers: dict[str, dict[str, Handler]] = {}
        self.manager = client_manager or Manager()
        self.manager.set_server(self)
        self.clients: dict[str, ClientConnection] = {}

    # --- handler registration ---------------------------------------------------------------------
    def on(self, event: str, handler: Handler | None = None, namespace: str | None = None) -> Any:
        """Register ``handler`` for ``event`` on ``namespace`` ('/' by default); or decorate."""
        namespace = namespace or "/"

        def register(fn: Handler) -> Handler:
            self.handlers.setdefault(namespace, {})[event] = fn
            return fn

        return register(handler) if handler is not None else register

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler named after the function: ``@sio.event``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def register(fn: Handler) -> Handler:
            return self.on(fn.__name__, **kwargs)(fn)

        return register

    # --- sending ----------------------------------------------------------------------------------
    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        **kwargs: Any,
    ) -> None:
        """Emit ``event`` to a sid, a room, a list of them, or everyone (``to`` None).

        ``data`` as a tuple becomes several arguments. ``callback`` receives the client's ack.
        """
        if not isinstance(event, str):
            raise exceptions.UsageError("event names are strings")
        namespace = namespace or "/"
        self.manager.emit(
            event,
            _args_of(data),
            namespace,
            room=to if to is not None else room,
            skip_sid=skip_sid,
            callback=callback,
            **kwargs,
        )

    def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        **kwargs: Any,
    ) -> None:
        """Emit the ``message`` event."""
        self.emit(
            "message",
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace,
            callback=callback,
            **kwargs,
        )

    def send_encoded(self, eio_sid: str, namespace: str, messages: list[str | bytes]) -> None:
        """Deliver an already-encoded packet to one connection (used by managers)."""
        conn = self.clients.get(eio_sid)
        if conn is None:
            return
        with conn.lock:
            out = conn.session.send(namespace, messages)
            if out:
                self.eio.send_messages(eio_sid, out)

    def send_event_with_ack(
        self, eio_sid: str, namespace: str, sid: str, event: str, args: list[Any], callback: Handler
    ) -> None:
        conn = self.clients.get(eio_sid)
        if conn is None:
            return
        with conn.lock:
            ack_id = conn.session.next_ack_id()
            conn.acks[ack_id] = callback
            messages = self.codec.encode(
                Packet(PacketType.EVENT, namespace, [event, *args], ack_id)
            )
            out = conn.session.send(namespace, messages)
            if out:
                self.eio.send_messages(eio_sid, out)

    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect ``sid`` from ``namespace``: DISCONNECT to the client, then its handler."""
        namespace = namespace or "/"
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        conn = self.clients.get(eio_sid) if eio_sid else None
        if conn is None:
            return
        with conn.lock:
            out = conn.session.disconnect(namespace)
            if out:
                self.eio.send_messages(conn.eio_sid, out)
        if self.manager.is_connected(sid, namespace):
            self._run_disconnect_handler(sid, namespace, self.reason.SERVER_DISCONNECT)

    # --- utilities --------------------------------------------------------------------------------
    def handle_request(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.eio.handle_request(environ, start_response)

    def start_background_task(self, target: Handler, *args: Any, **kwargs: Any) -> Any:
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        self.backend.sleep(seconds)

    def transport(self, sid: str, namespace: str | None = None) -> str:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        if eio_sid is None:
            raise exceptions.BadNamespaceError(f"{sid} is not connected to {namespace or '/'}")
        return self.eio.transport(eio_sid)

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any] | None:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        return self.eio.get_environ(eio_sid) if eio_sid else None

    def shutdown(self) -> None:
        self.eio.shutdown()

    # --- Engine.IO events -------------------------------------------------------------------------
    def _on_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        now = self.backend.monotonic()
        session = ServerSession(self.codec, now=now, connect_timeout=self.connect_timeout)
        self.clients[eio_sid] = ClientConnection(eio_sid, session, self.backend, environ)
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
        for event in events:
            if isinstance(event, EventReceived):
                conn.run_in_order(self._handle_event, conn, event)
            elif isinstance(event, AckReceived):
                callback = conn.acks.pop(event.ack_id, None)
                if callback is not None:
                    self.backend.spawn(callback, *event.args)
            elif isinstance(event, NamespaceConnectRequested):
                conn.run_in_order(self._handle_connect, conn, event)
            elif isinstance(event, NamespaceDisconnected):
                conn.run_in_order(
                    self._run_disconnect_handler, event.sid, event.namespace, event.reason
                )

    def _on_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        conn = self.clients.pop(eio_sid, None)
        if conn is None:
            return
        for namespace, sid in list(conn.session.sids.items()):
            if conn.session.is_connected(namespace):
                conn.run_in_order(self._run_disconnect_handler, sid, namespace, reason)
        conn.acks.clear()

    # --- Socket.IO events (run in the client's order) ---------------------------------------------
    def _namespace_allowed(self, namespace: str) -> bool:
        if self.namespaces == "*" or namespace in self.handlers:
            return True
        return isinstance(self.namespaces, (list, tuple, set)) and namespace in self.namespaces

    def _handle_connect(self, conn: ClientConnection, event: NamespaceConnectRequested) -> None:
        namespace = event.namespace
        if not self._namespace_allowed(namespace):
            self._send_raw(
                conn, conn.session.refuse_connect(namespace, {"message": "Invalid namespace"})
            )
            return
        sid = self.eio.generate_id()
        with conn.lock:
            conn.session.begin_connect(namespace, sid)
        self.manager.connect(conn.eio_sid, namespace, sid)
        if self.always_connect:
            self._send_raw(conn, conn.session.accept_connect(namespace))
        refusal = self._run_connect_handler(sid, namespace, conn.environ, event.auth)
        if refusal is None:
            if not self.always_connect:
                self._send_raw(conn, conn.session.accept_connect(namespace))
            return
        self.manager.disconnect(sid, namespace)
        if self.always_connect:
            self._send_raw(conn, conn.session.disconnect(namespace))
        else:
            self._send_raw(conn, conn.session.refuse_connect(namespace, refusal))

    def _run_connect_handler(
        self, sid: str, namespace: str, environ: dict[str, Any], auth: Any
    ) -> dict[str, Any] | None:
        """Run the connect handler; the CONNECT_ERROR payload when it refused, else None."""
        handler = self.handlers.get(namespace, {}).get("connect")
        if handler is None:
            return None
        try:
            if _accepts(handler, 3):
                result = handler(sid, environ, auth)
            else:
                result = handler(sid, environ)
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
        sid = conn.session.sids.get(namespace)
        if sid is None or not conn.session.is_connected(namespace):
            return
        handlers = self.handlers.get(namespace, {})
        handler = handlers.get(event.event)
        if handler is not None:
            result = handler(sid, *event.args)
        elif "*" in handlers:
            result = handlers["*"](event.event, sid, *event.args)
        else:
            self.logger.info("%s: no handler for %r on %s", sid, event.event, namespace)
            return
        if event.ack_id is not None:
            with conn.lock:
                out = conn.session.encode_ack(namespace, event.ack_id, _args_of(result))
                if out:
                    self.eio.send_messages(conn.eio_sid, out)

    def _run_disconnect_handler(self, sid: str, namespace: str, reason: str) -> None:
        if not self.manager.is_connected(sid, namespace):
            return
        self.manager.disconnect(sid, namespace)
        handler = self.handlers.get(namespace, {}).get("disconnect")
        if handler is None:
            return
        try:
            if _accepts(handler, 2):
                handler(sid, reason)
            else:
                handler(sid)
        except Exception:
            self.logger.exception("disconnect handler failed")

    def _send_raw(self, conn: ClientConnection, messages: list[str | bytes]) -> None:
        if messages:
            self.eio.send_messages(conn.eio_sid, messages)
