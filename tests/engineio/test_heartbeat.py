"""The Engine.IO server's heartbeat on ``FakeBackend``: PINGs, PONGs and ping timeouts, to the tick.

The server (``EngineIOServer(backend=FakeBackend())``) is driven through its WSGI entry point by
the test itself: no socket, no thread, no real time. A long-poll GET made by the test blocks on
the fake backend, which runs the server's timer loop and jumps the clock from deadline to
deadline until the GET has an answer (see greensio/backends/fake.py); ``advance()`` moves the
clock by hand. So every assertion about *when* holds exactly, with python-engineio's default
heartbeat (25 s + 20 s), in microseconds. The WebSocket tests put a WebSocket double in
``environ['wsgi.websocket']``, where gevent-websocket's handler would put its own.
"""

from __future__ import annotations

import collections
import io
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from greensio import EngineIOServer
from greensio.backends.fake import FakeBackend

pytestmark = pytest.mark.timeout(10)

INTERVAL = 25.0
TIMEOUT = 20.0
#: A step far below any deadline: "just before" and "just after".
TICK = 0.001


class Harness:
    """A server on a fake backend, its disconnects recorded with the fake time they came at."""

    def __init__(self, **options: Any) -> None:
        self.backend = FakeBackend()
        self.start = self.backend.now
        options.setdefault("ping_interval", INTERVAL)
        options.setdefault("ping_timeout", TIMEOUT)
        self.eio = EngineIOServer(backend=self.backend, **options)
        self.closed: dict[str, tuple[str, float]] = {}
        self.messages: list[tuple[str, Any]] = []
        self.eio.on("disconnect", self._on_disconnect)
        self.eio.on("message", lambda sid, data: self.messages.append((sid, data)))

    def _on_disconnect(self, sid: str, reason: str) -> None:
        self.closed[sid] = (reason, self.backend.now)

    @property
    def elapsed(self) -> float:
        return self.backend.now - self.start

    def request(self, method: str, body: bytes = b"", **query: str) -> tuple[str, str]:
        """One HTTP request to the server (blocking the test, on fake time): (status, body)."""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": "/socket.io/",
            "QUERY_STRING": urlencode({"EIO": "4", **query}),
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
        }
        status: list[str] = []
        chunks = self.eio.handle_request(environ, lambda s, headers: status.append(s))
        return status[0], b"".join(chunks).decode()

    def handshake(self) -> str:
        status, body = self.request("GET", transport="polling")
        assert status == "200 OK" and body[0] == "0", body
        return json.loads(body[1:])["sid"]

    def poll(self, sid: str) -> str:
        status, body = self.request("GET", transport="polling", sid=sid)
        assert status == "200 OK", (status, body)
        return body

    def post(self, sid: str, payload: str) -> None:
        status, body = self.request("POST", payload.encode(), transport="polling", sid=sid)
        assert (status, body) == ("200 OK", "ok")

    def open_websocket(self) -> FakeWebSocket:
        """A WebSocket session, read by a server task as the WSGI server's would be."""
        ws = FakeWebSocket(self.backend)
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/socket.io/",
            "QUERY_STRING": "EIO=4&transport=websocket",
            "HTTP_UPGRADE": "websocket",
            "wsgi.websocket": ws,
        }
        self.backend.spawn(self.eio.handle_request, environ, lambda s, headers: None)
        self.backend.run()
        return ws


class FakeWebSocket:
    """gevent-websocket's WebSocket interface over the fake backend: the client's end is the test.

    ``receive()`` (the server reading) blocks until the test ``deliver()``s a message or closes.
    """

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend
        self.inbox: collections.deque[str] = collections.deque()
        self.arrived = backend.event()
        self.sent: list[str] = []
        self.closed = False

    # the server's side
    def receive(self) -> str | None:
        while not self.inbox and not self.closed:
            self.arrived.clear()
            self.arrived.wait()
        return self.inbox.popleft() if self.inbox else None

    def send(self, message: str, binary: bool = False) -> None:
        assert not self.closed and not binary
        self.sent.append(message)

    def close(self, code: int = 1000, reason: bytes = b"") -> None:
        self.closed = True
        self.arrived.set()

    # the test's side
    def deliver(self, message: str) -> None:
        self.inbox.append(message)
        self.arrived.set()
        self.backend.run()

    @property
    def sid(self) -> str:
        assert self.sent and self.sent[0][0] == "0", self.sent
        return json.loads(self.sent[0][1:])["sid"]


# -- polling ---------------------------------------------------------------------------------------


def test_the_first_ping_comes_one_interval_after_the_handshake():
    h = Harness()
    sid = h.handshake()
    assert h.poll(sid) == "2"  # the GET waits on fake time: the clock jumps to the PING
    assert h.elapsed == INTERVAL
    assert h.closed == {}


def test_a_pong_restarts_the_interval():
    h = Harness()
    sid = h.handshake()
    for _ in range(3):
        assert h.poll(sid) == "2"
        h.backend.advance(TIMEOUT - TICK)  # answered at the last moment
        h.post(sid, "3")
        pong_at = h.elapsed
        assert h.poll(sid) == "2"
        assert h.elapsed == pong_at + INTERVAL
        h.post(sid, "3")
    assert h.closed == {}


def test_a_silent_polling_client_times_out_exactly_at_the_deadline():
    h = Harness()
    sid = h.handshake()
    assert h.poll(sid) == "2"  # then it never answers, nor polls
    h.backend.advance(TIMEOUT - TICK)
    assert h.closed == {}
    h.backend.advance(TICK)
    assert h.closed == {sid: ("ping timeout", h.start + INTERVAL + TIMEOUT)}


def test_a_ping_timeout_forgets_the_session_at_once():
    h = Harness()
    sid = h.handshake()
    assert h.poll(sid) == "2"
    h.backend.advance(TIMEOUT)
    assert h.closed[sid][0] == "ping timeout"
    assert sid not in h.eio.sockets  # no CLOSE is owed to a client that stopped answering
    assert h.request("GET", transport="polling", sid=sid)[0] == "400 BAD REQUEST"


def test_a_closed_session_whose_last_poll_never_comes_is_forgotten_after_a_heartbeat():
    h = Harness()
    sid = h.handshake()
    h.backend.advance(INTERVAL / 2)
    h.eio.disconnect(sid)  # no GET pending: the CLOSE waits for the next one
    h.backend.run()
    assert h.closed == {sid: ("server disconnect", h.start + INTERVAL / 2)}
    h.backend.advance(INTERVAL + TIMEOUT - TICK)
    assert sid in h.eio.sockets  # kept for a last GET that fetches the CLOSE
    h.backend.advance(TICK)
    assert sid not in h.eio.sockets
    assert h.elapsed == INTERVAL / 2 + INTERVAL + TIMEOUT


def test_the_last_poll_of_a_closed_session_fetches_the_close():
    h = Harness()
    sid = h.handshake()
    h.eio.disconnect(sid)
    assert h.poll(sid) == "1"
    assert sid not in h.eio.sockets
    assert h.elapsed == 0


def test_the_ping_grace_extends_the_wait_for_a_pong():
    grace = 5.0
    h = Harness(ping_interval=(INTERVAL, grace))
    sid = h.handshake()
    assert h.poll(sid) == "2"
    h.backend.advance(TIMEOUT + grace - TICK)
    assert h.closed == {}
    h.backend.advance(TICK)
    assert h.closed == {sid: ("ping timeout", h.start + INTERVAL + TIMEOUT + grace)}


def test_messages_do_not_stand_in_for_a_pong():
    h = Harness()
    sid = h.handshake()
    assert h.poll(sid) == "2"
    h.backend.advance(TIMEOUT / 2)
    h.post(sid, "4hello")
    h.backend.run()
    assert h.messages == [(sid, "hello")]
    h.backend.advance(TIMEOUT / 2)
    assert h.closed == {sid: ("ping timeout", h.start + INTERVAL + TIMEOUT)}


def test_each_session_keeps_its_own_deadlines_on_one_timer_loop():
    h = Harness()
    first = h.handshake()
    h.backend.advance(10)
    second = h.handshake()
    # One timer task serves both sessions: one wait is pending, on the earliest deadline.
    h.backend.run()
    assert h.backend.pending_deadlines() == [h.start + INTERVAL]
    assert h.poll(first) == "2"
    assert h.elapsed == INTERVAL
    h.post(first, "3")
    assert h.poll(second) == "2"
    assert h.elapsed == 10 + INTERVAL
    h.backend.advance(TIMEOUT)
    assert h.closed == {second: ("ping timeout", h.start + 10 + INTERVAL + TIMEOUT)}
    # first's next PING was queued at 2 * INTERVAL (50 s) while second was timing out (55 s).
    assert h.poll(first) == "2"
    assert h.elapsed == 10 + INTERVAL + TIMEOUT
    h.backend.advance(2 * INTERVAL + TIMEOUT - h.elapsed)
    assert h.closed[first] == ("ping timeout", h.start + 2 * INTERVAL + TIMEOUT)


def test_shutdown_stops_the_timer_loop():
    h = Harness()
    sid = h.handshake()
    h.backend.run()
    assert h.backend.pending_deadlines() == [h.start + INTERVAL]
    h.eio.shutdown()
    h.backend.run()
    assert h.backend.pending_deadlines() == []
    assert h.closed == {sid: ("transport close", h.start)}  # no CLOSE: the client reconnects


# -- WebSocket -------------------------------------------------------------------------------------


def test_websocket_pings_at_each_interval_while_the_client_answers():
    h = Harness()
    ws = h.open_websocket()
    sid = ws.sid
    for rounds in range(1, 6):
        h.backend.advance(INTERVAL - TICK)
        assert ws.sent[1:] == ["2"] * (rounds - 1)
        h.backend.advance(TICK)
        assert ws.sent[1:] == ["2"] * rounds
        ws.deliver("3")
    assert h.elapsed == 5 * INTERVAL
    assert sid in h.eio.sockets and h.closed == {}


def test_a_silent_websocket_client_times_out_and_its_socket_is_closed():
    h = Harness()
    ws = h.open_websocket()
    sid = ws.sid
    h.backend.advance(INTERVAL + TIMEOUT - TICK)
    assert ws.sent[1:] == ["2"] and not ws.closed
    h.backend.advance(TICK)
    assert h.closed == {sid: ("ping timeout", h.start + INTERVAL + TIMEOUT)}
    assert ws.closed
    assert sid not in h.eio.sockets


def test_a_pong_after_the_deadline_is_too_late():
    h = Harness()
    ws = h.open_websocket()
    sid = ws.sid
    h.backend.advance(INTERVAL + TIMEOUT)
    assert h.closed[sid][0] == "ping timeout"
    ws.deliver("3")  # the socket is closed: nothing reads it, nothing revives the session
    assert sid not in h.eio.sockets
    assert ws.sent[1:] == ["2"]
