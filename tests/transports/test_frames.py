"""greensio.transports.frames: the plain frames greensio reads and writes itself, checked against
the ``websockets`` library, which frames (and parses) the same bytes independently."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from greensio.transports.frames import (
    PreparedMessages,
    parse_plain_frames,
    prepare_frames,
    server_frame,
)

pytestmark = pytest.mark.timeout(60)

LIMIT = 100_000


def client_frame(data: bytes | str, opcode: Opcode = Opcode.TEXT, fin: bool = True) -> bytes:
    """A masked client frame, as a browser sends it."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return Frame(opcode, payload, fin=fin).serialize(mask=True, extensions=[])


def parse(data: bytes, max_size: int = LIMIT) -> tuple[list[str | bytes], bytes]:
    out: list[str | bytes] = []
    rest = parse_plain_frames(data, max_size, out)
    return out, rest


def library_parse(data: bytes, mask: bool) -> list[Frame]:
    """Frames as websockets parses them (the reference)."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while len(b"".join(f.serialize(mask=False, extensions=[]) for f in frames)) < len(data):
        parser = Frame.parse(reader.read_exact, mask=mask, extensions=[])
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
        else:
            raise AssertionError("incomplete frame")
    return frames


# -- reading -------------------------------------------------------------------------------------

message = st.one_of(st.text(max_size=300), st.binary(max_size=300))


@settings(max_examples=300, deadline=None)
@given(st.lists(message, max_size=8))
def test_plain_frames_give_their_messages_in_order(messages):
    data = b"".join(
        client_frame(m, Opcode.TEXT if isinstance(m, str) else Opcode.BINARY) for m in messages
    )
    assert parse(data) == (messages, b"")


@settings(max_examples=300, deadline=None)
@given(st.lists(message, min_size=1, max_size=5), st.data())
def test_a_cut_anywhere_leaves_the_rest_from_a_frame_boundary(messages, data):
    frames = [
        client_frame(m, Opcode.TEXT if isinstance(m, str) else Opcode.BINARY) for m in messages
    ]
    whole = b"".join(frames)
    cut = data.draw(st.integers(0, len(whole)))
    out, rest = parse(whole[:cut])
    complete = len(out)
    assert out == messages[:complete]
    assert rest == whole[len(b"".join(frames[:complete])) : cut]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535])
def test_7_and_16_bit_lengths(size):
    assert parse(client_frame("x" * size)) == (["x" * size], b"")


def test_64_bit_length_is_left_to_the_library():
    data = client_frame(b"y" * 65536, Opcode.BINARY)
    assert parse(data) == ([], data)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(client_frame(b"hi", Opcode.PING), id="ping"),
        pytest.param(client_frame(b"\x03\xe8", Opcode.CLOSE), id="close"),
        pytest.param(client_frame("frag", fin=False), id="first-fragment"),
        pytest.param(client_frame("ment", Opcode.CONT), id="continuation"),
        pytest.param(
            Frame(Opcode.TEXT, b"bare").serialize(mask=False, extensions=[]), id="unmasked"
        ),
        pytest.param(bytes([0xC1]) + client_frame("rsv1")[1:], id="rsv1-compressed"),
        pytest.param(client_frame(b"4\xff\xfe"), id="invalid-utf8"),
    ],
)
def test_anything_else_stops_the_fast_path_there(frame):
    before, after = client_frame("4first"), client_frame("4after")  # (masks are random)
    out, rest = parse(before + frame + after)
    assert out == ["4first"]
    assert rest == frame + after


def test_over_max_size_is_left_to_the_library():
    data = client_frame("z" * 101)
    assert parse(data, max_size=100) == ([], data)
    assert parse(data, max_size=101) == (["z" * 101], b"")


def test_nothing_parsed_returns_the_same_object():
    data = client_frame(b"p", Opcode.PING)
    assert parse_plain_frames(data, LIMIT, []) is data


# -- writing -------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=70_000), st.binary(max_size=70_000)), max_size=4))
def test_server_frames_parse_back_with_the_library(messages):
    frames = library_parse(prepare_frames(messages), mask=False) if messages else []
    assert [
        f.data.decode("utf-8") if f.opcode is Opcode.TEXT else f.data for f in frames
    ] == messages
    assert all(f.fin for f in frames)


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_server_frame_header_sizes(size):
    payload = b"a" * size
    expected = Frame(Opcode.BINARY, payload).serialize(mask=False, extensions=[])
    assert server_frame(0x82, payload) == expected


def test_prepared_messages_frame_engineio_messages_once():
    prepared = PreparedMessages(['2["ev"]', b"\x01"])
    data = prepared.websocket_bytes()
    assert prepared.websocket_bytes() is data  # built once for every recipient
    frames = library_parse(data, mask=False)
    assert [f.data for f in frames] == [b'42["ev"]', b"\x01"]
    assert prepared.messages == ['2["ev"]', b"\x01"]
