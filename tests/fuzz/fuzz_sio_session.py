"""The server's Socket.IO session state machine (``greensio.protocol.socketio.session
.ServerSession``) fed an arbitrary sequence of Engine.IO messages from the client, interleaved with
what the server does (connects begun, accepted and refused, namespaces left, emits, acks, the
connect timeout).

Property: the only exception is ProtocolError (the connection is closed, nothing more is read);
events only for namespaces the client joined, never a reserved event name, the connect timeout
reported at most once."""

from __future__ import annotations

from greensio.exceptions import ProtocolError
from greensio.protocol.events import (
    AckReceived,
    ConnectTimedOut,
    EventReceived,
    NamespaceConnectRequested,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.packets import RESERVED_EVENTS, Codec
from greensio.protocol.socketio.session import ServerSession
from tests.fuzz.inputs import chunks, text

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.socketio",)

CODEC = Codec()


def one_input(data: bytes) -> None:
    session = ServerSession(CODEC, now=0.0, connect_timeout=45)
    requested: list[str] = ["/"]
    now = 0.0
    timeouts = 0
    for op, rest in chunks(data):
        namespace = requested[rest[0] % len(requested)] if rest else "/"
        op %= 8
        if op == 0:
            message = text(rest) if rest[:1] != b"\x00" else rest[1:]
            try:
                events = session.receive_message(message)
            except ProtocolError:
                return
            for event in events:
                if isinstance(event, NamespaceConnectRequested):
                    assert event.namespace not in session.sids
                    requested.append(event.namespace)
                elif isinstance(event, (EventReceived, AckReceived)):
                    assert event.namespace in session.sids
                    if isinstance(event, EventReceived):
                        assert event.event not in RESERVED_EVENTS
                else:
                    assert isinstance(event, NamespaceDisconnected)
                    assert event.namespace not in session.sids
        elif op == 1:
            session.begin_connect(namespace, f"sid{len(requested)}")
        elif op == 2:
            session.accept_connect(namespace)
        elif op == 3:
            session.refuse_connect(namespace, {"message": "no"})
        elif op == 4:
            session.disconnect(namespace)
        elif op == 5:
            session.encode_event(namespace, "ev", [text(rest), rest], session.next_ack_id())
        elif op == 6:
            session.encode_ack(namespace, len(rest), [text(rest)])
        else:
            now += rest[0] if rest else 10
            for event in session.handle_timer(now):
                assert isinstance(event, ConnectTimedOut)
                timeouts += 1
    assert timeouts <= 1
    assert len(requested) <= len(data) + 1  # "/" and what the client asked for
