"""The Engine.IO session state machine, driven with a fake clock (plain floats as ``now``)."""

from __future__ import annotations

import json

import pytest

from greensio.exceptions import MessageTooLarge, ProtocolError, UsageError
from greensio.protocol.engineio.session import (
    CONTINUE,
    CloseReason,
    EngineSession,
    RequestRejected,
    Transport,
    WebSocketOutcome,
)
from greensio.protocol.events import MessageReceived, SessionClosed, TransportUpgraded

pytestmark = pytest.mark.timeout(60)

INTERVAL = 25.0
TIMEOUT = 20.0


def make(
    transport: Transport = Transport.POLLING, now: float = 0.0, **kwargs: object
) -> EngineSession:
    options: dict[str, object] = {
        "ping_interval": INTERVAL,
        "ping_timeout": TIMEOUT,
        "max_payload": 1_000_000,
    }
    options.update(kwargs)
    return EngineSession("sid0", transport=transport, now=now, **options)  # type: ignore[arg-type]


class PollingClient:
    """The client half of a polling session, in memory: POSTs go in, GETs come out."""

    def __init__(self, session: EngineSession) -> None:
        self.session = session

    def post(self, payload: str, now: float = 0.0) -> list[object]:
        return list(self.session.receive_poll_body(payload.encode("utf-8"), now))

    def get(self) -> str | None:
        """A GET answered at once if something is due; else it stays pending (returns None)."""
        self.session.begin_poll()
        return self.session.end_poll()


def closed(reason: CloseReason) -> list[object]:
    return [SessionClosed(reason.value)]


# --- handshake ------------------------------------------------------------------------------------
def test_open_packet_values_are_in_milliseconds() -> None:
    # engine.io-protocol "Handshake" example: 25000 / 20000 / 1000000.
    session = make()
    text = session.open_packet()
    assert text[0] == "0"
    assert json.loads(text[1:]) == {
        "sid": "sid0",
        "upgrades": ["websocket"],
        "pingInterval": 25000,
        "pingTimeout": 20000,
        "maxPayload": 1_000_000,
    }
    # compact JSON, as the reference server sends it
    assert " " not in text


def test_open_packet_rounds_fractional_seconds() -> None:
    session = make(ping_interval=0.3, ping_timeout=0.2, max_payload=512)
    handshake = json.loads(session.open_packet()[1:])
    assert (handshake["pingInterval"], handshake["pingTimeout"]) == (300, 200)
    assert handshake["maxPayload"] == 512


def test_websocket_session_offers_no_upgrades() -> None:
    session = make(Transport.WEBSOCKET)
    assert json.loads(session.open_packet()[1:])["upgrades"] == []
    assert session.attach_probe() is False


def test_polling_session_without_websocket_upgrade_refuses_probes() -> None:
    session = make(upgrades=())
    assert json.loads(session.open_packet()[1:])["upgrades"] == []
    assert session.attach_probe() is False


def test_fresh_session_state() -> None:
    session = make(now=100.0)
    assert not session.closed
    assert session.close_reason is None
    assert not session.has_output()
    assert session.next_deadline() == 100.0 + INTERVAL


# --- heartbeat ------------------------------------------------------------------------------------
def test_ping_is_queued_after_ping_interval() -> None:
    session = make(now=10.0)
    client = PollingClient(session)
    assert session.handle_timer(10.0 + INTERVAL - 0.001) == []
    assert not session.has_output()
    assert session.handle_timer(10.0 + INTERVAL) == []
    assert session.has_output()
    assert client.get() == "2"
    # now waiting for the PONG
    assert session.next_deadline() == 10.0 + INTERVAL + TIMEOUT


def test_no_pong_closes_after_ping_interval_plus_ping_timeout() -> None:
    session = make()
    session.handle_timer(INTERVAL)
    assert session.handle_timer(INTERVAL + TIMEOUT - 0.001) == []
    assert not session.closed
    assert session.handle_timer(INTERVAL + TIMEOUT) == closed(CloseReason.PING_TIMEOUT)
    assert session.close_reason is CloseReason.PING_TIMEOUT
    assert session.next_deadline() is None
    assert session.handle_timer(1000.0) == []  # reported once


def test_late_timer_measures_pong_timeout_from_when_ping_was_queued() -> None:
    session = make()
    session.handle_timer(30.0)  # the timer fired 5 s late
    assert session.next_deadline() == 30.0 + TIMEOUT
    assert session.handle_timer(30.0 + TIMEOUT - 0.001) == []
    assert session.handle_timer(30.0 + TIMEOUT) == closed(CloseReason.PING_TIMEOUT)


def test_pong_resets_the_heartbeat() -> None:
    session = make()
    client = PollingClient(session)
    session.handle_timer(INTERVAL)
    assert client.get() == "2"
    assert client.post("3", now=30.0) == []
    assert session.next_deadline() == 30.0 + INTERVAL
    # the old pong deadline is gone
    assert session.handle_timer(INTERVAL + TIMEOUT) == []
    assert not session.closed
    assert not session.has_output()
    # and the next PING comes ping_interval after the PONG
    session.handle_timer(30.0 + INTERVAL)
    assert client.get() == "2"


def test_pong_over_websocket_resets_the_heartbeat() -> None:
    session = make(Transport.WEBSOCKET)
    session.handle_timer(INTERVAL)
    assert session.take_websocket_frames() == ["2"]
    assert session.receive_websocket_message("3", 26.0) == []
    assert session.next_deadline() == 26.0 + INTERVAL
    assert session.handle_timer(INTERVAL + TIMEOUT) == []
    assert not session.closed


def test_ping_timeout_answers_a_pending_poll_with_noop() -> None:
    session = make()
    session.handle_timer(INTERVAL)
    assert PollingClient(session).get() == "2"
    session.begin_poll()
    assert session.end_poll() is None  # nothing due: the GET waits
    assert session.handle_timer(INTERVAL + TIMEOUT) == closed(CloseReason.PING_TIMEOUT)
    assert session.end_poll() == "6"


def test_a_poll_past_the_heartbeat_deadline_finds_the_session_closed() -> None:
    # The official suite's "closes the session upon ping timeout": a GET made ping_interval +
    # ping_timeout after the handshake gets 400 even if the timer has not run (or ran late).
    session = make(now=10.0)
    session.begin_poll(10.0 + INTERVAL + TIMEOUT - 0.001)  # still alive
    assert session.end_poll() is None
    session.abandon_poll()
    with pytest.raises(RequestRejected) as rejected:
        session.begin_poll(10.0 + INTERVAL + TIMEOUT)
    assert rejected.value.events == closed(CloseReason.PING_TIMEOUT)
    assert session.close_reason is CloseReason.PING_TIMEOUT
    with pytest.raises(RequestRejected) as again:
        session.begin_poll(1000.0)
    assert again.value.events == []  # reported once


def test_a_late_timer_does_not_extend_the_deadline_of_a_poll() -> None:
    session = make()
    session.handle_timer(INTERVAL + 1.0)  # the PING was queued a second late
    assert session.next_deadline() == INTERVAL + 1.0 + TIMEOUT
    with pytest.raises(RequestRejected) as rejected:
        session.begin_poll(INTERVAL + TIMEOUT)
    assert rejected.value.events == closed(CloseReason.PING_TIMEOUT)


def test_a_pong_moves_the_deadline_of_a_poll() -> None:
    session = make()
    client = PollingClient(session)
    session.handle_timer(INTERVAL)
    assert client.get() == "2"
    client.post("3", now=30.0)
    session.begin_poll(30.0 + INTERVAL + TIMEOUT - 0.001)
    assert not session.closed


def test_a_poll_on_a_websocket_session_past_the_deadline_reports_the_close() -> None:
    session = make(Transport.WEBSOCKET)
    with pytest.raises(RequestRejected) as rejected:
        session.begin_poll(INTERVAL + TIMEOUT)
    assert rejected.value.events == closed(CloseReason.PING_TIMEOUT)


# --- long-polling ---------------------------------------------------------------------------------
def test_poll_waits_until_something_is_sent() -> None:
    session = make()
    session.begin_poll()
    assert session.end_poll() is None
    session.send_messages(["hello"])
    assert session.has_output()
    assert session.end_poll() == "4hello"
    assert not session.has_output()
    with pytest.raises(UsageError):
        session.end_poll()  # that GET was answered


def test_poll_carries_text_and_binary_messages_in_order() -> None:
    session = make()
    session.send_messages(['51-["b",{"_placeholder":true,"num":0}]', b"\x01\x02\x03\x04"])
    session.send_messages(["x"])
    assert (
        PollingClient(session).get() == '451-["b",{"_placeholder":true,"num":0}]\x1ebAQIDBA==\x1e4x'
    )


def test_end_poll_without_a_pending_get_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        make().end_poll()


def test_abandoned_poll_frees_the_slot() -> None:
    session = make()
    session.begin_poll()
    session.abandon_poll()
    session.begin_poll()  # not a concurrent GET
    assert not session.closed


def test_concurrent_get_closes_the_session() -> None:
    session = make()
    session.send_messages(["early"])
    session.begin_poll()
    session.end_poll()
    session.begin_poll()
    with pytest.raises(RequestRejected) as info:
        session.begin_poll()
    assert info.value.events == closed(CloseReason.TRANSPORT_ERROR)
    assert session.closed
    # the pending GET is answered with CLOSE
    assert session.has_output()
    assert session.end_poll() == "1"
    with pytest.raises(RequestRejected) as info:
        session.begin_poll()
    assert info.value.events == []


def test_concurrent_get_flushes_queued_messages_before_close() -> None:
    session = make()
    session.begin_poll()
    session.send_messages(["last"])
    with pytest.raises(RequestRejected):
        session.begin_poll()
    assert session.end_poll() == "4last\x1e1"


def test_posts_one_after_another_are_fine() -> None:
    session = make()
    for now in (1.0, 2.0):
        session.begin_post(now)
        session.end_post()
        assert PollingClient(session).post("4x", now) == [MessageReceived("x")]
    assert not session.closed


def test_overlapping_post_closes_the_session() -> None:
    # engine.io-protocol: a second POST while one is in flight is answered 400, session closed.
    session = make()
    session.begin_post(1.0)
    session.begin_poll()
    assert session.end_poll() is None  # the GET waits
    with pytest.raises(RequestRejected, match="concurrent POST") as info:
        session.begin_post(1.5)
    assert info.value.events == closed(CloseReason.TRANSPORT_ERROR)
    assert session.closed
    assert session.end_poll() == "1"  # the pending GET is answered with CLOSE: nothing wedges
    session.end_post()  # the first POST's body was read after all: it is refused too
    with pytest.raises(RequestRejected, match="not polling") as info:
        session.begin_post(2.0)
    assert info.value.events == []
    with pytest.raises(RequestRejected):
        PollingClient(session).post("4late", 2.0)


def test_post_after_the_heartbeat_expired_is_refused() -> None:
    session = make()
    with pytest.raises(RequestRejected) as info:
        session.begin_post(INTERVAL + TIMEOUT)
    assert info.value.events == closed(CloseReason.PING_TIMEOUT)


def test_post_on_a_websocket_session_is_refused() -> None:
    with pytest.raises(RequestRejected, match="not polling"):
        make(Transport.WEBSOCKET).begin_post(0.0)


def test_post_delivers_messages() -> None:
    client = PollingClient(make())
    events = client.post('40\x1e42["hello"]\x1ebAQIDBA==')
    assert events == [
        MessageReceived("0"),
        MessageReceived('2["hello"]'),
        MessageReceived(b"\x01\x02\x03\x04"),
    ]


def test_noop_from_the_client_is_ignored() -> None:
    assert PollingClient(make()).post("6\x1e4a\x1e6") == [MessageReceived("a")]


def test_client_close_while_poll_pending_answers_noop() -> None:
    session = make()
    client = PollingClient(session)
    session.send_messages(["dropped"])
    session.begin_poll()
    session.end_poll()
    session.begin_poll()
    session.send_messages(["never sent"])
    events = client.post("4before\x1e1\x1e4after")
    # messages before the CLOSE are delivered; nothing after it
    assert events == [MessageReceived("before"), *closed(CloseReason.CLIENT_DISCONNECT)]
    assert session.has_output()
    assert session.end_poll() == "6"


def test_client_close_without_a_pending_poll() -> None:
    session = make()
    assert PollingClient(session).post("1") == closed(CloseReason.CLIENT_DISCONNECT)
    assert session.next_deadline() is None


@pytest.mark.parametrize("packet", ["0", "2", "2probe", "5"])
def test_open_ping_upgrade_from_the_client_close_the_session(packet: str) -> None:
    session = make()
    session.send_messages(["queued"])
    events = PollingClient(session).post(f"4a\x1e{packet}\x1e4b")
    assert events == [MessageReceived("a"), *closed(CloseReason.TRANSPORT_ERROR)]
    assert not session.has_output()  # the outbox went with the session


def test_invalid_payload_closes_the_session() -> None:
    session = make()
    session.send_messages(["queued"])
    session.begin_poll()
    session.end_poll()
    session.begin_poll()
    with pytest.raises(RequestRejected) as info:
        session.receive_poll_body(b"4ok\x1e9bad", 0.0)
    assert info.value.events == closed(CloseReason.TRANSPORT_ERROR)
    assert isinstance(info.value.__cause__, ProtocolError)
    assert session.closed
    assert session.end_poll() == "6"  # the pending GET ends; the queued message is gone


def test_packet_count_cap() -> None:
    session = make(max_payload_packets=3)
    assert len(PollingClient(session).post("4a\x1e4b\x1e4c")) == 3
    with pytest.raises(RequestRejected) as info:
        session.receive_poll_body(b"4a\x1e4b\x1e4c\x1e4d", 0.0)
    assert isinstance(info.value.__cause__, MessageTooLarge)
    assert info.value.events == closed(CloseReason.TRANSPORT_ERROR)


def test_request_rejected_is_a_protocol_error_with_events() -> None:
    exc = RequestRejected("nope")
    assert isinstance(exc, ProtocolError)
    assert exc.events == []
    assert str(exc) == "nope"


def test_closed_session_rejects_polling_requests() -> None:
    session = make()
    session.close()
    with pytest.raises(RequestRejected):
        session.receive_poll_body(b"4x", 0.0)
    # A server close with no GET pending: the next GET still fetches the CLOSE, once.
    assert session.awaits_last_poll
    session.begin_poll()
    assert session.end_poll() == "1"
    assert not session.awaits_last_poll
    with pytest.raises(RequestRejected):
        session.begin_poll()


def test_a_client_close_leaves_a_noop_for_one_last_poll() -> None:
    # The official suite's "forcefully closes the session": the client sends its GET and its
    # POST "1" at once, on two connections; when the POST arrives first, the GET still gets NOOP.
    session = make()
    PollingClient(session).post("1")
    assert session.closed and session.awaits_last_poll
    session.begin_poll()
    assert session.end_poll() == "6"
    assert not session.awaits_last_poll and not session.has_output()
    with pytest.raises(RequestRejected):
        session.begin_poll()


def test_a_client_close_over_websocket_leaves_no_last_poll() -> None:
    session = make(Transport.WEBSOCKET)
    session.receive_websocket_message("1", 0.0)
    assert session.closed and not session.awaits_last_poll and not session.has_output()


def test_websocket_session_rejects_polling_requests() -> None:
    session = make(Transport.WEBSOCKET)
    with pytest.raises(RequestRejected):
        session.begin_poll()
    with pytest.raises(RequestRejected):
        session.receive_poll_body(b"4x", 0.0)
    assert not session.closed


# --- WebSocket ----------------------------------------------------------------------------------
def test_websocket_frames_drain_the_outbox() -> None:
    session = make(Transport.WEBSOCKET)
    assert session.take_websocket_frames() == []
    session.send_messages(["hi"])
    session.send_messages(['51-["b",{"_placeholder":true,"num":0}]', b"\x00\xff"])
    assert session.has_output()
    assert session.take_websocket_frames() == [
        "4hi",
        '451-["b",{"_placeholder":true,"num":0}]',
        b"\x00\xff",
    ]
    assert session.take_websocket_frames() == []
    assert not session.has_output()


def test_polling_session_has_no_websocket_frames() -> None:
    session = make()
    session.send_messages(["hi"])
    assert session.take_websocket_frames() == []
    assert session.has_output()


def test_websocket_messages() -> None:
    session = make(Transport.WEBSOCKET)
    assert session.receive_websocket_message("4hello", 0.0) == [MessageReceived("hello")]
    assert session.receive_websocket_message(b"\x01", 0.0) == [MessageReceived(b"\x01")]
    assert session.receive_websocket_message("6", 0.0) == []


@pytest.mark.parametrize("frame", ["", "9", "2", "0{}", "5"])
def test_bad_websocket_frame_closes_the_session(frame: str) -> None:
    session = make(Transport.WEBSOCKET)
    session.send_messages(["dropped"])
    assert session.receive_websocket_message(frame, 0.0) == closed(CloseReason.TRANSPORT_ERROR)
    assert session.take_websocket_frames() == []


def test_closed_session_ignores_websocket_messages() -> None:
    session = make(Transport.WEBSOCKET)
    assert session.receive_websocket_message("1", 0.0) == closed(CloseReason.CLIENT_DISCONNECT)
    assert session.receive_websocket_message("4late", 1.0) == []
    assert session.receive_websocket_message("", 1.0) == []
    assert session.close_reason is CloseReason.CLIENT_DISCONNECT


# --- closing --------------------------------------------------------------------------------------
def test_server_close_queues_close_packet_once() -> None:
    session = make(Transport.WEBSOCKET)
    session.send_messages(["bye"])
    assert session.close() == closed(CloseReason.SERVER_DISCONNECT)
    assert session.close() == []
    assert session.transport_closed() == []
    session.send_messages(["too late"])
    session.send_messages(["too", "late"])
    assert session.take_websocket_frames() == ["4bye", "1"]
    assert session.next_deadline() is None


def test_server_close_answers_pending_poll_with_close() -> None:
    session = make()
    session.begin_poll()
    session.close()
    assert session.has_output()
    assert session.end_poll() == "1"


@pytest.mark.parametrize(
    ("error", "reason"),
    [(False, CloseReason.TRANSPORT_CLOSE), (True, CloseReason.TRANSPORT_ERROR)],
)
def test_transport_closed(error: bool, reason: CloseReason) -> None:
    session = make(Transport.WEBSOCKET)
    session.send_messages(["lost"])
    assert session.transport_closed(error=error) == closed(reason)
    assert session.take_websocket_frames() == []


def test_close_reasons_are_python_socketio_strings() -> None:
    assert {r.value for r in CloseReason} == {
        "server disconnect",
        "client disconnect",
        "ping timeout",
        "transport close",
        "transport error",
    }
    assert Transport("polling") is Transport.POLLING
    assert Transport("websocket") is Transport.WEBSOCKET


# --- upgrade --------------------------------------------------------------------------------------
def on_probe(session: EngineSession, message: str | bytes, now: float = 0.0):
    return session.receive_websocket(message, now, probe=True)


ANSWER = ([], WebSocketOutcome(reply=("3probe",)))
ADOPT = ([TransportUpgraded()], WebSocketOutcome(adopt=True))


def test_probe_and_upgrade() -> None:
    # engine.io-protocol "Upgrade": 2probe -> 3probe (+ noop to the pending GET) -> 5.
    session = make()
    client = PollingClient(session)
    session.begin_poll()
    assert session.attach_probe() is True
    assert session.attach_probe() is False  # one probe at a time
    assert on_probe(session, "2probe", 1.0) == ANSWER  # 3probe goes back on the probe
    assert session.take_websocket_frames() == []  # and nothing on the (polling) session
    assert session.has_output()
    assert session.end_poll() == "6"  # the pending GET ends so the client can pause polling
    session.send_messages(["meanwhile"])
    assert on_probe(session, "6", 1.0) == ([], CONTINUE)  # a NOOP on the probe is harmless
    assert on_probe(session, "5", 2.0) == ADOPT  # the probe now carries the session
    assert session.transport is Transport.WEBSOCKET
    # what was queued during the upgrade goes out on the WebSocket
    assert session.take_websocket_frames() == ["4meanwhile"]
    # polling is over for this session, without closing it
    with pytest.raises(RequestRejected):
        client.get()
    with pytest.raises(RequestRejected):
        client.post("4x")
    assert not session.closed
    # a second probe is refused
    assert session.attach_probe() is False
    assert session.websocket_closed(probe=True) == []  # a no-op once upgraded
    assert session.transport is Transport.WEBSOCKET
    assert session.receive_websocket("4over ws", 3.0, probe=False) == (
        [MessageReceived("over ws")],
        CONTINUE,
    )


def test_probe_with_queued_messages_answers_poll_with_them() -> None:
    session = make()
    session.attach_probe()
    session.begin_poll()
    session.send_messages(["a"])
    on_probe(session, "2probe")
    assert session.end_poll() == "4a"


def test_every_poll_between_3probe_and_upgrade_gets_noop_at_once() -> None:
    session = make()
    session.attach_probe()
    on_probe(session, "2probe")
    assert session.has_output()
    for _ in range(3):
        session.begin_poll()
        assert session.end_poll() == "6"
    assert on_probe(session, "5") == ADOPT
    assert not session.has_output()


def test_failed_probe_ends_the_noop_answers() -> None:
    session = make()
    session.attach_probe()
    on_probe(session, "2probe")
    assert session.websocket_closed(probe=True) == []
    assert not session.has_output()
    session.begin_poll()
    assert session.end_poll() is None


def test_upgrade_with_a_poll_still_pending_answers_it_with_noop() -> None:
    session = make()
    session.attach_probe()
    on_probe(session, "2probe")
    session.begin_poll()  # the client polled again before upgrading
    assert on_probe(session, "5") == ADOPT
    assert session.end_poll() == "6"


def assert_ended(result: tuple[list[object], WebSocketOutcome], why: str) -> None:
    events, outcome = result
    assert events == [] and outcome.reply == () and not outcome.adopt
    assert outcome.end is not None and why in outcome.end


@pytest.mark.parametrize("message", ["5", "4hello", "2", "2probe!", "6", "3probe", b"\x01"])
def test_unexpected_packet_before_2probe_fails_the_probe(message: str | bytes) -> None:
    session = make()
    session.attach_probe()
    assert_ended(on_probe(session, message), "unexpected packet on upgrade probe")
    assert not session.closed  # the session survives its failed probe
    assert session.transport is Transport.POLLING
    assert session.attach_probe() is True  # and may try again


@pytest.mark.parametrize("message", ["2probe", "4hello", "1", b"\x01"])
def test_unexpected_packet_after_3probe_fails_the_probe(message: str | bytes) -> None:
    session = make()
    session.attach_probe()
    on_probe(session, "2probe")
    assert_ended(on_probe(session, message), "unexpected packet on upgrade probe")
    assert session.transport is Transport.POLLING
    assert session.attach_probe() is True


@pytest.mark.parametrize("message", ["", "x"])
def test_undecodable_probe_message_fails_the_probe(message: str) -> None:
    session = make()
    session.attach_probe()
    assert_ended(on_probe(session, message), "")
    assert session.websocket_closed(probe=True) == []
    assert not session.closed
    assert session.attach_probe() is True


def test_detached_probe_allows_another() -> None:
    session = make()
    assert session.attach_probe()
    session.websocket_closed(probe=True)
    assert session.attach_probe()


def test_closed_session_refuses_and_fails_probes() -> None:
    session = make()
    session.attach_probe()
    on_probe(session, "2probe")
    session.close()
    assert_ended(on_probe(session, "5"), "closed session")
    assert session.transport is Transport.POLLING
    assert session.attach_probe() is False


def test_the_sessions_own_websocket_closing_closes_the_session() -> None:
    session = make(Transport.WEBSOCKET)
    assert session.websocket_closed(probe=False) == [SessionClosed("transport close")]
    session = make(Transport.WEBSOCKET)
    assert session.websocket_closed(probe=False, error=True) == [SessionClosed("transport error")]


def test_heartbeat_continues_across_the_upgrade() -> None:
    session = make()
    session.attach_probe()
    on_probe(session, "2probe", 1.0)
    session.handle_timer(INTERVAL)  # PING queued while the client pauses polling
    on_probe(session, "5", 26.0)
    assert session.take_websocket_frames() == ["2"]
    session.receive_websocket_message("3", 27.0)
    assert session.next_deadline() == 27.0 + INTERVAL


def test_messages_may_skip_the_outbox_only_on_an_open_websocket_with_nothing_queued() -> None:
    assert not make().can_write_directly()  # polling: a GET fetches them
    session = make(Transport.WEBSOCKET)
    assert session.can_write_directly()
    session.send_messages(["queued"])
    assert not session.can_write_directly()  # it would overtake what is queued
    session.take_websocket_frames()
    session.close()
    assert not session.can_write_directly()


# --- outbound accounting (the server's max_outbound_buffer) ---------------------------------------
def test_outbox_bytes_count_what_waits_for_a_get() -> None:
    session = make(poll_batch_packets=2)
    client = PollingClient(session)
    session.send_messages(["abc"])
    session.send_messages(["de", b"\x00\x01\x02\x03"])
    assert session.outbox_bytes == 3 + 2 + 4
    assert client.get() == "4abc\x1e4de"  # a batch of two: the rest waits
    assert session.outbox_bytes == 4
    assert client.get() == "bAAECAw=="
    assert session.outbox_bytes == 0


def test_outbox_bytes_drain_with_websocket_frames_and_reset_on_close() -> None:
    session = make(Transport.WEBSOCKET)
    session.send_messages(["x" * 10, b"y" * 5])
    assert session.outbox_bytes == 15
    assert session.take_websocket_frames() == ["4" + "x" * 10, b"y" * 5]
    assert session.outbox_bytes == 0
    session.send_messages(["z" * 7])
    assert session.transport_closed(error=True) == closed(CloseReason.TRANSPORT_ERROR)
    assert session.outbox_bytes == 0
    session.send_messages(["after"])  # a closed session queues nothing
    assert session.outbox_bytes == 0
