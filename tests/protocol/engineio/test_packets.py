"""Engine.IO v4 packet and polling-payload codec: spec vectors, round-trips, decoder fuzz."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greensio.exceptions import MessageTooLarge, ProtocolError
from greensio.protocol.engineio.packets import (
    SEPARATOR,
    Packet,
    PacketType,
    decode_frame,
    decode_payload,
    encode_payload,
    encode_text,
    message_frames,
)

pytestmark = pytest.mark.timeout(60)

MESSAGE, PING, PONG = PacketType.MESSAGE, PacketType.PING, PacketType.PONG


# --- spec vectors (engine.io-protocol v4 README, "Packet encoding") -------------------------------
@pytest.mark.parametrize(
    ("frame", "packet"),
    [
        ("4hello", Packet(MESSAGE, "hello")),  # "WebSocket": 4 => message, hello => payload
        ("2probe", Packet(PING, "probe")),  # "Upgrade": the client's probe
        ("3probe", Packet(PONG, "probe")),  # "Upgrade": the server's answer
        ("5", Packet(PacketType.UPGRADE)),
        ("6", Packet(PacketType.NOOP)),
        ("2", Packet(PING)),  # "Heartbeat"
        ("3", Packet(PONG)),
        ("1", Packet(PacketType.CLOSE)),
        (
            '0{"sid":"lv_VI97HAXpY6yYWAAAC"}',
            Packet(PacketType.OPEN, '{"sid":"lv_VI97HAXpY6yYWAAAC"}'),
        ),
        ("4€ünïcødé", Packet(MESSAGE, "€ünïcødé")),
    ],
)
def test_websocket_text_frame_vectors(frame: str, packet: Packet) -> None:
    assert decode_frame(frame) == packet
    assert encode_text(packet) == frame


def test_websocket_binary_frame_is_sent_as_is() -> None:
    # "Binary payloads are sent as is, without modification."
    raw = b"\x01\x02\x03\x04"
    assert encode_text(Packet(MESSAGE, raw)) == raw
    messages: list[Any] = [
        raw,
        bytearray(raw),
        memoryview(raw),
    ]  # what a WebSocket library hands over
    for message in messages:
        packet = decode_frame(message)
        assert packet == Packet(MESSAGE, raw)
        assert type(packet.data) is bytes


@pytest.mark.parametrize(
    ("payload", "packets"),
    [
        # "HTTP long-polling" example 1: 4hello \x1e 2 \x1e 4world
        (
            "4hello\x1e2\x1e4world",
            [Packet(MESSAGE, "hello"), Packet(PING), Packet(MESSAGE, "world")],
        ),
        # example 2: a binary MESSAGE is "b" + base64 (buffer <01 02 03 04>)
        ("4hello\x1ebAQIDBA==", [Packet(MESSAGE, "hello"), Packet(MESSAGE, b"\x01\x02\x03\x04")]),
        # socket.io-protocol "Sample session", request 5: two Socket.IO EVENTs in one POST
        (
            '42["hello"]\x1e42["world"]',
            [Packet(MESSAGE, '2["hello"]'), Packet(MESSAGE, '2["world"]')],
        ),
        ("6", [Packet(PacketType.NOOP)]),
        ("b", [Packet(MESSAGE, b"")]),
    ],
)
def test_polling_payload_vectors(payload: str, packets: list[Packet]) -> None:
    assert decode_payload(payload, max_packets=16) == packets
    assert decode_payload(payload.encode("utf-8"), max_packets=16) == packets
    assert encode_payload(packets) == payload


def test_separator_is_the_record_separator() -> None:
    assert SEPARATOR == "\x1e"


# --- decoding errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("frame", ["", "7", "9x", "x", "-1", "\x1e", " 4"])
def test_bad_text_frame_is_a_protocol_error(frame: str) -> None:
    with pytest.raises(ProtocolError):
        decode_frame(frame)


@pytest.mark.parametrize(
    "body",
    [
        b"",  # an empty payload is one empty packet
        b"4a\x1e",  # an empty part at the end
        b"\x1e4a",  # ... at the start
        b"4a\x1e\x1e4b",  # ... in the middle
        b"\xff\xfe",  # not UTF-8
        b"4\xc3",  # truncated UTF-8
        b"b!!!!",  # not base64
        b"bAQIDBA",  # base64 without its padding
        b"bAQ ID",  # whitespace in base64
        "bAQé=".encode(),  # non-ASCII in base64
        b"7",  # unknown type
        b"4a\x1ex",  # unknown type after a good packet
    ],
)
def test_bad_payload_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_payload(body, max_packets=16)


def test_packet_count_cap_raises_message_too_large() -> None:
    body = SEPARATOR.join(["4x"] * 3)
    assert len(decode_payload(body, max_packets=3)) == 3
    with pytest.raises(MessageTooLarge):
        decode_payload(body, max_packets=2)
    with pytest.raises(MessageTooLarge):
        decode_payload(body.encode(), max_packets=1)
    # MessageTooLarge is a ProtocolError: callers that close on ProtocolError close on it too.
    assert issubclass(MessageTooLarge, ProtocolError)


def test_cap_is_checked_before_any_part_is_decoded() -> None:
    # A payload over the cap is refused whole, even when its parts are garbage.
    with pytest.raises(MessageTooLarge):
        decode_payload("\x1e" * 10, max_packets=5)


# --- property tests -------------------------------------------------------------------------------
# Text data may hold anything but the record separator (v4 "Note: this assumes the record separator
# is not used in the data") and lone surrogates (a polling body is UTF-8).
_text = st.text(st.characters(codec="utf-8", exclude_characters=SEPARATOR))
_text_packet = st.builds(Packet, st.sampled_from(list(PacketType)), _text)
_binary_packet = st.builds(Packet, st.just(MESSAGE), st.binary())
_packet = st.one_of(_text_packet, _binary_packet)


@settings(max_examples=200, deadline=None)
@given(st.lists(_packet, min_size=1, max_size=12))
def test_payload_round_trip(packets: list[Packet]) -> None:
    payload = encode_payload(packets)
    assert decode_payload(payload, max_packets=len(packets)) == packets
    assert decode_payload(payload.encode("utf-8"), max_packets=len(packets)) == packets


@settings(max_examples=300, deadline=None)
@given(_packet)
def test_frame_round_trip(packet: Packet) -> None:
    assert decode_frame(encode_text(packet)) == packet


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_decode_frame_fuzz(message: str | bytes) -> None:
    try:
        packet = decode_frame(message)
    except ProtocolError:
        return
    assert isinstance(packet.type, PacketType)


# Payload-shaped garbage: type digits, "b" prefixes, base64 characters, separators, stray bytes.
_payload_alphabet = "0123456789b\x1eAQIDBA=+/-_ é€\x00"


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.binary(),
        st.text(_payload_alphabet),
        st.text(_payload_alphabet).map(str.encode),
    ),
    st.integers(min_value=1, max_value=8),
)
def test_decode_payload_fuzz(body: str | bytes, max_packets: int) -> None:
    try:
        packets = decode_payload(body, max_packets)
    except ProtocolError:
        return
    assert 1 <= len(packets) <= max_packets


def test_message_frames_prefix_text_and_leave_binary_as_is() -> None:
    assert message_frames(["hi", b"\x01", ""]) == ["4hi", b"\x01", "4"]
