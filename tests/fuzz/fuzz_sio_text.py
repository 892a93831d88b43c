"""Socket.IO packets in their text form, with binary attachments reassembled, as one connection's
sequence of Engine.IO messages: ``greensio.protocol.socketio.packets.PacketDecoder`` (stdlib json,
or orjson when the input starts with ``o``)."""

from __future__ import annotations

import orjson

from greensio.exceptions import ProtocolError
from greensio.protocol.socketio.packets import Codec, Packet, PacketType, validate
from tests.fuzz.inputs import messages

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.socketio.packets",)

STDLIB = Codec()
ORJSON = Codec(json=orjson)


def one_input(data: bytes) -> None:
    codec = ORJSON if data[:1] == b"o" else STDLIB
    decoder = codec.decoder()
    inputs = messages(data)
    received = 0
    for message in inputs:
        try:
            packet = decoder.receive(message)
        except ProtocolError:
            return  # the connection is closed: nothing more is read from it
        if packet is not None:
            received += 1
            _check(codec, packet, len(data))
    assert received <= len(inputs)


def _check(codec: Codec, packet: Packet, budget: int) -> None:
    assert packet.type in (
        PacketType.CONNECT,
        PacketType.DISCONNECT,
        PacketType.EVENT,
        PacketType.ACK,
        PacketType.CONNECT_ERROR,
    )
    assert packet.namespace.startswith("/") or packet.namespace == "/"
    validate(packet)
    # What a peer sent can be sent back: the encoder accepts it and the decoder reads it again.
    again = codec.decoder()
    result = None
    for message in codec.encode(packet):
        assert len(message) <= 2 * budget + 64
        result = again.receive(message)
    assert result is not None
    assert (result.type, result.namespace, result.ack_id) == (
        packet.type,
        packet.namespace,
        packet.ack_id,
    )
