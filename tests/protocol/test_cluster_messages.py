"""greensio's own ``greensio:*`` channel messages (cluster-wide operations): round trips, every
field checked, python-socketio's messages still decoded, and a fuzzed decoder that may only
return a message or raise ``ProtocolError``. (That python-socketio's nodes ignore these is checked
against real ones in tests/managers/test_cluster.py.)"""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greensio.exceptions import ProtocolError
from greensio.protocol import cluster_messages as cm
from greensio.protocol import manager_messages as mm

pytestmark = pytest.mark.timeout(60)

MESSAGES = [
    cm.Heartbeat("h1", "hello"),
    cm.Heartbeat("h1", "bye"),
    cm.ClusterRequest("h1", "fetch_sockets", "/chat", request_id=3, to=["r", "s1"]),
    cm.ClusterRequest("h1", "enter_room", to="s1", room="lobby"),
    cm.ClusterRequest("h1", "leave_room", to=None, room=7),
    cm.ClusterRequest("h1", "disconnect", "/", to="r"),
    cm.ClusterRequest("h1", "server_emit", event="news", args=[1, {"a": None}]),
    cm.ClusterRequest("h1", "server_emit", request_id=9, event="who", args=[]),
    cm.ClusterRequest(
        "h1",
        "broadcast_call",
        request_id=4,
        to="r",
        skip_sid=["s2"],
        event="ask",
        args=["x"],
        timeout=2.5,
    ),
    cm.ClusterReply(
        "h2", "h1", 3, "sockets", [{"sid": "s", "namespace": "/", "rooms": ["s", 1], "data": {}}]
    ),
    cm.ClusterReply("h2", "h1", 9, "values", [{"pid": 1}]),
    cm.ClusterReply("h2", "h1", 4, "targets", ["s1", "s2"]),
    cm.ClusterReply("h2", "h1", 4, "ack", ["s1", ["yes", 2]]),
    cm.ClusterReply("h2", "h1", 4, "gone", "s2"),
    # binary data: placeholders and base64 attachments, as python-socketio's binary emits
    cm.ClusterRequest("h1", "server_emit", event="blob", args=[b"\x00\xff", {"k": [b"", 1]}]),
    cm.ClusterReply("h2", "h1", 9, "values", [b"\x01"]),
    cm.ClusterReply("h2", "h1", 4, "ack", ["s1", [b"yes", 2]]),
    cm.ClusterReply(
        "h2", "h1", 3, "sockets", [{"sid": "s", "namespace": "/", "rooms": [], "data": {"b": b"!"}}]
    ),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(message) -> None:
    raw = cm.encode(message)
    assert json.loads(raw)["method"].startswith("greensio:")
    assert cm.decode(raw) == message
    assert cm.decode(cm.encode(message, orjson.dumps), orjson.loads) == message


def test_python_socketios_messages_still_decode() -> None:
    raw = {"method": "disconnect", "sid": "s1", "namespace": "/", "host_id": "h"}
    assert cm.decode(json.dumps(raw)) == mm.DisconnectMessage("h", "s1", "/")
    with pytest.raises(ProtocolError, match="unknown method"):
        cm.decode('{"method": "greensio:nope", "host_id": "h"}')


BAD = [
    {"method": "greensio:heartbeat", "host_id": "h", "state": "sleepy"},
    {"method": "greensio:heartbeat", "host_id": 5, "state": "alive"},
    {"method": "greensio:request", "host_id": "h", "op": "format_disk"},
    {"method": "greensio:request", "host_id": "h", "op": "fetch_sockets"},  # no request_id
    {"method": "greensio:request", "host_id": "h", "op": "fetch_sockets", "request_id": "1"},
    {"method": "greensio:request", "host_id": "h", "op": "enter_room", "to": "s"},  # no room
    {"method": "greensio:request", "host_id": "h", "op": "server_emit"},  # no event
    {"method": "greensio:request", "host_id": "h", "op": "server_emit", "event": "e", "args": 1},
    {"method": "greensio:request", "host_id": "h", "op": "disconnect", "to": {"a": 1}},
    {
        "method": "greensio:request",
        "host_id": "h",
        "op": "broadcast_call",
        "request_id": 1,
        "event": "e",
    },  # no timeout
    {
        "method": "greensio:request",
        "host_id": "h",
        "op": "broadcast_call",
        "request_id": 1,
        "event": "e",
        "timeout": -1,
    },
    {
        "method": "greensio:request",
        "host_id": "h",
        "op": "broadcast_call",
        "request_id": 1,
        "event": "e",
        "timeout": True,
    },
    {"method": "greensio:reply", "host_id": "h", "to_host": "g", "request_id": 1, "kind": "x"},
    {
        "method": "greensio:reply",
        "host_id": "h",
        "to_host": "g",
        "request_id": 1,
        "kind": "sockets",
        "data": [{"sid": "s"}],
    },
    {
        "method": "greensio:reply",
        "host_id": "h",
        "to_host": "g",
        "request_id": 1,
        "kind": "sockets",
        "data": [{"sid": "s", "namespace": "/", "rooms": [[1]], "data": {}}],
    },
    {
        "method": "greensio:reply",
        "host_id": "h",
        "to_host": "g",
        "request_id": 1,
        "kind": "values",
        "data": {},
    },
    {
        "method": "greensio:reply",
        "host_id": "h",
        "to_host": "g",
        "request_id": 1,
        "kind": "targets",
        "data": [1],
    },
    {
        "method": "greensio:reply",
        "host_id": "h",
        "to_host": "g",
        "request_id": 1,
        "kind": "ack",
        "data": ["s"],
    },
    {
        "method": "greensio:reply",
        "host_id": "h",
        "to_host": "g",
        "request_id": 1,
        "kind": "gone",
        "data": None,
    },
    {"method": "greensio:reply", "host_id": "h", "request_id": 1, "kind": "gone", "data": "s"},
]


@pytest.mark.parametrize("raw", BAD)
def test_every_field_is_checked(raw) -> None:
    with pytest.raises(ProtocolError, match="manager message"):
        cm.decode(json.dumps(raw).encode())


def test_not_json_or_not_an_object() -> None:
    for raw in (b"\xff", b"[1]", "nope"):
        with pytest.raises(ProtocolError):
            cm.decode(raw)


def test_binary_data_travels_as_attachments() -> None:
    raw = json.loads(cm.encode(cm.ClusterRequest("h", "server_emit", event="e", args=[b"hi", 2])))
    assert raw["args"] == [{"_placeholder": True, "num": 0}, 2]
    assert raw["attachments"] == ["aGk="]
    assert "attachments" not in json.loads(cm.encode(cm.ClusterReply("h", "g", 1, "values", [])))


@pytest.mark.parametrize(
    "attachments",
    [[], "aGk=", [1], ["not base64!"], ["aGk=", "aGk="]],
    ids=["empty", "not-a-list", "not-text", "not-base64", "one-unused"],
)
def test_bad_attachments_are_refused(attachments) -> None:
    raw = {
        "method": "greensio:request",
        "host_id": "h",
        "op": "server_emit",
        "event": "e",
        "args": [{"_placeholder": True, "num": 0}],
        "attachments": attachments,
    }
    with pytest.raises(ProtocolError):
        cm.decode(json.dumps(raw))


def test_non_json_data_is_refused_when_encoding() -> None:
    with pytest.raises(TypeError):
        cm.encode(cm.ClusterRequest("h", "server_emit", event="e", args=[object()]))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)
_keys = st.sampled_from(
    [
        "host_id",
        "state",
        "op",
        "namespace",
        "request_id",
        "to",
        "room",
        "skip_sid",
        "event",
        "args",
        "timeout",
        "to_host",
        "kind",
        "data",
        "except_rooms",
    ]
)


# the machine is shared and loaded: generation may be slow, which is no failure of the decoder
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from([cm.HEARTBEAT, cm.REQUEST, cm.REPLY]),
    st.dictionaries(_keys, _json | st.sampled_from(list(cm.OPS + cm.KINDS + cm.STATES))),
)
def test_fuzzed_messages_decode_or_raise_protocol_error(method, fields) -> None:
    try:
        message = cm.decode({"method": method, **fields})
    except ProtocolError:
        return
    assert cm.decode(cm.encode(message)) == message
