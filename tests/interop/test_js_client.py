"""The official JS client (socket.io-client 4) against the interop server, over each transport set.

Each test runs one ``js/run_client.js`` scenario in Node and asserts on the JSON it observed. Bytes
come back tagged as ``{"$bytes": hex, "$type": constructor}``: contents and type are both checked.
"""

from __future__ import annotations

import pytest

from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)

UNICODE = "héllo wörld ✓ 日本語 🎉"
# Socket.IO packet types as the JS client's decoder reports them.
CONNECT, EVENT, ACK = 0, 2, 3


def buffer(data: bytes) -> dict:
    """How run_client.js reports a Node Buffer it received."""
    return {"$bytes": data.hex(), "$type": "Buffer"}


def test_connect_welcome_arrives_after_connect(js_client, server, transports):
    seen = js_client.run(server, "connect", transports)

    assert isinstance(seen["sid"], str) and seen["sid"]
    assert seen["sid"] == seen["sid_at_connect"]
    assert seen["welcome"] == {"sid": seen["sid"], "auth": {"user": "ada", "n": 1}}
    assert seen["order"] == ["connect", "welcome"]
    # The client holds back events that arrive before CONNECT, so check the wire too: the server
    # must answer CONNECT before anything else on the namespace (here, the connect handler's emit).
    assert seen["wire"] == [
        {"type": CONNECT, "nsp": "/", "event": None},
        {"type": EVENT, "nsp": "/", "event": "welcome"},
    ]
    assert seen["transport_at_open"] == transports[0]
    assert seen["transport"] in transports


def test_echo_acks_with_every_argument(js_client, server, transports):
    seen = js_client.run(server, "echo", transports)

    assert seen["ack"] == [UNICODE, 42, {"nested": ["ü", None, True, 1.5]}, ["a", 2]]
    assert seen["single"] == ["one"]


def test_events_both_ways(js_client, server, transports):
    seen = js_client.run(server, "events", transports)

    assert seen["echo_event"] == [{"text": UNICODE, "list": [1, 2, 3]}]


def test_binary_nested_both_ways(js_client, server, transports):
    seen = js_client.run(server, "binary", transports)

    assert seen["ack_length"] == 2
    assert seen["server_blob"] == {
        "blob": buffer(b"\x00\x01\xff"),
        "list": [buffer(b"ab"), {"x": buffer(b"cd")}],
    }
    assert seen["echoed"] == {
        "buf": buffer(b"\x00\x01\x02\xff"),
        "nested": {"list": [buffer(b"xyz"), {"deep": buffer(b"\x00")}], "text": "plain ✓"},
        "empty": buffer(b""),
    }
    assert seen["echo_exact"] is True


def test_server_to_client_ack(js_client, server, transports):
    seen = js_client.run(server, "ask_client", transports)

    assert seen["ack_is_function"] is True
    assert seen["question"] == {"q": "why ✓?"}
    assert seen["answer"] == [[UNICODE, {"n": 1}, [2, 3]]]


def test_server_event_with_several_arguments(js_client, server, transports):
    seen = js_client.run(server, "multi", transports)

    assert seen["args"] == [1, "two", {"three": 3}]


def test_custom_namespace_with_auth(js_client, server, transports):
    seen = js_client.run(server, "private_ok", transports)

    assert seen["connected"] is True
    assert seen["welcome"] == {"sid": seen["sid"], "auth": {"token": "secret"}}
    assert seen["ack"] == [UNICODE, {"ok": True}]
    assert [(p["type"], p["nsp"]) for p in seen["wire"]] == [
        (CONNECT, "/private"),
        (EVENT, "/private"),
        (ACK, "/private"),
    ]


def test_custom_namespace_refused(js_client, server, transports):
    seen = js_client.run(server, "private_refused", transports)

    assert seen["message"] == "unauthorized"
    assert seen["data"] is None
    assert seen["connected"] is False
    assert seen["welcome"] == []
    assert seen["order"] == ["connect_error"]


def test_refused_connect_carries_message_and_data(js_client, server, transports):
    seen = js_client.run(server, "refused", transports)

    assert seen["message"] == "refused"
    assert seen["data"] == {"reason": "bad"}
    assert seen["connected"] is False
    assert seen["welcome"] == []
    assert seen["order"] == ["connect_error"]


def test_server_side_disconnect(js_client, server, transports):
    seen = js_client.run(server, "server_disconnect", transports)

    assert seen["reason"] == "io server disconnect"
    assert seen["connected"] is False
    # A server disconnect must not trigger the client's reconnection logic.
    assert seen["active"] is False


@pytest.mark.parametrize("transports", ["upgrade"], indirect=True)
def test_upgrade_from_polling_to_websocket(js_client, server, transports):
    seen = js_client.run(server, "upgrade", transports)

    assert seen["transport_at_open"] == "polling"
    assert seen["upgraded_to"] == "websocket"
    assert seen["transport"] == "websocket"
    assert seen["ack"] == ["after upgrade ✓"]
    assert seen["order"] == ["connect"]
