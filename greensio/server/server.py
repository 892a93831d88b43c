# Generated from greensio/server/async_server.py by scripts/unasync.py: do not edit.
"""``greensio.Server``: the Socket.IO server, python-socketio's ``Server`` in shape.

It sits on an Engine.IO server (``self.eio``) and is composed of: ``events`` (a
``ServerEvents``: Engine.IO events through the protocol core to the application's handlers, one
client's events in order), ``delivery`` (a ``LocalDelivery``: packets to this process's clients,
the interface the manager is handed) and ``manager`` (membership and fan-out). ``clients`` maps
each Engine.IO sid to its ``RemoteClient``.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin, ``greensio.Server``, whose
methods block the calling greenlet where these are awaited.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from typing import Any

from greensio import exceptions
from greensio._logging import make_logger
from greensio.acks import Waiter
from greensio.backends import get_backend
from greensio.backends.base import Backend
from greensio.engineio.forwarding import attach as attach_forwarding
from greensio.engineio.server import EngineIOServer
from greensio.handlers import (
    Handler,
    HandlerRegistration,
    HandlerRegistry,
    Reasons,
    args_of,
)
from greensio.managers.base import Manager
from greensio.protocol.socketio.packets import Codec, PacketCodec
from greensio.server.cluster import ClusterOperations
from greensio.server.delivery import LocalDelivery
from greensio.server.events import ServerEvents
from greensio.server.listeners import ListenerRegistration, Listeners
from greensio.server.recovery import ServerRecovery
from greensio.server.recovery import volatile as _volatile
from greensio.server.remote_client import RemoteClient
from greensio.server.rooms import RoomsAndSessions

default_logger = logging.getLogger("greensio.server")


def _refuse_unknown(kwargs: dict[str, Any]) -> None:
    """Keyword arguments are not swallowed: a misspelt or unsupported one is an error."""
    if kwargs:
        raise TypeError(f"unexpected keyword argument {next(iter(kwargs))!r}")


class Server(RoomsAndSessions, ClusterOperations, HandlerRegistration, ListenerRegistration):
    """A Socket.IO server.

    Args:
        client_manager: where membership lives; the in-memory ``Manager`` by default.
        logger: False (errors only), True (INFO) or a ``logging.Logger``.
        serializer: 'default' (JSON text packets) or 'msgpack'.
        json: a module with ``dumps``/``loads`` for packet data (e.g. orjson).
        ordered_handlers: True (default) handles one client's events one after another; False
            runs each event in its own task. (python-socketio's ``async_handlers`` is accepted
            and ignored: acks a blocked ``call()`` waits for are delivered either way.)
        always_connect: accept CONNECT before running the connect handler.
        namespaces: the namespaces clients may join besides those with handlers: a list
            (``['/']`` by default, as python-socketio), or ``'*'`` for any.
        connect_timeout: seconds a connection may stay without joining a namespace (45).
        max_attachments: most binary attachments one packet may carry (10, as Node).
        max_pending_acks: most acks one client may owe the server at once (1000).
        engineio_logger: ``logger`` for the Engine.IO layer.
        connection_state_recovery: True, or a dict (``max_disconnection_duration``: 120 s,
            ``skip_middlewares``: True, ``max_buffered_packets``, ``max_kept_sessions``): a
            client whose transport was lost gets its sid, rooms, session and missed events back
            (docs/emitting.md, "Connection state recovery"). Off by default.
        **kwargs: Engine.IO options: ``async_mode``, ``ping_interval``, ``ping_timeout``,
            ``max_http_buffer_size``, ``cors_allowed_origins``, ``cors_credentials``, ``cookie``,
            ``transports``, ``allow_upgrades``, ``max_payload_packets``, ``poll_batch_packets``,
            ``http_keepalive_takeover``, ``max_outbound_buffer`` (bytes waiting for one client
            before it is disconnected as a slow consumer: 16 MiB; None for no limit).
    """

    reason = Reasons

    def __init__(
        self,
        client_manager: Manager | None = None,
        logger: bool | logging.Logger = False,
        serializer: str = "default",
        json: Any = None,
        ordered_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | str | None = None,
        connect_timeout: float = 45,
        max_attachments: int = 10,
        max_pending_acks: int = 1000,
        engineio_logger: bool | logging.Logger = False,
        **kwargs: Any,
    ) -> None:
        if serializer not in ("default", "json", "msgpack"):
            raise exceptions.UsageError(f"unsupported serializer {serializer!r}")
        kwargs.pop("async_handlers", None)
        recovery_option = kwargs.pop("connection_state_recovery", None)
        #: ``backend=``: a backend object in place of ``async_mode``'s (tests: ``FakeBackend``).
        self.backend: Backend = kwargs.pop("backend", None) or get_backend(
            kwargs.pop("async_mode", None)
        )
        self.eio = EngineIOServer(
            logger=engineio_logger, async_handlers=False, backend=self.backend, **kwargs
        )
        self.async_mode = self.eio.async_mode
        self.logger = make_logger(logger, default_logger)
        self.codec: PacketCodec
        if serializer == "msgpack":
            from greensio.protocol.socketio.msgpack import MsgPackCodec

            self.codec = MsgPackCodec()
        else:
            self.codec = Codec(json, max_attachments=max_attachments)
        self.registry = HandlerRegistry()
        #: Engine.IO sid -> the server's record of that client (``RemoteClient``).
        self.clients: dict[str, RemoteClient] = {}
        self.manager = client_manager or Manager()
        self.listeners = Listeners(self.logger)
        self.delivery = LocalDelivery(self.eio, self.codec, self.clients, self.listeners)
        self.delivery.disconnect_sid = functools.partial(self.disconnect, ignore_queue=True)
        self.manager.set_server(self.delivery)
        attach_forwarding(self.eio, self.manager)  # several workers, no sticky sessions
        self._cluster_setup()
        self.recovery = ServerRecovery.from_option(
            recovery_option, self.manager, self.backend.monotonic, self.eio.generate_id
        )
        self.events = ServerEvents(
            self.eio,
            self.backend,
            self.codec,
            self.manager,
            self.registry,
            self.logger,
            self.clients,
            self.listeners,
            namespaces=["/"] if namespaces is None else namespaces,
            always_connect=always_connect,
            ordered_handlers=ordered_handlers,
            connect_timeout=connect_timeout,
            max_pending_acks=max_pending_acks,
            recovery=self.recovery,
        )

    @property
    def handlers(self) -> dict[str, dict[str, Handler]]:
        """Function handlers by namespace and event (python-socketio's attribute)."""
        return self.registry.functions

    @property
    def namespaces(self) -> list[str] | str:
        """The namespaces clients may join besides those with handlers (python-socketio's)."""
        return self.events.namespaces

    @property
    def always_connect(self) -> bool:
        """Whether CONNECT is accepted before the connect handler runs (python-socketio's)."""
        return self.events.always_connect

    # --- sending ---------------------------------------------------------------------------------
    def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: str | Iterable[str] | None = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        timeout: float | None = None,
        ignore_queue: bool = False,
        except_rooms: Any = None,
        volatile: bool = False,
        **kwargs: Any,
    ) -> None:
        """Emit ``event`` to a sid, a room, a list of them, or everyone (``to`` None).

        Args:
            data: the payload; a tuple becomes several arguments.
            skip_sid: a sid (or list of sids) not to send to.
            callback: called as ``callback(*args)`` with each recipient's ack.
            timeout: with a callback: if no ack comes in ``timeout`` seconds (or the client
                leaves), ``callback(error)`` is called with a ``greensio.exceptions.TimeoutError``
                (or ``DisconnectedError``) instead.
            ignore_queue: python-socketio's; passed to the manager.
            except_rooms: a room (or list of rooms) whose members are left out (Node's
                ``io.to(a).except(b)``).
            volatile: drop the event for a client whose transport cannot take it now (instead
                of queueing it); never replayed by connection state recovery.

        Raises:
            TypeError: a keyword argument ``emit`` does not know.
        """
        _refuse_unknown(kwargs)
        if not isinstance(event, str):
            raise exceptions.UsageError("event names are strings")
        if not self.events.namespace_allowed(namespace or "/"):
            self.logger.warning("emit %r: no namespace %s on this server", event, namespace)
        target = to if to is not None else room
        self.logger.info(
            "emitting event %r to %s [%s]",
            event,
            "all" if target is None else target,
            namespace or "/",
        )
        args = args_of(data)
        if self.recovery is not None and callback is None and not volatile:
            args = self.recovery.stamp(
                event, args, namespace or "/", target, skip_sid, except_rooms
            )
        token = _volatile.set(volatile) if volatile else None
        try:
            self.manager.emit(
                event,
                args,
                namespace or "/",
                room=target,
                skip_sid=skip_sid,
                callback=callback,
                timeout=timeout,
                except_rooms=except_rooms,
                ignore_queue=ignore_queue,
                volatile=volatile,
            )
        finally:
            if token is not None:
                _volatile.reset(token)

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

    def call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float = 60,
        room: Any = None,
        ignore_queue: bool = False,
        except_rooms: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Emit to one client and wait for its ack (this task or greenlet only); return its data.

        Returns None, the single value, or a tuple for several. With ``room=`` (a room or a
        list of rooms; or ``to=`` a list), the call goes to every member and returns
        ``{sid: reply}`` for those that answered within ``timeout``; ``except_rooms`` (a room
        or a list) leaves out their members. Unknown keyword arguments raise ``TypeError``.

        Raises:
            TimeoutError: no ack within ``timeout`` seconds.
            DisconnectedError: the client is not connected, or left before answering (raised
                at once, where python-socketio waits out the timeout).
        """
        _refuse_unknown(kwargs)
        namespace = namespace or "/"
        target = sid if sid is not None else to
        if room is None and isinstance(target, str):
            if except_rooms is not None:
                raise exceptions.UsageError("except_rooms= goes with room= or a list in to=")
            return self._call_one(event, args_of(data), target, namespace, timeout)
        if room is None and target is None:
            raise exceptions.UsageError("call() needs sid=, to= or room=")
        rooms = room if room is not None else target
        return self._call_many(event, args_of(data), rooms, namespace, timeout, except_rooms)

    def _call_one(
        self, event: str, args: list[Any], sid: str, namespace: str, timeout: float
    ) -> Any:
        try:
            client = self._client(sid, namespace)
        except exceptions.BadNamespaceError as exc:
            if self.manager.is_remote(sid, namespace):  # another node's, through the manager
                return self.manager.call_remote(event, args, sid, namespace, timeout)
            raise exceptions.DisconnectedError(str(exc)) from None
        waiter = self.delivery.send_with_ack(
            client, namespace, event, args, functools.partial(client.acks.add_waiter, namespace)
        )
        return client.acks.wait(waiter, timeout)

    def _call_many(
        self,
        event: str,
        args: list[Any],
        rooms: Any,
        namespace: str,
        timeout: float,
        except_rooms: Any = None,
    ) -> dict[str, Any]:
        waiters: dict[str, tuple[RemoteClient, Waiter]] = {}
        send_with_ack = self.delivery.send_with_ack
        targets = self.manager.get_targets(namespace, rooms, except_rooms=except_rooms)
        for member_sid, eio_sid in targets:
            client = self.clients.get(eio_sid)
            if client is not None:
                add_waiter = functools.partial(client.acks.add_waiter, namespace)
                waiter = send_with_ack(client, namespace, event, args, add_waiter)
                waiters[member_sid] = (client, waiter)
        deadline = self.backend.monotonic() + timeout
        replies: dict[str, Any] = {}
        for member_sid, (client, waiter) in waiters.items():
            remaining = max(0.0, deadline - self.backend.monotonic())
            try:
                replies[member_sid] = client.acks.wait(waiter, remaining)
            except (exceptions.TimeoutError, exceptions.DisconnectedError):
                continue
        return replies

    # --- connections -----------------------------------------------------------------------------
    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect ``sid`` from ``namespace``: DISCONNECT to the client, then its handler."""
        namespace = namespace or "/"
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        client = self.clients.get(eio_sid) if eio_sid else None
        if client is None:
            if not ignore_queue and self.manager.is_remote(sid, namespace):
                self.manager.disconnect_remote(sid, namespace)  # another node's
                return
            self.logger.warning("disconnect: %s is not connected to namespace %s", sid, namespace)
            return
        with client.lock:
            out = client.session.disconnect(namespace)
            if out:
                self.eio.send_messages(client.eio_sid, out)
        self.events.left(client, sid, namespace, self.reason.SERVER_DISCONNECT)

    def handle_request(self, *args: Any) -> Any:
        """The web server's entry point for Socket.IO requests: WSGI's ``(environ,
        start_response)`` or ASGI's ``(scope, receive, send)``, as the front-end is (the web server
        adapter, ``greensio.WSGIApp`` or its ASGI twin, calls it)."""
        return self.eio.handle_request(*args)

    def start_background_task(self, target: Handler, *args: Any, **kwargs: Any) -> Any:
        """Run ``target(*args, **kwargs)`` in a task of its own (a greenlet, a thread, or an
        asyncio task for a coroutine function); returns the task."""
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        """Sleep without holding up other tasks."""
        self.backend.sleep(seconds)

    def transport(self, sid: str, namespace: str | None = None) -> str:
        """'polling' or 'websocket'. Raises BadNamespaceError once the connection is gone."""
        client = self._client(sid, namespace or "/")
        try:
            return self.eio.transport(client.eio_sid)
        except exceptions.UsageError:  # the disconnect handler of a connection that ended
            raise exceptions.BadNamespaceError(f"{sid}'s connection has ended") from None

    def is_recovered(self, sid: str, namespace: str | None = None) -> bool:
        """Whether ``sid``'s session on ``namespace`` was recovered (connection state recovery)."""
        return (namespace or "/") in self._client(sid, namespace or "/").session.recovered

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The WSGI environ of the request that opened ``sid``'s connection."""
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        return self.eio.get_environ(eio_sid) if eio_sid else None

    def instrument(self, auth: Any = None, **kwargs: Any) -> Any:
        """Serve the admin UI (admin.socket.io): see ``greensio.server.admin``."""
        from greensio.server.admin import Admin

        return Admin(self, auth, **kwargs)

    def shutdown(self, timeout: float = 5) -> None:
        """Close every client gracefully: new connections refused (503), queued output given up
        to ``timeout`` s to leave, then an Engine.IO close the client reconnects after; handlers
        get ``reason.TRANSPORT_CLOSE`` (greensio/engineio/shutdown.py)."""
        self.eio.shutting_down = True
        deadline = self.backend.monotonic() + timeout
        while self.eio.busy() and self.backend.monotonic() < deadline:
            self.backend.sleep(0.05)
        self.eio.shutdown(0)
