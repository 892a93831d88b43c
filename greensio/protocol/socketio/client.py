"""Per-connection Socket.IO v5 state on the client: namespace connections, ack ids, decoding.

Theory of operation
-------------------
``connect(namespace, auth)`` gives the CONNECT to send and marks the namespace *connecting*. The
server answers CONNECT (``NamespaceConnected`` with our sid there) or CONNECT_ERROR
(``NamespaceConnectFailed``). Events and acks arrive only for connected namespaces; anything for
another namespace is ignored. A DISCONNECT from the server ends that namespace
(``NamespaceDisconnected`` with reason ``'server disconnect'``, python-socketio's name for it).

Sending is allowed on connected namespaces only (``can_send``); what to do with the rest (buffer,
drop, raise) is the caller's decision.
"""

from __future__ import annotations

from typing import Any

from greensio.exceptions import ProtocolError
from greensio.protocol.engineio.session import CloseReason
from greensio.protocol.events import (
    AckReceived,
    EventReceived,
    NamespaceConnected,
    NamespaceConnectFailed,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.packets import Packet, PacketCodec, PacketType
from greensio.protocol.socketio.session import data_events

Event = (
    NamespaceConnected
    | NamespaceConnectFailed
    | NamespaceDisconnected
    | EventReceived
    | AckReceived
)
Messages = list[str | bytes]
#: Most events a namespace may receive before its CONNECT reply (a recovered session's missed
#: events come then); more is a protocol error.
MAX_EARLY_EVENTS = 100_000


class ClientSession:
    """Socket.IO state of the client's one Engine.IO connection; see the module docstring."""

    def __init__(self, codec: PacketCodec) -> None:
        self.codec = codec
        self._decoder = codec.decoder()
        #: namespace -> our sid there, for connected namespaces (``Client.namespaces`` is a copy).
        self.sids: dict[str, str] = {}
        self._connecting: set[str] = set()
        #: namespace -> the pid of its CONNECT reply (connection state recovery), and the events
        #: that came before that reply (a recovered session's missed ones), given after it.
        self.pids: dict[str, str] = {}
        self._early: dict[str, list[Event]] = {}
        self._next_ack_id = 0

    def connect(self, namespace: str, auth: Any = None) -> Messages:
        """The CONNECT to send for ``namespace`` (``auth`` must be a dict or None)."""
        if auth is not None and not isinstance(auth, dict):
            raise TypeError("auth must be a dict or None")
        self._connecting.add(namespace)
        return self.codec.encode(Packet(PacketType.CONNECT, namespace, auth))

    def disconnect(self, namespace: str) -> Messages:
        """Leave ``namespace``: the DISCONNECT to send (nothing if not connected)."""
        self._connecting.discard(namespace)
        if self.sids.pop(namespace, None) is None:
            return []
        return self.codec.encode(Packet(PacketType.DISCONNECT, namespace))

    def is_connected(self, namespace: str) -> bool:
        return namespace in self.sids

    def receive_message(self, message: str | bytes) -> list[Event]:
        """Feed one Engine.IO message. Raises ProtocolError: the caller drops the connection."""
        packet = self._decoder.receive(message)
        if packet is None:
            return []
        kind, namespace = packet.type, packet.namespace
        if kind is PacketType.EVENT and namespace in self._connecting:
            early = self._early.setdefault(namespace, [])
            if len(early) >= MAX_EARLY_EVENTS:
                raise ProtocolError(f"over {MAX_EARLY_EVENTS} events before CONNECT")
            early.extend(data_events(packet, True))
            return []
        if kind is PacketType.EVENT or kind is PacketType.ACK:
            return list(data_events(packet, namespace in self.sids))
        if kind is PacketType.CONNECT:
            return self._connected(namespace, packet.data)
        if kind is PacketType.CONNECT_ERROR:
            if namespace not in self._connecting:
                return []
            self._connecting.discard(namespace)
            self._early.pop(namespace, None)
            return [NamespaceConnectFailed(namespace, packet.data)]
        if kind is PacketType.DISCONNECT:
            sid = self.sids.pop(namespace, None)
            if sid is None:
                return []
            return [NamespaceDisconnected(namespace, CloseReason.SERVER_DISCONNECT.value, sid)]
        raise ProtocolError(f"a server may not send {kind.name}")

    def _connected(self, namespace: str, data: Any) -> list[Event]:
        if namespace not in self._connecting:
            return []
        sid = data.get("sid") if isinstance(data, dict) else None
        if not isinstance(sid, str):
            raise ProtocolError("CONNECT reply without a sid")
        self._connecting.discard(namespace)
        self.sids[namespace] = sid
        pid = data.get("pid")
        if isinstance(pid, str):
            self.pids[namespace] = pid
        return [NamespaceConnected(namespace, sid), *self._early.pop(namespace, ())]

    # --- output ----------------------------------------------------------------------------------
    def next_ack_id(self) -> int:
        ack_id = self._next_ack_id
        self._next_ack_id += 1
        return ack_id

    def encode_event(
        self, namespace: str, event: str, args: list[Any], ack_id: int | None = None
    ) -> Messages:
        return self.codec.encode(Packet(PacketType.EVENT, namespace, [event, *args], ack_id))

    def encode_ack(self, namespace: str, ack_id: int, args: list[Any]) -> Messages:
        if namespace not in self.sids:
            return []
        return self.codec.encode(Packet(PacketType.ACK, namespace, args, ack_id))
