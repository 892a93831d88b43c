"""Engine.IO v4 packets and HTTP long-polling payloads (engine.io-protocol, "Encoding").

A packet is a type digit followed by its data. Over WebSocket a text frame carries one packet and a
binary frame carries the raw bytes of one MESSAGE. In a polling payload, packets are joined by the
record separator ``\\x1e`` and a binary MESSAGE travels as ``b`` + base64.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass

from greensio.exceptions import MessageTooLarge, ProtocolError

SEPARATOR = "\x1e"


class PacketType(enum.IntEnum):
    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


_TYPE_BY_CHAR = {str(int(t)): t for t in PacketType}


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 5x as much to build
class Packet:
    """One Engine.IO packet; ``data`` is bytes only for a binary MESSAGE."""

    type: PacketType
    data: str | bytes = ""


def encode_text(packet: Packet) -> str | bytes:
    """Encode for a WebSocket frame: text ``"<type><data>"``, or raw bytes for binary data."""
    if isinstance(packet.data, bytes):
        return packet.data
    return f"{int(packet.type)}{packet.data}"


def message_frames(messages: list[str | bytes]) -> list[str | bytes]:
    """The WebSocket messages carrying ``messages`` as Engine.IO MESSAGE packets."""
    return [m if isinstance(m, bytes) else "4" + m for m in messages]


def decode_frame(message: str | bytes) -> Packet:
    """Decode one WebSocket message. Raises ProtocolError on an unknown or empty packet."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        return Packet(PacketType.MESSAGE, bytes(message))
    if not message:
        raise ProtocolError("empty Engine.IO packet")
    try:
        packet_type = _TYPE_BY_CHAR[message[0]]
    except KeyError:
        raise ProtocolError(f"unknown Engine.IO packet type {message[0]!r}") from None
    return Packet(packet_type, message[1:])


def _encode_payload_part(packet: Packet) -> str:
    if isinstance(packet.data, bytes):
        return "b" + base64.b64encode(packet.data).decode("ascii")
    return f"{int(packet.type)}{packet.data}"


def encode_payload(packets: list[Packet]) -> str:
    """Join packets into one polling payload."""
    return SEPARATOR.join([_encode_payload_part(p) for p in packets])


def decode_payload(body: bytes | str, max_packets: int) -> list[Packet]:
    """Split a polling payload into packets.

    Raises:
        MessageTooLarge: more than ``max_packets`` packets (never silently truncated).
        ProtocolError: not UTF-8, an empty part, bad base64 or an unknown packet type.
    """
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("polling payload is not UTF-8") from None
    else:
        text = body
    if text.count(SEPARATOR) >= max_packets:
        raise MessageTooLarge(f"polling payload holds more than {max_packets} packets")
    packets = []
    for part in text.split(SEPARATOR):
        if part[:1] == "b":
            try:
                packets.append(
                    Packet(PacketType.MESSAGE, base64.b64decode(part[1:], validate=True))
                )
            except (binascii.Error, ValueError):
                raise ProtocolError("bad base64 in polling payload") from None
        else:
            packets.append(decode_frame(part))
    return packets
