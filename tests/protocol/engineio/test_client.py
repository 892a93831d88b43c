"""The client's Engine.IO session, driven with a fake clock (plain floats as ``now``).

Most tests pair it with the server's ``EngineSession`` in memory (``Pair``): what one side
produces is fed to the other, as the front-ends would carry it over HTTP or a WebSocket.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greensio.exceptions import ProtocolError, UsageError
from greensio.protocol.engineio.client import ClientEngineSession
from greensio.protocol.engineio.session import CloseReason, EngineSession, Transport
from greensio.protocol.events import (
    MessageReceived,
    SessionClosed,
    SessionOpened,
    TransportUpgraded,
)

pytestmark = pytest.mark.timeout(60)

INTERVAL = 25.0
TIMEOUT = 20.0


def handshake(**fields: object) -> str:
    data: dict[str, object] = {
        "sid": "abc",
        "upgrades": ["websocket"],
        "pingInterval": 25000,
        "pingTimeout": 20000,
        "maxPayload": 1_000_000,
    }
    data.update(fields)
    return "0" + json.dumps({k: v for k, v in data.items() if v is not ...})


def opened(transport: Transport = Transport.POLLING, now: float = 0.0) -> ClientEngineSession:
    client = ClientEngineSession(transport)
    if transport is Transport.POLLING:
        events = client.receive_poll_body(handshake(), now)
    else:
        events = client.receive_websocket_message(handshake(upgrades=[]), now)
    assert isinstance(events[0], SessionOpened)
    return client


def closed(reason: CloseReason) -> list[object]:
    return [SessionClosed(reason.value)]


class Pair:
    """A client session and a server session joined in memory over long-polling."""

    def __init__(self, now: float = 0.0) -> None:
        self.server = EngineSession(
            "sid0",
            transport=Transport.POLLING,
            now=now,
            ping_interval=INTERVAL,
            ping_timeout=TIMEOUT,
            max_payload=1_000_000,
        )
        self.client = ClientEngineSession(Transport.POLLING)
        self.client_events = self.client.receive_poll_body(self.server.open_packet(), now)

    def start_get(self) -> None:
        """A GET goes out (the client may send one) and reaches the server."""
        assert self.client.begin_poll()
        self.server.begin_poll()

    def end_get(self, now: float = 0.0) -> list[object]:
        """The server answers the pending GET with what it has queued; the client decodes it."""
        payload = self.server.end_poll()
        assert payload is not None, "the GET would block: nothing queued on the server"
        events = self.client.receive_poll_body(payload.encode("utf-8"), now)
        self.client.poll_done()  # (the caller has dispatched what it brought)
        return events

    def get(self, now: float = 0.0) -> list[object]:
        """One whole GET."""
        self.start_get()
        return self.end_get(now)

    def post(self, now: float = 0.0) -> list[object]:
        """One whole POST of what the client has queued."""
        body = self.client.take_poll_body()
        assert body is not None
        events = self.server.receive_poll_body(body.encode("utf-8"), now)
        self.client.post_done()
        return events


# --- handshake ------------------------------------------------------------------------------------
def test_a_new_session_is_connecting() -> None:
    client = ClientEngineSession(Transport.POLLING)
    assert not client.opened and not client.closed
    assert client.sid is None and client.next_deadline() is None
    assert (client.ping_interval, client.ping_timeout) == (25.0, 20.0)


def test_open_reads_the_servers_handshake_in_seconds() -> None:
    pair = Pair(now=100.0)
    assert pair.client_events == [
        SessionOpened("sid0", ("websocket",), INTERVAL, TIMEOUT, 1_000_000)
    ]
    client = pair.client
    assert client.opened and client.sid == "sid0"
    assert client.upgrades == ("websocket",)
    assert (client.ping_interval, client.ping_timeout, client.max_payload) == (25.0, 20.0, 1e6)
    # the server is presumed gone when no PING comes within interval + timeout
    assert client.next_deadline() == 100.0 + INTERVAL + TIMEOUT


def test_open_with_fractional_heartbeat_and_defaults() -> None:
    client = ClientEngineSession(Transport.WEBSOCKET)
    text = handshake(pingInterval=300, pingTimeout=200, upgrades=..., maxPayload=...)
    [event] = client.receive_websocket_message(text, 0.0)
    assert event == SessionOpened("abc", (), 0.3, 0.2, 1_000_000)


def test_messages_behind_the_open_packet_are_delivered() -> None:
    client = ClientEngineSession(Transport.POLLING)
    events = client.receive_poll_body(f"{handshake()}\x1e4hello\x1ebAAE=", 0.0)
    assert events[1:] == [MessageReceived("hello"), MessageReceived(b"\x00\x01")]


@pytest.mark.parametrize(
    "first",
    [
        "4hello",  # not OPEN
        "0not json",
        "0[1, 2]",  # not an object
        '0"text"',
        handshake(sid=...),
        handshake(pingInterval=...),
        handshake(pingTimeout=...),
        handshake(sid=5),
        handshake(upgrades=[1]),
        handshake(upgrades=None),
        handshake(pingInterval="25000"),
        handshake(maxPayload="lots"),
    ],
)
def test_a_bad_handshake_closes_the_session(first: str) -> None:
    client = ClientEngineSession(Transport.POLLING)
    assert client.receive_poll_body(first, 0.0) == closed(CloseReason.TRANSPORT_ERROR)
    assert client.closed and client.close_reason is CloseReason.TRANSPORT_ERROR
    assert client.sid is None


def test_a_binary_first_message_is_not_a_handshake() -> None:
    client = ClientEngineSession(Transport.WEBSOCKET)
    assert client.receive_websocket_message(b"0{}", 0.0) == closed(CloseReason.TRANSPORT_ERROR)


# --- receiving ------------------------------------------------------------------------------------
def test_messages_text_and_binary_over_polling() -> None:
    pair = Pair()
    pair.server.send_messages(["one", b"\xff\x00", ""])
    assert pair.get() == [MessageReceived("one"), MessageReceived(b"\xff\x00"), MessageReceived("")]


def test_messages_over_websocket() -> None:
    client = opened(Transport.WEBSOCKET)
    assert client.receive_websocket_message("4hi", 1.0) == [MessageReceived("hi")]
    assert client.receive_websocket_message(b"\x01", 1.0) == [MessageReceived(b"\x01")]


def test_ping_is_answered_with_pong_and_moves_the_deadline() -> None:
    pair = Pair()
    pair.server.handle_timer(INTERVAL)  # the server's PING is due
    assert pair.get(now=INTERVAL) == []
    assert pair.client.next_deadline() == INTERVAL + INTERVAL + TIMEOUT
    assert pair.client.has_output()
    assert pair.client.take_poll_body() == "3"
    assert pair.server.receive_poll_body(b"3", INTERVAL) == []
    assert pair.server.next_deadline() == 2 * INTERVAL  # the server saw the PONG


def test_noop_is_ignored() -> None:
    client = opened()
    assert client.receive_poll_body(b"6", 1.0) == []
    assert client.opened and not client.has_output()


def test_close_packet_from_the_server() -> None:
    pair = Pair()
    pair.server.begin_poll()  # the server closes while a GET is pending: it gets the CLOSE
    pair.server.close()
    payload = pair.server.end_poll()
    assert payload == "1"
    assert pair.client.receive_poll_body(payload, 0.0) == closed(CloseReason.TRANSPORT_CLOSE)
    assert pair.client.closed and pair.client.next_deadline() is None


@pytest.mark.parametrize("packet", ["3", "0{}", "5"])  # PONG, a second OPEN, UPGRADE
def test_packets_a_server_may_not_send_close_the_session(packet: str) -> None:
    client = opened()
    assert client.receive_poll_body(packet, 1.0) == closed(CloseReason.TRANSPORT_ERROR)


def test_nothing_is_read_after_a_close_in_the_same_payload() -> None:
    client = opened()
    assert client.receive_poll_body("1\x1e4late", 1.0) == closed(CloseReason.TRANSPORT_CLOSE)


@pytest.mark.parametrize("body", [b"\xff\xfe", "4a\x1e\x1e4b", "9x", "b!!!"])
def test_an_undecodable_payload_closes_the_session(body: bytes | str) -> None:
    client = opened()
    assert client.receive_poll_body(body, 1.0) == closed(CloseReason.TRANSPORT_ERROR)


def test_an_undecodable_frame_closes_the_session() -> None:
    client = opened(Transport.WEBSOCKET)
    assert client.receive_websocket_message("", 1.0) == closed(CloseReason.TRANSPORT_ERROR)


def test_a_closed_session_reads_nothing() -> None:
    client = opened()
    client.transport_closed()
    assert client.receive_poll_body("4late", 1.0) == []
    assert client.receive_websocket_message("4late", 1.0) == []


# --- sending --------------------------------------------------------------------------------------
def test_messages_go_out_in_one_post() -> None:
    pair = Pair()
    assert pair.client.take_poll_body() is None  # nothing queued
    pair.client.send_messages(["a", b"\x00"])
    pair.client.send_messages(["b"])
    assert pair.post() == [MessageReceived("a"), MessageReceived(b"\x00"), MessageReceived("b")]
    assert not pair.client.has_output()


def test_websocket_frames() -> None:
    client = opened(Transport.WEBSOCKET)
    assert client.take_websocket_frames() == []
    client.send_messages(["a", b"\x01"])
    assert client.take_poll_body() is None  # not polling
    assert client.take_websocket_frames() == ["4a", b"\x01"]
    assert client.take_websocket_frames() == []


def test_messages_skip_the_outbox_only_on_an_open_websocket_with_nothing_queued() -> None:
    client = opened(Transport.WEBSOCKET)
    assert client.can_write_directly()
    client.send_messages(["queued"])
    assert not client.can_write_directly()  # what is queued goes first
    client.take_websocket_frames()
    assert client.can_write_directly()
    assert not opened().can_write_directly()  # polling
    client.close()
    assert not client.can_write_directly()


def test_polling_session_gives_no_websocket_frames() -> None:
    client = opened()
    client.send_messages(["a"])
    assert client.take_websocket_frames() == []
    assert client.take_poll_body() == "4a"


def test_sending_on_a_closed_session_is_a_usage_error() -> None:
    client = opened()
    client.transport_closed(error=True)
    assert client.close_reason is CloseReason.TRANSPORT_ERROR
    with pytest.raises(UsageError):
        client.send_messages(["late"])


# --- heartbeat ------------------------------------------------------------------------------------
def test_silent_server_times_out() -> None:
    client = opened(now=10.0)
    deadline = 10.0 + INTERVAL + TIMEOUT
    assert client.handle_timer(deadline - 0.001) == []
    assert client.handle_timer(deadline) == closed(CloseReason.PING_TIMEOUT)
    assert client.handle_timer(deadline + 1) == []
    assert client.next_deadline() is None


def test_timer_before_the_handshake_does_nothing() -> None:
    client = ClientEngineSession(Transport.POLLING)
    assert client.handle_timer(1e9) == []


# --- closing --------------------------------------------------------------------------------------
def test_close_queues_a_close_packet_for_the_server() -> None:
    pair = Pair()
    pair.client.send_messages(["last words"])
    assert pair.client.close() == closed(CloseReason.CLIENT_DISCONNECT)
    assert pair.client.closed
    assert pair.post() == [
        MessageReceived("last words"),
        SessionClosed(CloseReason.CLIENT_DISCONNECT.value),
    ]
    assert pair.client.close() == []  # only once


def test_close_before_the_handshake_sends_nothing() -> None:
    client = ClientEngineSession(Transport.WEBSOCKET)
    assert client.close() == closed(CloseReason.CLIENT_DISCONNECT)
    assert not client.has_output()


def test_transport_closed_drops_the_outbox() -> None:
    client = opened()
    client.send_messages(["lost"])
    assert client.transport_closed() == closed(CloseReason.TRANSPORT_CLOSE)
    assert not client.has_output()
    assert client.transport_closed(error=True) == []


# --- upgrade --------------------------------------------------------------------------------------
def test_upgrade_handshake_with_the_server() -> None:
    pair = Pair()
    client, server = pair.client, pair.server
    pair.start_get()  # as always while polling, a GET is out
    assert client.can_upgrade()
    probe = client.probe_frames()
    assert probe == ["2probe"]
    assert not client.can_upgrade()  # one probe at a time
    # the probe WebSocket reaches the server
    assert server.attach_probe()
    [answer] = server.receive_websocket(probe[0], 0.0, probe=True)[1].reply
    assert client.receive_probe_message(answer) is True
    # polling pauses: no new GET; the pending one is answered with NOOP; then UPGRADE goes out
    assert not client.begin_poll()
    assert not client.upgrade_may_complete()
    with pytest.raises(UsageError):
        client.complete_upgrade()  # the GET is still out
    assert pair.end_get() == []
    assert client.upgrade_may_complete()
    [upgrade] = client.complete_upgrade()
    assert server.receive_websocket(upgrade, 0.0, probe=True)[0] == [TransportUpgraded()]
    assert client.transport is Transport.WEBSOCKET and server.transport is Transport.WEBSOCKET
    assert not client.can_upgrade() and not client.upgrade_may_complete()
    assert not client.begin_poll()  # the poll loop ends
    # from now on the outbox drains as WebSocket frames
    client.send_messages(["over ws"])
    assert client.take_poll_body() is None
    [frame] = client.take_websocket_frames()
    assert server.receive_websocket_message(frame, 1.0) == [MessageReceived("over ws")]


def test_no_upgrade_when_the_server_offers_none() -> None:
    client = ClientEngineSession(Transport.POLLING)
    client.receive_poll_body(handshake(upgrades=[]), 0.0)
    assert not client.can_upgrade()
    with pytest.raises(UsageError):
        client.probe_frames()


def test_no_upgrade_before_the_handshake_or_from_websocket() -> None:
    assert not ClientEngineSession(Transport.POLLING).can_upgrade()
    assert not opened(Transport.WEBSOCKET).can_upgrade()


@pytest.mark.parametrize("answer", ["3prob", "2probe", b"3probe", ""])
def test_a_wrong_probe_answer_is_the_servers_fault(answer: str | bytes) -> None:
    client = opened()
    client.probe_frames()
    with pytest.raises(ProtocolError):
        client.receive_probe_message(answer)
    assert client.can_upgrade()  # the probe is over; the session is untouched
    assert client.opened


def test_a_probe_answer_without_a_probe_is_refused() -> None:
    client = opened()
    with pytest.raises(ProtocolError):
        client.receive_probe_message("3probe")


def test_complete_upgrade_needs_a_successful_probe() -> None:
    client = opened()
    with pytest.raises(UsageError):
        client.complete_upgrade()


def test_complete_upgrade_on_a_closed_session_is_refused() -> None:
    client = opened()
    client.probe_frames()
    client.receive_probe_message("3probe")
    client.transport_closed()
    with pytest.raises(UsageError):
        client.complete_upgrade()
    assert client.transport is Transport.POLLING


def test_abandon_upgrade_allows_another_probe() -> None:
    client = opened()
    client.probe_frames()
    assert client.abandon_upgrade() == []
    assert client.can_upgrade() and client.opened
    assert client.probe_frames() == ["2probe"]


def paused(client: ClientEngineSession) -> ClientEngineSession:
    """``client`` after a successful probe: polling has paused for the upgrade."""
    client.probe_frames()
    assert client.receive_probe_message("3probe")
    return client


def test_one_get_at_a_time_and_none_once_closed() -> None:
    client = opened()
    assert client.begin_poll()
    assert not client.begin_poll()  # that GET is still out
    assert client.receive_poll_body("6", 1.0) == []
    assert not client.begin_poll()  # ... until what it brought was dispatched
    client.poll_done()
    assert client.begin_poll()
    client.transport_closed()
    assert not client.begin_poll()
    assert not ClientEngineSession(Transport.POLLING).begin_poll()  # before the handshake
    assert not opened(Transport.WEBSOCKET).begin_poll()


def test_one_post_at_a_time() -> None:
    client = opened()
    client.send_messages(["a"])
    assert client.take_poll_body() == "4a"
    client.send_messages(["b"])
    assert client.take_poll_body() is None  # the first POST is still out
    client.post_done()
    assert client.take_poll_body() == "4b"


def test_the_upgrade_waits_for_the_post_in_flight() -> None:
    client = opened()
    client.send_messages(["over polling"])
    assert client.take_poll_body() == "4over polling"
    paused(client)
    assert not client.upgrade_may_complete()
    # what is sent during the pause waits for the WebSocket: no POST could arrive after it
    client.send_messages(["after the switch"])
    assert client.take_poll_body() is None
    client.post_done()
    assert client.upgrade_may_complete()
    assert client.complete_upgrade() == ["5"]
    assert client.take_websocket_frames() == ["4after the switch"]


def test_the_upgrade_waits_for_both_requests() -> None:
    client = opened()
    assert client.begin_poll()
    client.send_messages(["x"])
    assert client.take_poll_body() == "4x"
    paused(client)
    assert client.receive_poll_body("6", 1.0) == []
    assert not client.upgrade_may_complete()  # the GET's messages are not dispatched yet
    client.poll_done()
    assert not client.upgrade_may_complete()  # the POST is still out
    client.post_done()
    assert client.upgrade_may_complete()


def test_a_second_probe_answer_during_the_pause_is_refused() -> None:
    client = paused(opened())
    with pytest.raises(ProtocolError):
        client.receive_probe_message("3probe")
    assert client.upgrade_may_complete()  # the pause goes on


def test_abandoning_after_the_pause_loses_the_connection() -> None:
    # Polling has stopped for the upgrade: without the WebSocket there is no transport left.
    client = paused(opened())
    assert client.abandon_upgrade() == closed(CloseReason.TRANSPORT_ERROR)
    assert client.closed and not client.can_upgrade()
    assert client.abandon_upgrade() == []


def test_closing_during_the_pause_sends_close_over_polling() -> None:
    client = paused(opened())
    assert client.close() == closed(CloseReason.CLIENT_DISCONNECT)
    assert not client.upgrade_may_complete()
    assert client.take_poll_body() == "1"  # the pause is over: the CLOSE goes out
    with pytest.raises(UsageError):
        client.complete_upgrade()


# --- properties -----------------------------------------------------------------------------------
_message = st.one_of(st.text(max_size=30), st.binary(max_size=30))
# The record separator joins polling packets, so no text message may hold it (Socket.IO's JSON
# escapes it; engine.io-protocol, "HTTP long-polling").
_poll_message = st.one_of(
    st.text(max_size=30).filter(lambda t: "\x1e" not in t), st.binary(max_size=30)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_poll_message, min_size=1, max_size=16))  # one GET carries at most 16 packets
def test_messages_round_trip_both_ways_over_polling(messages: list[str | bytes]) -> None:
    pair = Pair()
    pair.server.send_messages(messages)
    assert pair.get() == [MessageReceived(m) for m in messages]
    pair.client.send_messages(messages)
    assert pair.post() == [MessageReceived(m) for m in messages]


@settings(max_examples=200, deadline=None)
@given(st.lists(_message, min_size=1, max_size=20))
def test_messages_round_trip_over_websocket(messages: list[str | bytes]) -> None:
    client = opened(Transport.WEBSOCKET)
    client.send_messages(messages)
    server = EngineSession(
        "s",
        transport=Transport.WEBSOCKET,
        now=0.0,
        ping_interval=INTERVAL,
        ping_timeout=TIMEOUT,
        max_payload=1_000_000,
    )
    received = [server.receive_websocket_message(f, 0.0) for f in client.take_websocket_frames()]
    assert [e for events in received for e in events] == [MessageReceived(m) for m in messages]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.binary(max_size=60)), st.booleans())
def test_any_input_gives_events_never_an_exception(data: str | bytes, websocket: bool) -> None:
    for client in (ClientEngineSession(Transport.POLLING), opened()):
        if websocket:
            events = client.receive_websocket_message(data, 1.0)
        else:
            events = client.receive_poll_body(data, 1.0)
        assert all(isinstance(e, (SessionOpened, MessageReceived, SessionClosed)) for e in events)
        if client.closed:
            assert events[-1:] == [SessionClosed(client.close_reason.value)]  # type: ignore[union-attr]
