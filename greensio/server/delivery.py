"""Delivery to this process's clients: the server's side of ``greensio.managers.delivery``.

A broadcast's EVENT is encoded once (``encode_event``) and framed once for every WebSocket
recipient (``PreparedMessages``); an EVENT that asks for an ack is encoded per recipient, since
each gets its own ack id.

Outgoing listeners (``sio.on_any_outgoing``) are looked up once per emit, in ``encode_event``:
with none on the namespace the broadcast is the plain ``PreparedMessages``; with some, an
``ObservedMessages`` that also carries the event, and each ``deliver`` reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from greensio.backends.base import CoreBackend, LockLike
from greensio.engineio.server import EngineIOServer
from greensio.protocol.socketio.packets import PacketCodec, encode_event
from greensio.protocol.socketio.session import ServerSession
from greensio.server.listeners import Listeners
from greensio.server.recovery import volatile
from greensio.transports.frames import PreparedMessages

T = TypeVar("T")


class _Acks(Protocol):
    def add_callback(
        self, namespace: str, ack_id: int, fn: Callable[..., Any], reports_errors: bool
    ) -> object: ...
    def expire(self, ack_id: int, entry: object) -> None: ...


class ClientRecord(Protocol):
    """What delivery reads of the server's record of a client (``RemoteClient`` or
    ``AsyncRemoteClient``)."""

    eio_sid: str
    session: ServerSession
    lock: LockLike

    @property
    def acks(self) -> _Acks: ...


class ObservedMessages(PreparedMessages):
    """A broadcast EVENT on a namespace with outgoing listeners: the listeners and what to
    tell them come along."""

    __slots__ = ("event", "args", "listeners")

    def __init__(
        self, messages: list[str | bytes], event: str, args: list[Any], listeners: list[Any]
    ) -> None:
        super().__init__(messages)
        self.event = event
        self.args = args
        self.listeners = listeners


class VolatileMessages(PreparedMessages):
    """A volatile broadcast EVENT: dropped for a client whose transport cannot take it now."""

    __slots__ = ()


class ObservedVolatileMessages(ObservedMessages):
    """A volatile broadcast on a namespace with outgoing listeners."""

    __slots__ = ()


class LocalDelivery:
    """Sends encoded packets to ``clients`` (by Engine.IO sid) through the Engine.IO server."""

    __slots__ = ("eio", "codec", "clients", "listeners", "disconnect_sid")

    def __init__(
        self,
        eio: EngineIOServer,
        codec: PacketCodec,
        clients: Mapping[str, ClientRecord],
        listeners: Listeners,
    ) -> None:
        self.eio = eio
        self.codec = codec
        self.clients = clients
        self.listeners = listeners
        #: What ``disconnect`` calls: the server's ``disconnect(sid, namespace)`` for its own
        #: clients (set by the server, which owns the disconnect handlers).
        #: (A coroutine function under asyncio: ``spawn`` makes it a task.)
        self.disconnect_sid: Callable[[str, str], Any] | None = None

    @property
    def backend(self) -> CoreBackend:
        """The Engine.IO server's backend."""
        return self.eio.backend

    def disconnect(self, sid: str, namespace: str) -> None:
        """Disconnect this process's ``sid`` (a message-queue manager asks, for another node),
        in a task of its own: the disconnect handler runs there, not in the manager's."""
        if self.disconnect_sid is not None:
            self.eio.backend.spawn(self.disconnect_sid, sid, namespace)

    def encode_event(self, namespace: str, event: str, args: list[Any]) -> PreparedMessages:
        """An EVENT encoded once, for any number of ``deliver`` calls."""
        messages = encode_event(self.codec, namespace, event, args)
        observers = self.listeners.outgoing_for(namespace)
        if volatile.get():  # (set by the server around a volatile emit: see server.recovery)
            if observers:
                return ObservedVolatileMessages(messages, event, args, list(observers))
            return VolatileMessages(messages)
        if observers:
            return ObservedMessages(messages, event, args, list(observers))
        return PreparedMessages(messages)

    def deliver(self, eio_sid: str, namespace: str, prepared: PreparedMessages) -> None:
        """Send ``prepared`` to one client's ``namespace``: held while its connect handler runs,
        dropped if it is not there."""
        client = self.clients.get(eio_sid)
        if client is None:
            return
        messages = prepared.messages
        if isinstance(prepared, (VolatileMessages, ObservedVolatileMessages)):
            sock = self.eio.sockets.get(eio_sid)
            if sock is None or not sock.can_take_now():
                return  # volatile: not for a transport that cannot take it now
        with client.lock:
            session = client.session
            if session.send(namespace, messages) is messages:
                self.eio.send_prepared(eio_sid, prepared)
            if not isinstance(prepared, ObservedMessages):
                return  # the common case: no outgoing listener, nothing more per recipient
            sid = session.sids.get(namespace)
        if sid is not None:
            self.listeners.notify(prepared.listeners, prepared.event, sid, prepared.args)

    def deliver_with_ack(
        self,
        eio_sid: str,
        namespace: str,
        event: str,
        args: list[Any],
        callback: Callable[..., Any],
        timeout: float | None = None,
    ) -> None:
        """Send an EVENT whose ack goes to ``callback``; see ``managers.delivery.Delivery``."""
        client = self.clients.get(eio_sid)
        if client is None:
            return
        acks, timers = client.acks, self.eio.timers

        def register(ack_id: int) -> None:
            entry = acks.add_callback(
                namespace, ack_id, callback, reports_errors=timeout is not None
            )
            if timeout is not None:
                timers.call_at(self.eio.backend.monotonic() + timeout, acks.expire, ack_id, entry)

        self.send_with_ack(client, namespace, event, args, register)

    def send_with_ack(
        self,
        client: ClientRecord,
        namespace: str,
        event: str,
        args: list[Any],
        register: Callable[[int], T],
    ) -> T:
        """Send an EVENT with the client's next ack id, ``register(ack_id)`` first (under the
        client's lock, so the ack cannot arrive before its entry); returns what it returned."""
        with client.lock:
            session = client.session
            ack_id = session.next_ack_id()
            entry = register(ack_id)
            out = session.encode_event(namespace, event, args, ack_id)
            if out:
                self.eio.send_messages(client.eio_sid, out)
            sid = session.sids.get(namespace)
        observers = self.listeners.outgoing_for(namespace)
        if observers and sid is not None:
            self.listeners.notify(list(observers), event, sid, args)
        return entry
