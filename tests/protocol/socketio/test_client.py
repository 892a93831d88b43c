"""The client's Socket.IO session: namespace connects, events and acks, against the server's.

``Pair`` joins a ``ClientSession`` and a ``ServerSession`` in memory: each side's messages are fed
to the other as the Engine.IO layer would carry them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greensio.exceptions import ProtocolError
from greensio.protocol.events import (
    AckReceived,
    EventReceived,
    NamespaceConnected,
    NamespaceConnectFailed,
    NamespaceConnectRequested,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.client import ClientSession
from greensio.protocol.socketio.msgpack import MsgPackCodec
from greensio.protocol.socketio.packets import (
    RESERVED_EVENTS,
    Codec,
    Packet,
    PacketCodec,
    PacketDecoder,
    PacketType,
)
from greensio.protocol.socketio.session import ServerSession

pytestmark = pytest.mark.timeout(60)


class Pair:
    """A client session and a server session, joined in memory."""

    def __init__(self, codec: PacketCodec | None = None) -> None:
        codec = codec or Codec()
        self.client = ClientSession(codec)
        self.server = ServerSession(codec, now=0.0, connect_timeout=45.0)

    def to_server(self, messages: list[str | bytes]) -> list[Any]:
        return [e for m in messages for e in self.server.receive_message(m)]

    def to_client(self, messages: list[str | bytes]) -> list[Any]:
        return [e for m in messages for e in self.client.receive_message(m)]

    def join(self, namespace: str = "/", auth: Any = None, sid: str = "sid1") -> list[Any]:
        """The client connects; the server accepts; returns what the client saw."""
        assert self.to_server(self.client.connect(namespace, auth)) == [
            NamespaceConnectRequested(namespace, auth)
        ]
        self.server.begin_connect(namespace, sid)
        return self.to_client(self.server.accept_connect(namespace))


def joined(namespace: str = "/", codec: PacketCodec | None = None) -> Pair:
    pair = Pair(codec)
    assert pair.join(namespace) == [NamespaceConnected(namespace, "sid1")]
    return pair


# --- connecting -----------------------------------------------------------------------------------
def test_connect_packet_without_and_with_auth() -> None:
    client = ClientSession(Codec())
    assert client.connect("/") == ["0"]
    assert client.connect("/admin", {"token": "x"}) == ['0/admin,{"token":"x"}']
    assert client.sids == {}  # nothing is connected until the server answers


def test_auth_must_be_a_dict() -> None:
    with pytest.raises(TypeError):
        ClientSession(Codec()).connect("/", ["not", "a", "dict"])


def test_server_accepts() -> None:
    pair = Pair()
    assert pair.join("/chat", {"user": "ada"}, sid="s-chat") == [
        NamespaceConnected("/chat", "s-chat")
    ]
    assert pair.client.is_connected("/chat")
    assert pair.client.sids == {"/chat": "s-chat"}
    assert not pair.client.is_connected("/")


def test_server_refuses() -> None:
    pair = Pair()
    pair.to_server(pair.client.connect("/", {"refuse": True}))
    refusal = pair.server.refuse_connect("/", {"message": "refused", "data": {"reason": "bad"}})
    assert pair.to_client(refusal) == [
        NamespaceConnectFailed("/", {"message": "refused", "data": {"reason": "bad"}})
    ]
    assert not pair.client.is_connected("/")
    # an answer to nothing is ignored
    assert pair.to_client(refusal) == []


def test_connect_error_with_a_string_payload() -> None:
    # socket.io-protocol v5 allows a string payload for CONNECT_ERROR (v4 servers sent them)
    client = ClientSession(Codec())
    client.connect("/")
    assert client.receive_message('4"nope"') == [NamespaceConnectFailed("/", "nope")]


def test_a_connect_reply_nobody_asked_for_is_ignored() -> None:
    client = ClientSession(Codec())
    assert client.receive_message('0{"sid":"x"}') == []
    assert client.sids == {}


@pytest.mark.parametrize("reply", ["0", '0{"sid":5}', '0{"other":"x"}'])
def test_a_connect_reply_without_a_sid_is_the_servers_fault(reply: str) -> None:
    client = ClientSession(Codec())
    client.connect("/")
    with pytest.raises(ProtocolError):
        client.receive_message(reply)


def test_answers_are_per_namespace() -> None:
    pair = Pair()
    pair.to_server(pair.client.connect("/a"))
    pair.to_server(pair.client.connect("/b"))
    pair.server.begin_connect("/b", "sb")
    assert pair.to_client(pair.server.accept_connect("/b")) == [NamespaceConnected("/b", "sb")]
    assert pair.to_client(pair.server.refuse_connect("/a", {"message": "no"})) == [
        NamespaceConnectFailed("/a", {"message": "no"})
    ]
    assert pair.client.sids == {"/b": "sb"}


# --- leaving --------------------------------------------------------------------------------------
def test_client_disconnect() -> None:
    pair = joined("/chat")
    messages = pair.client.disconnect("/chat")
    assert messages == ["1/chat,"]
    assert pair.to_server(messages) == [NamespaceDisconnected("/chat", "client disconnect", "sid1")]
    assert not pair.client.is_connected("/chat")
    assert pair.client.disconnect("/chat") == []  # once


def test_leaving_while_connecting_ignores_the_late_reply() -> None:
    pair = Pair()
    pair.to_server(pair.client.connect("/"))
    assert pair.client.disconnect("/") == []  # nothing to tell: never connected
    pair.server.begin_connect("/", "late")
    assert pair.to_client(pair.server.accept_connect("/")) == []
    assert not pair.client.is_connected("/")


def test_server_disconnect() -> None:
    pair = joined("/chat")
    assert pair.to_client(pair.server.disconnect("/chat")) == [
        NamespaceDisconnected("/chat", "server disconnect", "sid1")
    ]
    assert not pair.client.is_connected("/chat")
    assert pair.client.receive_message("1/chat,") == []  # again: nothing left to end


# --- events and acks ------------------------------------------------------------------------------
def test_event_from_the_server() -> None:
    pair = joined()
    messages = pair.server.send("/", Codec().encode(Packet(PacketType.EVENT, "/", ["hi", 1, {}])))
    assert pair.to_client(messages) == [EventReceived("/", "hi", [1, {}], None)]


def test_event_with_ack_from_the_server_and_the_answer() -> None:
    pair = joined("/chat")
    ack_id = pair.server.next_ack_id()
    event = Codec().encode(Packet(PacketType.EVENT, "/chat", ["question", "q"], ack_id))
    assert pair.to_client(event) == [EventReceived("/chat", "question", ["q"], ack_id)]
    answer = pair.client.encode_ack("/chat", ack_id, ["a", b"\x00"])
    assert pair.to_server(answer) == [AckReceived("/chat", ack_id, ["a", b"\x00"])]


def test_no_ack_for_a_namespace_that_is_gone() -> None:
    pair = joined()
    pair.client.disconnect("/")
    assert pair.client.encode_ack("/", 0, ["late"]) == []


def test_events_and_acks_for_unconnected_namespaces_are_ignored() -> None:
    pair = joined("/")
    assert pair.client.receive_message('2/other,["x"]') == []
    assert pair.client.receive_message("3/other,0[]") == []


def test_event_and_ack_to_the_server() -> None:
    pair = joined("/chat")
    first, second = pair.client.next_ack_id(), pair.client.next_ack_id()
    assert (first, second) == (0, 1)
    emitted = pair.client.encode_event("/chat", "echo", [b"\x01", {"n": [b"\x02"]}], second)
    assert pair.to_server(emitted) == [
        EventReceived("/chat", "echo", [b"\x01", {"n": [b"\x02"]}], second)
    ]
    reply = pair.server.encode_ack("/chat", second, ["done"])
    assert pair.to_client(reply) == [AckReceived("/chat", second, ["done"])]


def test_binary_event_from_the_server_waits_for_its_attachments() -> None:
    pair = joined()
    head, *attachments = Codec().encode(Packet(PacketType.EVENT, "/", ["bin", b"a", [b"b"]]))
    assert len(attachments) == 2
    assert pair.client.receive_message(head) == []
    assert pair.client.receive_message(attachments[0]) == []
    assert pair.client.receive_message(attachments[1]) == [
        EventReceived("/", "bin", [b"a", [b"b"]], None)
    ]


@pytest.mark.parametrize(
    "message",
    [
        "7",  # unknown type
        '2["connect"]',  # a reserved event name
        "2{}",  # event data must be a list
        b"\x00",  # binary without a binary packet
    ],
)
def test_bad_packets_are_the_servers_fault(message: str | bytes) -> None:
    pair = joined()
    with pytest.raises(ProtocolError):
        pair.client.receive_message(message)


class _Replay(Codec):
    """A codec whose decoder hands out one given packet: reaches what no real decoder returns."""

    def __init__(self, packet: Packet) -> None:
        super().__init__()
        self.packet = packet

    def decoder(self) -> PacketDecoder:
        packet = self.packet

        class Decoder(PacketDecoder):
            def receive(self, message: str | bytes) -> Packet | None:
                return packet

        return Decoder(self)


def test_a_packet_type_a_server_may_not_send() -> None:
    client = ClientSession(_Replay(Packet(PacketType.BINARY_EVENT, "/", ["x"])))
    with pytest.raises(ProtocolError, match="BINARY_EVENT"):
        client.receive_message("anything")


def test_msgpack_codec() -> None:
    pair = joined("/m", codec=MsgPackCodec())
    ack_id = pair.client.next_ack_id()
    [message] = pair.client.encode_event("/m", "echo", [b"\x00", 1.5], ack_id)
    assert isinstance(message, bytes)
    assert pair.to_server([message]) == [EventReceived("/m", "echo", [b"\x00", 1.5], ack_id)]


# --- properties -----------------------------------------------------------------------------------
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.text(max_size=10),
    st.binary(max_size=10),
)
_value = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
_event_name = st.text(min_size=1, max_size=10).filter(lambda e: e not in RESERVED_EVENTS)
_namespace = st.sampled_from(["/", "/chat", "/a/b"])


@settings(max_examples=200, deadline=None)
@given(
    _namespace,
    _event_name,
    st.lists(_value, max_size=4),
    st.none() | st.integers(0, 2**31),
    st.sampled_from(["json", "msgpack"]),
)
def test_events_round_trip_both_ways(
    namespace: str, event: str, args: list[Any], ack_id: int | None, codec_name: str
) -> None:
    # Generated data may hold more bytes values than the default cap of 10 attachments.
    codec: PacketCodec = Codec(max_attachments=100) if codec_name == "json" else MsgPackCodec()
    pair = joined(namespace, codec)
    # client -> server
    sent = pair.client.encode_event(namespace, event, args, ack_id)
    assert pair.to_server(sent) == [EventReceived(namespace, event, args, ack_id)]
    # server -> client
    packet = Packet(PacketType.EVENT, namespace, [event, *args], ack_id)
    out = pair.server.send(namespace, codec.encode(packet))
    assert pair.to_client(out) == [EventReceived(namespace, event, args, ack_id)]
    # and the acks
    if ack_id is not None:
        assert pair.to_client(pair.server.encode_ack(namespace, ack_id, args)) == [
            AckReceived(namespace, ack_id, args)
        ]
        assert pair.to_server(pair.client.encode_ack(namespace, ack_id, args)) == [
            AckReceived(namespace, ack_id, args)
        ]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=20)), max_size=4))
def test_any_input_gives_events_or_a_protocol_error(messages: list[str | bytes]) -> None:
    pair = joined()
    pair.client.connect("/other")
    for message in messages:
        try:
            events = pair.client.receive_message(message)
        except ProtocolError:
            return
        assert all(
            isinstance(
                e,
                (
                    EventReceived,
                    AckReceived,
                    NamespaceConnected,
                    NamespaceConnectFailed,
                    NamespaceDisconnected,
                ),
            )
            for e in events
        )
