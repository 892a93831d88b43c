"""The managers' channel messages: python-socketio's JSON objects, decoded strictly.

Vectors are what python-socketio 5.18's ``PubSubManager`` publishes (read off its
``pubsub_manager.py``); the property tests round-trip every message through the encoder and
fuzz the decoder, which may only return a message or raise ``ProtocolError``.
"""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greensio.exceptions import ProtocolError
from greensio.protocol import manager_messages as mm

pytestmark = pytest.mark.timeout(60)


def test_python_socketios_emit_decodes() -> None:
    raw = {
        "method": "emit",
        "event": "news",
        "data": [{"a": 1}, "two"],
        "binary": False,
        "namespace": "/chat",
        "room": "lobby",
        "skip_sid": ["s1"],
        "callback": ["lobby", "/chat", 7],
        "host_id": "h1",
    }
    message = mm.decode_message(json.dumps(raw).encode())
    assert message == mm.EmitMessage(
        "h1", "news", [{"a": 1}, "two"], "/chat", "lobby", ["s1"], ("lobby", "/chat", 7)
    )
    assert mm.message_dict(message) == raw


def test_binary_emit_decodes_and_encodes_as_python_socketio() -> None:
    raw = {
        "method": "emit",
        "event": "blob",
        "data": [
            [{"_placeholder": True, "num": 0}, {"x": {"_placeholder": True, "num": 1}}],
            "AAH/",
            "YWI=",
        ],
        "binary": True,
        "namespace": "/",
        "room": None,
        "skip_sid": None,
        "callback": None,
        "host_id": "h",
    }
    message = mm.decode_message(json.dumps(raw))
    assert isinstance(message, mm.EmitMessage)
    assert message.args == [b"\x00\x01\xff", {"x": b"ab"}]
    assert mm.message_dict(message) == raw


def test_no_argument_is_published_as_null_and_read_back_as_none() -> None:
    message = mm.EmitMessage("h", "ev", [])
    assert mm.message_dict(message)["data"] == [None]
    assert mm.decode_message(mm.encode_message(message)).args == []  # type: ignore[union-attr]


def test_older_single_argument_data_is_one_argument() -> None:
    raw = {"method": "emit", "event": "e", "data": {"k": 1}, "host_id": "h"}
    assert mm.decode_message(raw) == mm.EmitMessage("h", "e", [{"k": 1}])


def test_greensio_extras_only_when_set() -> None:
    plain = mm.message_dict(mm.EmitMessage("h", "e", [1]))
    assert "reply_to" not in plain and "except_rooms" not in plain and "volatile" not in plain
    extra = mm.EmitMessage(
        "h", "e", [1], reply_to="socketio.reply.h", except_rooms=["r"], volatile=True
    )
    assert mm.message_dict(extra)["volatile"] is True
    assert mm.decode_message(mm.encode_message(extra)) == extra


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            mm.CallbackMessage("h", "sid1", "/", 3, ["yes", 2]),
            {
                "method": "callback",
                "sid": "sid1",
                "namespace": "/",
                "id": 3,
                "args": ["yes", 2],
                "host_id": "h",
            },
        ),
        (
            mm.DisconnectMessage("h", "sid1", "/chat"),
            {"method": "disconnect", "sid": "sid1", "namespace": "/chat", "host_id": "h"},
        ),
        (
            mm.EnterRoomMessage("h", "sid1", "/", "r"),
            {"method": "enter_room", "sid": "sid1", "room": "r", "namespace": "/", "host_id": "h"},
        ),
        (
            mm.LeaveRoomMessage("h", "sid1", "/", 5),
            {"method": "leave_room", "sid": "sid1", "room": 5, "namespace": "/", "host_id": "h"},
        ),
        (
            mm.CloseRoomMessage("h", "/", "r"),
            {"method": "close_room", "room": "r", "namespace": "/", "host_id": "h"},
        ),
    ],
)
def test_other_messages_are_python_socketios(message, expected) -> None:
    assert mm.message_dict(message) == expected
    assert mm.decode_message(json.dumps(expected)) == message


def test_a_json_module_may_return_bytes() -> None:
    message = mm.EmitMessage("h", "e", [1, "x"])
    encoded = mm.encode_message(message, orjson.dumps)
    assert isinstance(encoded, bytes)
    assert mm.decode_message(encoded, orjson.loads) == message


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        (b"\xff", "not JSON"),
        ("nope", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"method": "x", "host_id": "h"}', "unknown method"),
        ('{"method": 1}', "unknown method"),
        ('{"method": "emit", "host_id": "h"}', "'event'"),
        ('{"method": "emit", "host_id": 3, "event": "e"}', "'host_id'"),
        ('{"method": "emit", "host_id": "h", "event": "e", "binary": 2}', "'binary'"),
        ('{"method": "emit", "host_id": "h", "event": "e", "binary": true, "data": "x"}', "'data'"),
        (
            '{"method": "emit", "host_id": "h", "event": "e", "binary": true, "data": [[], 1]}',
            "'data'",
        ),
        (
            '{"method": "emit", "host_id": "h", "event": "e", "binary": true, "data": [[], "!"]}',
            "base64",
        ),
        (
            '{"method": "emit", "host_id": "h","event": "e", "binary": true, "data": [[], "AAAA"]}',
            "placeholder",
        ),
        ('{"method": "emit", "host_id": "h", "event": "e", "room": {"a": 1}}', "'room'"),
        ('{"method": "emit", "host_id": "h", "event": "e", "room": [true]}', "'room'"),
        ('{"method": "emit", "host_id": "h", "event": "e", "skip_sid": [1]}', "'skip_sid'"),
        ('{"method": "emit", "host_id": "h", "event": "e", "callback": ["s", "/"]}', "'callback'"),
        (
            '{"method": "emit", "host_id": "h", "event": "e", "callback": ["s", "/", "1"]}',
            "'callback'",
        ),
        ('{"method": "emit", "host_id": "h", "event": "e", "reply_to": 1}', "'reply_to'"),
        ('{"method": "callback", "host_id": "h", "sid": "s", "id": 1}', "'args'"),
        ('{"method": "callback", "host_id": "h", "sid": "s", "id": true, "args": []}', "'id'"),
        ('{"method": "callback", "host_id": "h", "sid": null, "id": 1, "args": []}', "'sid'"),
        ('{"method": "disconnect", "host_id": "h"}', "'sid'"),
        ('{"method": "enter_room", "host_id": "h", "sid": "s", "room": null}', "'room'"),
        ('{"method": "close_room", "host_id": "h", "namespace": 5, "room": "r"}', "'namespace'"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_malformed_messages_are_protocol_errors(raw, complaint) -> None:
    with pytest.raises(ProtocolError, match=complaint):
        mm.decode_message(raw)


def test_a_missing_namespace_is_the_root() -> None:
    raw = {"method": "disconnect", "sid": "s", "host_id": "h", "namespace": None}
    assert mm.decode_message(raw) == mm.DisconnectMessage("h", "s", "/")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
with_bytes = st.recursive(
    json_values | st.binary(max_size=16),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
rooms = st.none() | st.text(max_size=6) | st.lists(st.text(max_size=6), max_size=3)


@given(
    event=st.text(max_size=10),
    args=st.lists(with_bytes, min_size=1, max_size=3).filter(lambda a: a != [None]),
    room=rooms,
    skip=st.none() | st.text(max_size=5) | st.lists(st.text(max_size=5), max_size=2),
    callback=st.none() | st.tuples(st.text(max_size=5), st.just("/"), st.integers(0, 2**31)),
)
def test_emit_round_trips(event, args, room, skip, callback) -> None:
    message = mm.EmitMessage("host", event, args, "/ns", room, skip, callback)
    assert mm.decode_message(mm.encode_message(message)) == message


@given(st.binary(max_size=200))
def test_the_decoder_never_fails_otherwise_on_bytes(raw: bytes) -> None:
    try:
        mm.decode_message(raw)
    except ProtocolError:
        pass


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "method",
                "host_id",
                "event",
                "data",
                "binary",
                "room",
                "skip_sid",
                "callback",
                "sid",
                "id",
                "args",
                "namespace",
            ]
        ),
        json_values | st.sampled_from(["emit", "callback", "close_room"]),
        max_size=8,
    )
)
def test_the_decoder_never_fails_otherwise_on_objects(raw: dict) -> None:
    try:
        mm.decode_message(raw)
    except ProtocolError:
        pass
