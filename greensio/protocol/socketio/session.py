"""Per-connection Socket.IO v5 state on the server: namespaces, ack ids, binary reassembly.

Theory of operation
-------------------
One ``ServerSession`` sits on each Engine.IO connection. ``receive_message`` turns Engine.IO
messages into events. A CONNECT becomes ``NamespaceConnectRequested``; the caller then decides:
``begin_connect(namespace, sid)`` marks it *pending* while the application's connect handler runs,
and ``accept_connect`` or ``refuse_connect`` settles it. Packets sent to a pending namespace wait
and go out right after the CONNECT reply, so an emit made inside the connect handler reaches the
client after it is connected (socket.io-protocol, "Connection to a namespace"); a refusal drops
them.

A client must CONNECT to a namespace before anything else on it (socket.io-protocol, "Connection
to a namespace"): an EVENT, ACK or DISCONNECT for a namespace it has not joined raises
ProtocolError and the caller closes the connection, as Node's server does. The one exception is a
namespace the server itself just left (``disconnect``): packets the client sent before it read
the DISCONNECT are ignored there, until it CONNECTs again.

The connect timeout (a connection that never joins a namespace) is a deadline: the caller sets a
timer at ``next_deadline()`` and then calls ``handle_timer(now)``, which says whether to close
(``ConnectTimedOut``, given once). The session's deadline is the only one.

Every method that produces output returns the Engine.IO messages to send, in order; the caller
queues them as one unit so a binary packet's attachments never interleave with another packet.
"""

from __future__ import annotations

from typing import Any

from greensio.exceptions import ProtocolError
from greensio.protocol.engineio.session import CloseReason
from greensio.protocol.events import (
    AckReceived,
    ConnectTimedOut,
    EventReceived,
    NamespaceConnectRequested,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.packets import Packet, PacketCodec, PacketType

Event = NamespaceConnectRequested | EventReceived | AckReceived | NamespaceDisconnected
Messages = list[str | bytes]


#: What ``ServerSession.recovered`` is until a namespace is recovered (shared, empty).
_NONE: frozenset[str] = frozenset()


class ServerSession:
    """Socket.IO state of one Engine.IO connection; see the module docstring."""

    def __init__(self, codec: PacketCodec, *, now: float, connect_timeout: float) -> None:
        self.codec = codec
        self._decoder = codec.decoder()
        #: namespace -> Socket.IO sid, for namespaces connected or pending.
        self.sids: dict[str, str] = {}
        self._pending: dict[str, Messages] = {}
        self._replay: dict[str, Messages] = {}
        #: Namespaces the server disconnected: late packets of the client there are ignored.
        self._left: set[str] | None = None  # made when a namespace is first left
        self._next_ack_id = 0
        #: Connection state recovery: namespace -> the pid given in its CONNECT reply, and the
        #: namespaces whose session was recovered (``greensio.protocol.socketio.recovery``).
        self.pids: dict[str, str] = {}
        self.recovered: set[str] | frozenset[str] = _NONE  # a set of its own once one is
        self._connect_deadline: float | None = now + connect_timeout

    # --- input -----------------------------------------------------------------------------------
    def receive_message(self, message: str | bytes) -> list[Event]:
        """Feed one Engine.IO message. Raises ProtocolError: the caller closes the connection."""
        packet = self._decoder.receive(message)
        if packet is None:
            return []
        kind, namespace = packet.type, packet.namespace
        if kind is PacketType.EVENT or kind is PacketType.ACK:
            if namespace in self.sids:
                return list(data_events(packet, True))
            return self._unjoined(packet)
        if kind is PacketType.CONNECT:
            if namespace in self.sids:
                return []
            return [NamespaceConnectRequested(namespace, packet.data)]
        if kind is PacketType.DISCONNECT:
            sid = self.sids.get(namespace)
            if sid is None:
                return self._unjoined(packet)
            self._forget(namespace)
            self._pending.pop(namespace, None)
            return [NamespaceDisconnected(namespace, CloseReason.CLIENT_DISCONNECT.value, sid)]
        raise ProtocolError(f"a client may not send {kind.name}")

    def _unjoined(self, packet: Packet) -> list[Event]:
        """A packet for a namespace the client is not in: ignored where the server just left it
        (it crossed the server's DISCONNECT), else a protocol error (spec: CONNECT first)."""
        if self._left is not None and packet.namespace in self._left:
            return []
        raise ProtocolError(f"{packet.type.name} on namespace {packet.namespace!r} before CONNECT")

    # --- namespace connections -------------------------------------------------------------------
    def begin_connect(
        self,
        namespace: str,
        sid: str,
        pid: str | None = None,
        replay: list[list[Any]] | None = None,
    ) -> None:
        """Mark ``namespace`` pending under ``sid`` while the connect handler runs. With
        recovery on, ``pid`` goes in the CONNECT reply; ``replay`` (a recovered session's
        missed EVENT data, in order) goes out just before it, as Node sends it."""
        self.sids[namespace] = sid
        held: Messages = []
        if pid is not None:
            self.pids[namespace] = pid
        if replay is not None:
            if not isinstance(self.recovered, set):
                self.recovered = set()
            self.recovered.add(namespace)
            for data in replay:
                held.extend(self.codec.encode(Packet(PacketType.EVENT, namespace, data)))
        else:
            self._forget_recovered(namespace)
        if held:
            self._replay[namespace] = held
        else:
            self._replay.pop(namespace, None)
        self._pending[namespace] = []
        if self._left is not None:
            self._left.discard(namespace)
        self._connect_deadline = None

    def accept_connect(self, namespace: str) -> Messages:
        """Settle a pending connect: the CONNECT reply, then what was sent meanwhile.

        Nothing when the client left the namespace (DISCONNECT) while its connect handler ran.
        """
        sid = self.sids.get(namespace)
        if sid is None:
            return []
        held = self._pending.pop(namespace, [])
        if not self._pending:
            self._pending = {}  # (an emptied dict keeps its table: an idle client's is small)
        replay = self._replay.pop(namespace, [])
        reply: dict[str, Any] = {"sid": sid}
        pid = self.pids.get(namespace)
        if pid is not None:
            reply["pid"] = pid
        return [*replay, *self.codec.encode(Packet(PacketType.CONNECT, namespace, reply)), *held]

    def refuse_connect(self, namespace: str, error: dict[str, Any]) -> Messages:
        """Settle a connect as refused (or answer an unknown namespace): CONNECT_ERROR."""
        self._pending.pop(namespace, None)
        self._forget(namespace)
        return self.codec.encode(Packet(PacketType.CONNECT_ERROR, namespace, error))

    def disconnect(self, namespace: str) -> Messages:
        """Server-side disconnect of one namespace: the DISCONNECT packet to send."""
        if namespace not in self.sids:
            return []
        self._forget(namespace)
        if self._left is None:
            self._left = set()
        self._left.add(namespace)
        held = self._pending.pop(namespace, None)
        if held is not None:
            return []  # never connected from the client's view
        return self.codec.encode(Packet(PacketType.DISCONNECT, namespace))

    def _forget(self, namespace: str) -> None:
        self.sids.pop(namespace, None)
        self.pids.pop(namespace, None)
        self._replay.pop(namespace, None)
        self._forget_recovered(namespace)

    def _forget_recovered(self, namespace: str) -> None:
        if namespace in self.recovered:
            self.recovered.discard(namespace)  # type: ignore[union-attr]  # (a set: it holds one)

    def is_connected(self, namespace: str) -> bool:
        return namespace in self.sids and namespace not in self._pending

    # --- output ----------------------------------------------------------------------------------
    def next_ack_id(self) -> int:
        ack_id = self._next_ack_id
        self._next_ack_id += 1
        return ack_id

    def send(self, namespace: str, messages: Messages) -> Messages:
        """Route already-encoded messages to ``namespace``: held while pending, dropped if gone."""
        held = self._pending.get(namespace)
        if held is not None:
            held.extend(messages)
            return []
        if namespace not in self.sids:
            return []
        return messages

    def encode_event(
        self, namespace: str, event: str, args: list[Any], ack_id: int | None = None
    ) -> Messages:
        """The EVENT for ``namespace`` (asking for ``ack_id`` if given), routed like any
        packet: held while the namespace is pending, nothing if it is not connected."""
        # (``packets.encode_event`` inlined: this runs for every emit that asks for an ack)
        return self.send(
            namespace,
            self.codec.encode(Packet(PacketType.EVENT, namespace, [event, *args], ack_id)),
        )

    def encode_ack(self, namespace: str, ack_id: int, args: list[Any]) -> Messages:
        """The ACK answering the peer's ``ack_id`` (routed like any packet)."""
        return self.send(
            namespace, self.codec.encode(Packet(PacketType.ACK, namespace, args, ack_id))
        )

    # --- timers ----------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When the caller must next call ``handle_timer`` (None: no timer needed)."""
        return self._connect_deadline

    def handle_timer(self, now: float) -> list[ConnectTimedOut]:
        """Check the deadline at ``now``: ``[ConnectTimedOut()]`` once the connection has gone
        ``connect_timeout`` without joining a namespace (the caller closes it), else nothing
        (set a timer again at ``next_deadline()`` if it is not None)."""
        deadline = self._connect_deadline
        if deadline is None or now < deadline:
            return []
        self._connect_deadline = None
        return [ConnectTimedOut()]


def data_events(packet: Packet, connected: bool) -> tuple[EventReceived | AckReceived, ...]:
    """The event for an EVENT or ACK packet; none for a namespace that is not connected (the
    client ignores those, as Node's does). Shared by the server and client sessions."""
    if not connected:
        return ()
    data = packet.data
    if packet.type is PacketType.EVENT:
        return (EventReceived(packet.namespace, data[0], data[1:], packet.ack_id),)
    assert packet.ack_id is not None
    return (AckReceived(packet.namespace, packet.ack_id, data),)
