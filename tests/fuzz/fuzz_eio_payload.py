"""Engine.IO HTTP long-polling payloads (text and ``b``+base64 binary packets) as a POST brings
them: ``greensio.protocol.engineio.packets.decode_payload``."""

from __future__ import annotations

from greensio.exceptions import ProtocolError
from greensio.protocol.engineio.packets import PacketType, decode_payload, encode_payload

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.engineio.packets",)

MAX_PACKETS = 64


def one_input(data: bytes) -> None:
    try:
        packets = decode_payload(data, MAX_PACKETS)
    except ProtocolError:
        return
    assert 1 <= len(packets) <= MAX_PACKETS
    assert sum(len(p.data) for p in packets) <= len(data)
    for packet in packets:
        assert isinstance(packet.type, PacketType)
        assert isinstance(packet.data, str) or packet.type is PacketType.MESSAGE
    # What decodes re-encodes to a payload that decodes to the same packets.
    assert decode_payload(encode_payload(packets), MAX_PACKETS) == packets
