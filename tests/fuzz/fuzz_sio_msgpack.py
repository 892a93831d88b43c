"""Socket.IO packets in MessagePack (the ``socket.io-msgpack-parser`` encoding), one per binary
Engine.IO message: ``greensio.protocol.socketio.msgpack.MsgPackDecoder``."""

from __future__ import annotations

from greensio.exceptions import ProtocolError
from greensio.protocol.socketio.msgpack import MsgPackCodec
from greensio.protocol.socketio.packets import validate
from tests.fuzz.inputs import messages

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.socketio.msgpack", "greensio.protocol.socketio.packets", "msgpack")

CODEC = MsgPackCodec()


def one_input(data: bytes) -> None:
    decoder = CODEC.decoder()
    for message in [data, *messages(data)]:
        try:
            packet = decoder.receive(message)
        except ProtocolError:
            continue
        validate(packet)
        assert packet.namespace.startswith("/")
        (encoded,) = CODEC.encode(packet)
        assert isinstance(encoded, bytes)
        again = CODEC.decoder().receive(encoded)
        assert (again.type, again.namespace, again.ack_id) == (
            packet.type,
            packet.namespace,
            packet.ack_id,
        )
