"""One Engine.IO packet as a WebSocket message brings it (text or binary):
``greensio.protocol.engineio.packets.decode_frame``."""

from __future__ import annotations

from greensio.exceptions import ProtocolError
from greensio.protocol.engineio.packets import PacketType, decode_frame, encode_text
from tests.fuzz.inputs import messages

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.engineio.packets",)


def one_input(data: bytes) -> None:
    for message in messages(data):
        try:
            packet = decode_frame(message)
        except ProtocolError:
            assert message == "" or message[0] not in "0123456"
            continue
        assert isinstance(packet.type, PacketType)
        assert encode_text(packet) == message  # nothing lost, nothing added
