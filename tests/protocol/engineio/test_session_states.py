"""Stateful property tests of the Engine.IO session against a small model of engine.io-protocol.

Hypothesis drives one ``EngineSession`` through random sequences of what a server sees: GETs
(one at a time, and concurrent ones), POSTs (one at a time, overlapping ones, bad ones), the
upgrade's probe, WebSocket messages, the heartbeat timer and server-side closes. The model keeps
what the spec says the session holds: the packets queued for the client (in order), whether a
GET is pending, the transport, the probe, the heartbeat deadlines and how it closed. Every step
checks the session's answer (events, payloads, rejections) against the model.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from greensio.protocol.engineio.session import (
    CONTINUE,
    CloseReason,
    EngineSession,
    RequestRejected,
    Transport,
)
from greensio.protocol.events import MessageReceived, SessionClosed, TransportUpgraded

pytestmark = pytest.mark.timeout(60)

INTERVAL, TIMEOUT, BATCH = 25.0, 20.0, 4
_words = st.sampled_from(["a", "b", "hello", "é"])


class SessionModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.session = EngineSession(
            "sid",
            transport=Transport.POLLING,
            now=0.0,
            ping_interval=INTERVAL,
            ping_timeout=TIMEOUT,
            max_payload=1_000_000,
            poll_batch_packets=BATCH,
        )
        # --- the model ---
        self.transport = Transport.POLLING
        self.outbox: list[str] = []
        self.reason: CloseReason | None = None
        self.poll_pending = False
        self.noop_due = False
        self.probe: str | None = None  # None, "attached", "probed"
        self.next_ping = INTERVAL
        self.pong_deadline: float | None = None

    # --- the model's transitions ------------------------------------------------------------------
    def close(self, reason: CloseReason, notify: bool = False) -> list[object]:
        if self.reason is not None:
            return []
        self.reason = reason
        self.pong_deadline = None
        if notify:
            self.outbox.append("1")
        else:
            self.outbox.clear()
        return [SessionClosed(reason.value)]

    def expire(self) -> list[object]:
        if self.reason is None and self.now >= self.next_ping + TIMEOUT:
            return self.close(CloseReason.PING_TIMEOUT)
        return []

    def has_output(self) -> bool:
        return bool(self.outbox) or self.noop_due or self.probe == "probed"

    def awaits_last_poll(self) -> bool:
        return (
            self.reason is not None
            and self.transport is Transport.POLLING
            and not self.poll_pending
            and (bool(self.outbox) or self.noop_due)
        )

    def packets_in(self, packets: list[str]) -> list[object]:
        """What the client's packets (on its current transport) cause."""
        events: list[object] = []
        for packet in packets:
            if packet[0] == "4":
                events.append(MessageReceived(packet[1:]))
            elif packet == "3":
                self.pong_deadline = None
                self.next_ping = self.now + INTERVAL
            elif packet == "1":
                events += self.close(CloseReason.CLIENT_DISCONNECT)
                self.noop_due = self.transport is Transport.POLLING
                break
            elif packet != "6":
                events += self.close(CloseReason.TRANSPORT_ERROR)
                break
        return events

    def answer_poll(self) -> str:
        if self.outbox:
            payload = "\x1e".join(self.outbox[:BATCH])
            del self.outbox[:BATCH]
        else:
            payload = "6"
        self.noop_due = False
        self.poll_pending = False
        return payload

    # --- time -------------------------------------------------------------------------------------
    @rule(dt=st.sampled_from([0.5, 5.0, 10.0, 20.0, 30.0]))
    def tick(self, dt: float) -> None:
        self.now += dt
        deadline = self.session.next_deadline()
        if deadline is None or self.now < deadline:
            return
        expected: list[object] = []
        if self.pong_deadline is not None:
            if self.now >= self.pong_deadline:
                expected = self.close(CloseReason.PING_TIMEOUT)
        elif self.now >= self.next_ping:
            self.outbox.append("2")
            self.pong_deadline = self.now + TIMEOUT
        assert self.session.handle_timer(self.now) == expected

    # --- long-polling -----------------------------------------------------------------------------
    def begin_poll(self) -> list[object] | None:
        """Call begin_poll on both; the events of a rejection, or None when admitted."""
        expected = self.expire()
        if self.transport is not Transport.POLLING or (
            self.reason is not None and not self.awaits_last_poll()
        ):
            pass
        elif self.poll_pending:
            expected += self.close(CloseReason.TRANSPORT_ERROR, notify=True)
        else:
            self.poll_pending = True
            self.session.begin_poll(self.now)
            return None
        with pytest.raises(RequestRejected) as info:
            self.session.begin_poll(self.now)
        assert info.value.events == expected
        return expected

    @precondition(lambda self: not self.poll_pending)
    @rule()
    def get(self) -> None:
        if self.begin_poll() is None and (self.has_output() or self.reason is not None):
            self.answer_pending_poll()

    @precondition(lambda self: self.poll_pending)
    @rule()
    def concurrent_get(self) -> None:
        assert self.begin_poll() is not None

    @precondition(lambda self: self.poll_pending and (self.has_output() or self.reason is not None))
    @rule()
    def answer_pending_poll(self) -> None:
        expected = self.answer_poll()
        assert self.session.end_poll() == expected

    @precondition(lambda self: self.poll_pending)
    @rule()
    def abandon_poll(self) -> None:
        self.poll_pending = False
        self.session.abandon_poll()

    @rule(packets=st.lists(st.sampled_from(["4a", "4b", "3", "6", "1", "0", "9"]), min_size=1))
    def post(self, packets: list[str]) -> None:
        expired = self.expire()
        if self.transport is not Transport.POLLING or self.reason is not None:
            with pytest.raises(RequestRejected) as info:
                self.session.begin_post(self.now)
            assert info.value.events == expired
            return
        self.session.begin_post(self.now)
        self.session.end_post()
        body = "\x1e".join(packets).encode()
        if "9" in packets:  # a payload that does not decode: 400, and the session closes
            with pytest.raises(RequestRejected) as info:
                self.session.receive_poll_body(body, self.now)
            assert info.value.events == self.close(CloseReason.TRANSPORT_ERROR)
            return
        assert self.session.receive_poll_body(body, self.now) == self.packets_in(packets)

    @precondition(lambda self: self.transport is Transport.POLLING and self.reason is None)
    @rule()
    def overlapping_post(self) -> None:
        expired = self.expire()
        if expired:
            with pytest.raises(RequestRejected):
                self.session.begin_post(self.now)
            return
        self.session.begin_post(self.now)
        with pytest.raises(RequestRejected) as info:
            self.session.begin_post(self.now)
        assert info.value.events == self.close(CloseReason.TRANSPORT_ERROR, notify=True)
        self.session.end_post()

    # --- output and closing -----------------------------------------------------------------------
    @rule(data=_words)
    def send(self, data: str) -> None:
        if self.reason is None:
            self.outbox.append("4" + data)
        self.session.send_messages([data])

    @rule()
    def server_close(self) -> None:
        assert self.session.close() == self.close(CloseReason.SERVER_DISCONNECT, notify=True)

    # --- upgrade and WebSocket --------------------------------------------------------------------
    @rule()
    def attach_probe(self) -> None:
        ok = self.transport is Transport.POLLING and self.probe is None and self.reason is None
        if ok:
            self.probe = "attached"
        assert self.session.attach_probe() is ok

    @precondition(lambda self: self.probe is not None)
    @rule(message=st.sampled_from(["2probe", "5", "6", "4x"]))
    def probe_message(self, message: str) -> None:
        events, outcome = self.session.receive_websocket(message, self.now, probe=True)
        if self.reason is not None:
            assert (events, outcome.end is not None) == ([], True)
            self.probe = None
        elif self.probe == "attached" and message == "2probe":
            assert (events, outcome.reply) == ([], ("3probe",))
            self.probe = "probed"
        elif self.probe == "probed" and message == "5":
            assert (events, outcome.adopt) == ([TransportUpgraded()], True)
            self.transport, self.probe = Transport.WEBSOCKET, None
            self.noop_due = self.noop_due or self.poll_pending
        elif self.probe == "probed" and message == "6":
            assert (events, outcome) == ([], CONTINUE)
        else:
            assert (events, outcome.end is not None) == ([], True)
            self.probe = None

    @precondition(lambda self: self.probe is not None)
    @rule()
    def probe_gone(self) -> None:
        assert self.session.websocket_closed(probe=True) == []
        self.probe = None

    @precondition(lambda self: self.transport is Transport.WEBSOCKET)
    @rule(message=st.sampled_from(["4a", "3", "1", "6", "2"]))
    def websocket_message(self, message: str) -> None:
        expected = [] if self.reason is not None else self.packets_in([message])
        assert self.session.receive_websocket(message, self.now, probe=False) == (
            expected,
            CONTINUE,
        )

    @precondition(lambda self: self.transport is Transport.WEBSOCKET)
    @rule()
    def take_frames(self) -> None:
        expected, self.outbox = self.outbox, []
        assert self.session.take_websocket_frames() == expected

    @precondition(lambda self: self.transport is Transport.WEBSOCKET)
    @rule()
    def websocket_gone(self) -> None:
        assert self.session.websocket_closed(probe=False) == self.close(CloseReason.TRANSPORT_CLOSE)

    # --- what holds after every step --------------------------------------------------------------
    @invariant()
    def agrees_with_the_model(self) -> None:
        session = self.session
        assert session.close_reason is self.reason
        assert session.transport is self.transport
        assert session.has_output() is self.has_output()
        assert session.awaits_last_poll is self.awaits_last_poll()
        if self.reason is not None:
            assert session.next_deadline() is None
        else:
            expected = self.pong_deadline if self.pong_deadline is not None else self.next_ping
            assert session.next_deadline() == expected


SessionModel.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
test_session_states = SessionModel.TestCase
