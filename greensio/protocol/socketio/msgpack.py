"""Socket.IO packets in MessagePack, as the ``socket.io-msgpack-parser`` npm package encodes them.

Each packet is one binary Engine.IO message: a map ``{"type", "nsp", "data"[, "id"]}``. Bytes
travel natively as msgpack ``bin``, so there are no attachments and no BINARY_* packet types.
The same validation and limits as the JSON codec apply to what a peer sends.
"""

from __future__ import annotations

from typing import Any

import msgpack

from greensio.exceptions import ProtocolError
from greensio.protocol.socketio.packets import Packet, PacketType, validate


class MsgPackCodec:
    """Encoder/decoder factory with the interface of ``packets.Codec``.

    Args:
        max_depth: deepest nesting accepted from the peer (message size is capped by the
            Engine.IO layer before a message gets here).
    """

    def __init__(self, *, max_depth: int = 32) -> None:
        self.max_depth = max_depth

    def encode(self, packet: Packet) -> list[str | bytes]:
        message: dict[str, Any] = {"type": int(packet.type), "nsp": packet.namespace}
        if packet.data is not None:
            message["data"] = packet.data
        if packet.ack_id is not None:
            message["id"] = packet.ack_id
        return [msgpack.packb(message, use_bin_type=True)]

    def decoder(self) -> MsgPackDecoder:
        return MsgPackDecoder(self)


class MsgPackDecoder:
    def __init__(self, codec: MsgPackCodec) -> None:
        self.codec = codec

    def receive(self, message: str | bytes) -> Packet:
        """Decode one message; raises ProtocolError on anything but a valid msgpack packet."""
        if isinstance(message, str):
            raise ProtocolError("text message on a msgpack connection")
        try:
            decoded = msgpack.unpackb(message, raw=False, strict_map_key=False, ext_hook=_ext_hook)
        except Exception as exc:  # noqa: BLE001 - msgpack raises several unrelated types
            raise ProtocolError(f"bad msgpack packet: {exc}") from None
        if not isinstance(decoded, dict):
            raise ProtocolError("msgpack packet is not a map")
        kind, namespace = decoded.get("type"), decoded.get("nsp", "/")
        ack_id, data = decoded.get("id"), decoded.get("data")
        if type(kind) is not int or kind not in _PLAIN_TYPES:
            raise ProtocolError(f"bad packet type {kind!r}")
        if not isinstance(namespace, str) or not namespace.startswith("/"):
            raise ProtocolError("bad namespace")
        if ack_id is not None and (type(ack_id) is not int or ack_id < 0):
            raise ProtocolError("bad ack id")
        _check_depth(data, self.codec.max_depth)
        packet = Packet(PacketType(kind), namespace, data, ack_id)
        validate(packet)
        return packet


def _ext_hook(code: int, data: bytes) -> Any:
    """notepack (the JS parser's msgpack) writes JavaScript's ``undefined`` as ext type 0 with
    one zero byte, e.g. the CONNECT's absent auth: read it as None, like JSON's null."""
    if code == 0 and data == b"\x00":
        return None
    return msgpack.ExtType(code, data)


_PLAIN_TYPES = frozenset(
    int(t) for t in PacketType if t not in (PacketType.BINARY_EVENT, PacketType.BINARY_ACK)
)


def _check_depth(data: Any, limit: int) -> None:
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                raise ProtocolError("msgpack data nested too deeply")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
