"""The server's Engine.IO session state machine (``greensio.protocol.engineio.session
.EngineSession``) driven by an arbitrary sequence of what its driver does: POST bodies, GETs
begun, answered and abandoned, messages on its WebSocket or an upgrade's probe, probes attached
and closed, timers, sends and closes, with the driver's own rules kept (``end_poll`` only for a
pending GET, a probe's messages only while one is attached).

Property: the only exception is ``RequestRejected`` (a ProtocolError: the request gets a 400);
the session closes at most once, with a reason, and reports nothing after; its outbox never holds
more than what was sent, the PINGs and one CLOSE."""

from __future__ import annotations

from greensio.exceptions import ProtocolError
from greensio.protocol.engineio.session import (
    CloseReason,
    EngineSession,
    Transport,
    WebSocketOutcome,
)
from greensio.protocol.events import MessageReceived, SessionClosed, TransportUpgraded
from tests.fuzz.inputs import chunks, text

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.engineio",)


class Driver:
    def __init__(self, transport: Transport) -> None:
        self.now = 0.0
        self.session = EngineSession(
            "sid",
            transport=transport,
            now=self.now,
            ping_interval=25,
            ping_timeout=20,
            max_payload=1000,
            max_payload_packets=16,
        )
        self.poll_pending = False
        self.probe = False
        self.closes = 0
        self.queued = 0  # what may be in the outbox: sends, PINGs, one CLOSE
        self.received = 0

    def events(self, events: list[object]) -> None:
        for event in events:
            if isinstance(event, SessionClosed):
                self.closes += 1
                assert self.closes == 1
                assert event.reason in {r.value for r in CloseReason}
            elif isinstance(event, MessageReceived):
                assert self.closes == 0
                self.received += len(event.data)
            else:
                assert isinstance(event, TransportUpgraded)
        assert (self.closes == 1) == self.session.closed

    def step(self, op: int, rest: bytes) -> None:
        session, now = self.session, self.now
        op %= 13
        try:
            if op == 0:
                session.begin_post(now)
                session.end_post()
                self.events(session.receive_poll_body(rest, now))
            elif op == 1:
                session.begin_poll(now)
                self.poll_pending = True
            elif op == 2 and self.poll_pending:
                if session.end_poll() is not None:
                    self.poll_pending = False
            elif op == 3 and self.poll_pending:
                session.abandon_poll()
                self.poll_pending = False
            elif op in (4, 5) and (self.probe or session.transport is Transport.WEBSOCKET):
                probe = self.probe and (op == 5 or session.transport is Transport.POLLING)
                message = text(rest) if rest[:1] != b"\x00" else rest[1:]
                events, outcome = session.receive_websocket(message, now, probe=probe)
                self.outcome(outcome, probe)
                self.events(events)
            elif op == 6:
                self.probe = self.probe or session.attach_probe()
            elif op == 7:
                self.events(session.websocket_closed(probe=self.probe, error=bool(rest)))
                self.probe = False
            elif op == 8:
                self.events(session.handle_timer(now))
                self.queued += 1
            elif op == 9:
                session.send_messages([text(rest), rest])
                self.queued += 2
            elif op == 10:
                session.take_websocket_frames()
            elif op == 11:
                self.events(session.close())
            else:
                self.now += rest[0] if rest else 1
        except ProtocolError as exc:  # RequestRejected: a 400 for that request
            self.events(getattr(exc, "events", []))
            assert op in (0, 1)
        assert len(session._outbox) <= self.queued + 1

    def outcome(self, outcome: WebSocketOutcome, probe: bool) -> None:
        if outcome.end is not None:
            assert probe
            self.probe = False
        if outcome.adopt:
            assert probe and self.session.transport is Transport.WEBSOCKET
            self.probe = False


def one_input(data: bytes) -> None:
    driver = Driver(Transport.WEBSOCKET if data[:1] == b"w" else Transport.POLLING)
    for op, rest in chunks(data[1:]):
        driver.step(op, rest)
    assert driver.received <= len(data)
