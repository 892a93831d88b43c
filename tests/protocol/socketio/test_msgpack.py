"""The msgpack serializer: round-trips, socket.io-msgpack-parser's wire shape, bad input."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greensio.exceptions import ProtocolError
from greensio.protocol.socketio.msgpack import MsgPackCodec
from greensio.protocol.socketio.packets import RESERVED_EVENTS, Packet, PacketType

pytestmark = pytest.mark.timeout(60)

codec = MsgPackCodec()
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def roundtrip(packet: Packet) -> Packet:
    (message,) = codec.encode(packet)
    assert isinstance(message, bytes)
    return codec.decoder().receive(message)


def test_wire_shape_is_a_map_with_type_nsp_data_id():
    (message,) = codec.encode(Packet(PacketType.EVENT, "/admin", ["ev", b"\x01"], 7))
    expected = {"type": 2, "nsp": "/admin", "data": ["ev", b"\x01"], "id": 7}
    assert msgpack.unpackb(message) == expected
    (message,) = codec.encode(Packet(PacketType.CONNECT, "/"))
    assert msgpack.unpackb(message) == {"type": 0, "nsp": "/"}


@given(st.text(min_size=1).filter(lambda e: e not in RESERVED_EVENTS), st.lists(values))
def test_event_roundtrip(event, args):
    packet = Packet(PacketType.EVENT, "/x", [event, *args], None)
    assert roundtrip(packet) == packet


@given(st.lists(values), st.integers(0, 2**31))
def test_ack_roundtrip(args, ack_id):
    packet = Packet(PacketType.ACK, "/", args, ack_id)
    assert roundtrip(packet) == packet


@pytest.mark.parametrize(
    "message",
    [
        "text",
        b"\xc1",  # never used in msgpack
        msgpack.packb([1, 2]),
        msgpack.packb({"type": 9, "nsp": "/"}),
        msgpack.packb({"type": 5, "nsp": "/", "data": ["e"]}),  # no BINARY_* types in msgpack
        msgpack.packb({"type": 2, "nsp": "no-slash", "data": ["e"]}),
        msgpack.packb({"type": 2, "nsp": "/", "data": ["e"], "id": -1}),
        msgpack.packb({"type": 2, "nsp": "/", "data": ["e"], "id": "1"}),
        msgpack.packb({"type": 2, "nsp": "/", "data": ["connect"]}),
        msgpack.packb({"type": 2, "nsp": "/", "data": [1]}),
        msgpack.packb({"type": 2, "nsp": "/", "data": ["e", _nested(40)]}),
    ],
)
def test_bad_messages_raise_protocol_error(message):
    with pytest.raises(ProtocolError):
        codec.decoder().receive(message)


@given(st.binary())
def test_fuzz_never_raises_anything_else(blob):
    try:
        codec.decoder().receive(blob)
    except ProtocolError:
        pass


def test_javascript_undefined_reads_as_none_and_other_extensions_are_kept() -> None:
    undefined, other = msgpack.ExtType(0, b"\x00"), msgpack.ExtType(5, b"xy")
    message = msgpack.packb({"type": 2, "nsp": "/", "data": ["ev", undefined, other]})
    packet = codec.decoder().receive(message)
    assert packet is not None
    assert packet.data == ["ev", None, other]
