"""The Socket.IO server session: namespace connects, routing, acks, limits, connect timeout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from greensio.exceptions import MessageTooLarge, ProtocolError
from greensio.protocol.engineio.session import EngineSession, Transport
from greensio.protocol.events import (
    AckReceived,
    ConnectTimedOut,
    EventReceived,
    MessageReceived,
    NamespaceConnectRequested,
    NamespaceDisconnected,
    TransportUpgraded,
)
from greensio.protocol.socketio.packets import Codec, Packet, PacketType
from greensio.protocol.socketio.session import ServerSession

pytestmark = pytest.mark.timeout(60)

PH0 = '{"_placeholder":true,"num":0}'


def make(now: float = 0.0, connect_timeout: float = 45.0, **codec_options: Any) -> ServerSession:
    return ServerSession(Codec(**codec_options), now=now, connect_timeout=connect_timeout)


def encode_event(session: ServerSession, namespace: str, *data: Any) -> list[str | bytes]:
    return session.codec.encode(Packet(PacketType.EVENT, namespace, list(data)))


def connected(namespace: str = "/", sid: str = "s1") -> ServerSession:
    session = make()
    session.receive_message("0" if namespace == "/" else f"0{namespace},")
    session.begin_connect(namespace, sid)
    session.accept_connect(namespace)
    return session


# --- connecting to a namespace --------------------------------------------------------------------
def test_connect_request() -> None:
    session = make()
    assert session.receive_message("0") == [NamespaceConnectRequested("/", None)]
    assert session.receive_message('0/admin,{"token":"123"}') == [
        NamespaceConnectRequested("/admin", {"token": "123"})
    ]
    assert session.sids == {}  # nothing is connected until the caller decides


def test_accept_sends_connect_reply_then_what_was_held() -> None:
    session = make()
    session.receive_message("0/admin,")
    session.begin_connect("/admin", "oSO0OpakMV_3jnilAAAA")
    assert not session.is_connected("/admin")
    # an emit from inside the connect handler waits for the CONNECT reply
    assert session.send("/admin", encode_event(session, "/admin", "welcome")) == []
    assert session.send("/admin", encode_event(session, "/admin", "bin", b"\x01")) == []
    assert session.accept_connect("/admin") == [
        '0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}',
        '2/admin,["welcome"]',
        f'51-/admin,["bin",{PH0}]',
        b"\x01",
    ]
    assert session.is_connected("/admin")
    assert session.sids == {"/admin": "oSO0OpakMV_3jnilAAAA"}
    # afterwards sends go straight out
    assert session.send("/admin", ['2/admin,["now"]']) == ['2/admin,["now"]']


def test_refuse_drops_what_was_held() -> None:
    session = make()
    session.receive_message("0")
    session.begin_connect("/", "s1")
    session.send("/", encode_event(session, "/", "welcome"))
    assert session.refuse_connect("/", {"message": "Not authorized"}) == [
        '4{"message":"Not authorized"}'
    ]
    assert session.sids == {}
    assert not session.is_connected("/")
    assert session.send("/", encode_event(session, "/", "late")) == []
    # the client may try again
    assert session.receive_message("0") == [NamespaceConnectRequested("/", None)]


def test_refuse_unknown_namespace_without_begin() -> None:
    session = make()
    session.receive_message("0/nope,")
    assert session.refuse_connect("/nope", {"message": "Invalid namespace"}) == [
        '4/nope,{"message":"Invalid namespace"}'
    ]


def test_connect_for_a_pending_or_connected_namespace_is_ignored() -> None:
    session = make()
    session.receive_message("0")
    session.begin_connect("/", "s1")
    assert session.receive_message("0") == []
    session.accept_connect("/")
    assert session.receive_message("0") == []
    assert session.sids == {"/": "s1"}


def test_several_namespaces_on_one_connection() -> None:
    session = connected("/", "a")
    session.receive_message("0/admin,")
    session.begin_connect("/admin", "b")
    assert session.send("/", ['2["x"]']) == ['2["x"]']  # "/" is not held by "/admin" pending
    assert session.accept_connect("/admin") == ['0/admin,{"sid":"b"}']
    assert session.sids == {"/": "a", "/admin": "b"}


def test_client_disconnect_during_pending_connect() -> None:
    # The client leaves while its connect handler runs: accepting afterwards sends nothing.
    session = make()
    session.receive_message("0")
    session.begin_connect("/", "s1")
    session.send("/", ['2["held"]'])
    assert session.receive_message("1") == [NamespaceDisconnected("/", "client disconnect", "s1")]
    assert session.accept_connect("/") == []
    assert session.sids == {}
    assert session.send("/", ['2["late"]']) == []


# --- receiving ------------------------------------------------------------------------------------
def test_events_and_acks_are_delivered_for_connected_namespaces() -> None:
    session = connected("/admin")
    assert session.receive_message('2/admin,12["foo",1,{"a":null}]') == [
        EventReceived("/admin", "foo", [1, {"a": None}], 12)
    ]
    assert session.receive_message('2/admin,["bar"]') == [EventReceived("/admin", "bar", [], None)]
    assert session.receive_message('3/admin,13["bar"]') == [AckReceived("/admin", 13, ["bar"])]


def test_binary_event_and_ack_are_reassembled() -> None:
    session = connected()
    assert session.receive_message(f'51-14["foo",{PH0}]') == []
    assert session.receive_message(b"\x01\x02\x03\x04") == [
        EventReceived("/", "foo", [b"\x01\x02\x03\x04"], 14)
    ]
    assert session.receive_message(f'61-15["bar",{PH0}]') == []
    assert session.receive_message(b"\x05") == [AckReceived("/", 15, ["bar", b"\x05"])]


@pytest.mark.parametrize(
    "message", ['2/other,["foo"]', '3/other,1["x"]', '2["foo"]', "31[]", "1/other,", "1"]
)
def test_packets_before_connect_on_a_namespace_are_protocol_errors(message: str) -> None:
    # socket.io-protocol, "Connection to a namespace": the server MUST close the connection;
    # Node's server closes it for EVENT, ACK and DISCONNECT alike.
    session = connected("/admin")
    with pytest.raises(ProtocolError, match="before CONNECT"):
        session.receive_message(message)
    assert session.sids == {"/admin": "s1"}


def test_binary_event_before_connect_is_a_protocol_error_once_complete() -> None:
    session = make()
    assert session.receive_message(f'51-/x,["foo",{PH0}]') == []
    with pytest.raises(ProtocolError, match="EVENT on namespace '/x' before CONNECT"):
        session.receive_message(b"\x01")


def test_packets_crossing_a_server_disconnect_are_ignored() -> None:
    session = connected("/admin")
    assert session.disconnect("/admin") == ["1/admin,"]
    # sent by the client before it read the DISCONNECT
    assert session.receive_message('2/admin,["late"]') == []
    assert session.receive_message('3/admin,4["late"]') == []
    assert session.receive_message("1/admin,") == []
    # joined again, then left by the client: packets there are errors again
    session.receive_message("0/admin,")
    session.begin_connect("/admin", "s2")
    session.accept_connect("/admin")
    assert session.receive_message("1/admin,") == [
        NamespaceDisconnected("/admin", "client disconnect", "s2")
    ]
    with pytest.raises(ProtocolError):
        session.receive_message('2/admin,["after"]')


def test_client_disconnect() -> None:
    session = connected("/admin", "sid-a")
    assert session.receive_message("1/admin,") == [
        NamespaceDisconnected("/admin", "client disconnect", "sid-a")
    ]
    assert session.sids == {}
    with pytest.raises(ProtocolError):
        session.receive_message("1/admin,")


@pytest.mark.parametrize(
    "message",
    [
        '4{"message":"x"}',  # CONNECT_ERROR is the server's
        *(
            f'2["{name}"]'
            for name in (
                "connect",
                "connect_error",
                "disconnect",
                "disconnecting",
                "newListener",
                "removeListener",
            )
        ),
        "2[1]",  # non-string event name
        "2[null,1]",
        "2[]",
        "2{}",
        '2["ev"',  # bad JSON
        '2["ev",tru]',
        '2["ev",' + "[" * 40 + "]" * 40 + "]",  # too deep
        '2["ev",' + "1" * 65 + "]",  # integer literal too long
        "3[]",  # ACK without an id
        b"\x01",  # binary without a binary packet
        "51-",  # binary packet without data
        '50-["ev"]',  # announced zero attachments
    ],
)
def test_bad_packets_are_protocol_errors(message: str | bytes) -> None:
    session = connected()
    with pytest.raises(ProtocolError):
        session.receive_message(message)


def test_too_many_attachments() -> None:
    session = connected()
    with pytest.raises(MessageTooLarge):
        session.receive_message('511-["ev"]')
    with pytest.raises(MessageTooLarge):
        make(max_attachments=2).receive_message('53-["ev"]')


def test_attachments_pending_then_text_is_a_protocol_error() -> None:
    session = connected()
    session.receive_message(f'51-["ev",{PH0}]')
    with pytest.raises(ProtocolError):
        session.receive_message('2["ev"]')


# --- server-side disconnect, acks, routing --------------------------------------------------------
def test_server_disconnect() -> None:
    session = connected("/admin")
    assert session.disconnect("/admin") == ["1/admin,"]
    assert session.disconnect("/admin") == []
    assert session.sids == {}
    assert connected("/").disconnect("/") == ["1"]


def test_server_disconnect_of_pending_namespace_sends_nothing() -> None:
    session = make()
    session.receive_message("0")
    session.begin_connect("/", "s1")
    session.send("/", ['2["held"]'])
    assert session.disconnect("/") == []  # the client never saw it connected
    assert session.sids == {}
    assert session.send("/", ['2["late"]']) == []


def test_ack_id_sequence() -> None:
    session = make()
    assert [session.next_ack_id() for _ in range(4)] == [0, 1, 2, 3]
    assert make().next_ack_id() == 0  # per connection


def test_encode_ack() -> None:
    session = connected("/admin")
    assert session.encode_ack("/admin", 13, ["bar"]) == ['3/admin,13["bar"]']
    assert session.encode_ack("/admin", 14, []) == ["3/admin,14[]"]
    assert session.encode_ack("/admin", 15, ["bar", b"\x01"]) == [
        f'61-/admin,15["bar",{PH0}]',
        b"\x01",
    ]
    assert session.encode_ack("/gone", 1, []) == []


def test_encode_event() -> None:
    session = connected("/admin")
    assert session.encode_event("/admin", "ev", [1]) == ['2/admin,["ev",1]']
    assert session.encode_event("/admin", "ev", [], 7) == ['2/admin,7["ev"]']
    assert session.encode_event("/admin", "ev", [b"\x01"], 8) == [
        f'51-/admin,8["ev",{PH0}]',
        b"\x01",
    ]
    assert session.encode_event("/gone", "ev", []) == []


def test_event_to_pending_namespace_is_held() -> None:
    session = make()
    session.receive_message("0")
    session.begin_connect("/", "s1")
    assert session.encode_event("/", "hi", [], 0) == []
    assert session.accept_connect("/") == ['0{"sid":"s1"}', '20["hi"]']


def test_ack_to_pending_namespace_is_held() -> None:
    session = make()
    session.receive_message("0")
    session.begin_connect("/", "s1")
    assert session.encode_ack("/", 3, ["x"]) == []
    assert session.accept_connect("/") == ['0{"sid":"s1"}', '33["x"]']


# --- connect timeout ------------------------------------------------------------------------------
def test_connect_timeout_deadline() -> None:
    session = make(now=100.0, connect_timeout=45.0)
    assert session.next_deadline() == 145.0
    assert session.handle_timer(144.999) == []
    assert session.next_deadline() == 145.0  # early: the caller sets its timer again
    assert session.handle_timer(145.0) == [ConnectTimedOut()]


def test_the_connect_timeout_is_reported_once() -> None:
    session = make(now=0.0, connect_timeout=10.0)
    assert session.handle_timer(500.0) == [ConnectTimedOut()]
    assert session.next_deadline() is None
    assert session.handle_timer(501.0) == []


def test_connect_request_alone_does_not_stop_the_timeout() -> None:
    session = make(now=0.0, connect_timeout=10.0)
    session.receive_message("0")
    assert session.next_deadline() == 10.0
    assert session.handle_timer(10.0) == [ConnectTimedOut()]


def test_begin_connect_clears_the_deadline() -> None:
    session = make(now=0.0, connect_timeout=10.0)
    session.receive_message("0")
    session.begin_connect("/", "s1")
    assert session.next_deadline() is None
    assert session.handle_timer(1e9) == []


# --- paired in-memory peers: the spec's sample session -------------------------------------------
class Server:
    """An Engine.IO session and a Socket.IO session wired together, as the front-end does."""

    def __init__(self) -> None:
        self.engine = EngineSession(
            "lv_VI97HAXpY6yYWAAAC",
            transport=Transport.POLLING,
            now=0.0,
            ping_interval=25.0,
            ping_timeout=5.0,
            max_payload=1_000_000,
        )
        self.socket = make()
        self.events: list[Any] = []

    def dispatch(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, MessageReceived):
                self.dispatch(self.socket.receive_message(event.data))
            else:
                self.events.append(event)

    def post(self, body: str, now: float = 0.0) -> None:
        self.dispatch(self.engine.receive_poll_body(body.encode(), now))

    def get(self) -> str | None:
        self.engine.begin_poll()
        return self.engine.end_poll()

    def out(self, messages: list[str | bytes]) -> None:
        self.engine.send_messages(messages)


def test_sample_session() -> None:
    # socket.io-protocol README, "Sample session", request by request.
    server = Server()
    handshake = json.loads(server.engine.open_packet()[1:])
    assert handshake == {
        "sid": "lv_VI97HAXpY6yYWAAAC",
        "upgrades": ["websocket"],
        "pingInterval": 25000,
        "pingTimeout": 5000,
        "maxPayload": 1000000,
    }
    # n°2: namespace connection request
    server.post("40")
    assert server.events.pop() == NamespaceConnectRequested("/", None)
    server.socket.begin_connect("/", "wZX3oN0bSVIhsaknAAAI")
    server.out(server.socket.accept_connect("/"))
    # n°3: namespace connection approval
    assert server.get() == '40{"sid":"wZX3oN0bSVIhsaknAAAI"}'
    # n°4: socket.emit('hey', 'Jude') on the server
    server.out(server.socket.send("/", encode_event(server.socket, "/", "hey", "Jude")))
    assert server.get() == '42["hey","Jude"]'
    # n°5: socket.emit('hello'); socket.emit('world') on the client
    server.post('42["hello"]\x1e42["world"]')
    assert server.events == [
        EventReceived("/", "hello", [], None),
        EventReceived("/", "world", [], None),
    ]
    server.events.clear()
    # n°6: WebSocket upgrade
    engine = server.engine
    assert engine.attach_probe()
    assert engine.receive_websocket("2probe", 1.0, probe=True)[1].reply == ("3probe",)
    assert engine.receive_websocket("5", 1.0, probe=True)[0] == [TransportUpgraded()]
    for frame in ('42["hello"]', '42["world"]', "40/admin,"):
        server.dispatch(engine.receive_websocket_message(frame, 2.0))
    assert server.events.pop() == NamespaceConnectRequested("/admin", None)
    server.socket.begin_connect("/admin", "-G5j-67EZFp-q59rADQM")
    server.out(server.socket.accept_connect("/admin"))
    server.dispatch(engine.receive_websocket_message('42/admin,1["tellme"]', 3.0))
    assert server.events.pop() == EventReceived("/admin", "tellme", [], 1)
    server.out(server.socket.encode_ack("/admin", 1, [b"\x00\x01"]))
    # ... after a while without message
    engine.handle_timer(25.0)
    assert engine.take_websocket_frames() == [
        '40/admin,{"sid":"-G5j-67EZFp-q59rADQM"}',
        f"461-/admin,1[{PH0}]",
        b"\x00\x01",
        "2",
    ]
    assert engine.receive_websocket_message("3", 26.0) == []
    server.dispatch(engine.receive_websocket_message("1", 27.0))
    assert [type(e).__name__ for e in server.events] == [
        "EventReceived",
        "EventReceived",
        "SessionClosed",
    ]
    assert server.events[-1].reason == "client disconnect"
