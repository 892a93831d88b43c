"""Raw-wire conformance tests: fixtures, and a small hand-written Engine.IO / Socket.IO client.

The tests in this directory port the official protocol test suites (``socketio/engine.io-protocol``
and ``socketio/socket.io-protocol``, ``test-suite/``) to Python and add the safety limits of
DESIGN.md. They speak the protocol byte for byte (``requests`` for HTTP long-polling,
``websocket-client`` for WebSocket), so they check what goes over the wire, not what an API returns.

The server is ``tests.apps.conformance:build`` (``Server`` under gevent's pywsgi) and its asyncio
source ``tests.apps.async_conformance:build`` (``AsyncServer`` under uvicorn), run by
``tests.support.serve`` in a child process; every test runs against both.
The package under test comes from ``GREENSIO_INTEROP_IMPL``: ``greensio`` (the default) or
``socketio`` (python-socketio, the reference, which gets several points wrong; the tests say where).

Server options these tests rely on (the contract greensio implements; python-socketio's names where
they exist; all passed as ``socketio.Server(**options)``):

``ping_interval`` / ``ping_timeout`` (seconds)
    Sent in the handshake in milliseconds (0.3 s -> ``"pingInterval":300``).
``max_http_buffer_size`` (bytes, default 1 000 000)
    Sent as ``maxPayload``. A polling POST whose Content-Length exceeds it is answered 413 without
    reading the body; a chunked body that grows past it is answered 413 or 400; nothing of it
    reaches the application. A WebSocket message larger than it closes that connection with close
    code 1009 (message too big).
``max_payload_packets`` (packets per polling payload; greensio only)
    A POST payload with more packets is answered 400 and the session is closed (never silently
    truncated). The tests set it to 16, python-socketio's fixed ``Payload.max_decode_packets``.
``max_attachments`` (binary attachments per Socket.IO packet, default 10; greensio only)
    A packet announcing more closes that connection (the tests rely on the default).
``connect_timeout`` (seconds; greensio only)
    An Engine.IO session that has sent no Socket.IO CONNECT within it is closed. python-socketio
    has no such option, so that test is skipped for it.
``cors_allowed_origins`` (list of origins; default: same origin only)
    A request (polling, or a WebSocket upgrade) whose ``Origin`` is neither the server's own nor
    listed is refused (400 or 403, no ``Access-Control-Allow-Origin``); a listed origin gets
    the ACAO header.

Also required, beyond the official suites: a malformed Socket.IO packet (bad JSON, unknown type,
non-string or reserved event name, JSON nested deeper than the implementation's cap, which must
accept 20 levels and refuse 1000) closes that one connection only.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import requests
import websocket

from tests.support.servers import UNIT, python_server

IMPL = os.environ.get("GREENSIO_INTEROP_IMPL", "greensio")

#: A bound for any single expected reply (a response, a frame, a close).
WAIT = 2 * UNIT
#: Timing slack added to the server's own intervals (pingInterval, pingTimeout, connect timeout).
SLACK = 0.25 * UNIT
#: Close code websocket-client reports when the TCP connection ended without a close frame.
ABNORMAL_CLOSE = 1006


class Closed(Exception):
    """The WebSocket closed while a message was expected; ``code`` is the close code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"WebSocket closed with code {code}")
        self.code = code


class Background:
    """A call running in a thread (e.g. a long-poll GET left pending while the test goes on)."""

    def __init__(self, fn, *args, **kwargs) -> None:
        self._result: object = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed back to the test thread by result()
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self, timeout: float = WAIT):
        """Wait for the call and return its value (or raise its exception)."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"background call still running after {timeout} s"
        if self._error is not None:
            raise self._error
        return self._result


class Wire:
    """A raw-wire client for one server: every call is a fresh HTTP request or WebSocket.

    Test modules reach the helpers through the ``wire`` fixture (``wire.Closed``,
    ``wire.connect_packet``) rather than by importing this conftest.
    """

    Closed = Closed
    Background = Background

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.path = base_url + "/socket.io/"
        self.ws_base = base_url.replace("http://", "ws://", 1) + "/socket.io/"
        self._sockets: list[websocket.WebSocket] = []

    @staticmethod
    def connect_packet(namespace: str = "/", auth: object = None) -> str:
        """The Engine.IO message of a CONNECT: ``40``, ``40/custom,{"token":"abc"}``."""
        text = "40" if namespace == "/" else f"40{namespace},"
        if auth is not None:
            text += json.dumps(auth, separators=(",", ":"))
        return text

    @staticmethod
    def ns_prefix(namespace: str) -> str:
        """The namespace part of an encoded Socket.IO packet: empty for ``/``, else ``/custom,``."""
        return "" if namespace == "/" else f"{namespace},"

    def close(self) -> None:
        for ws in self._sockets:
            try:
                ws.close(timeout=0.1 * UNIT)
            except Exception:  # noqa: BLE001 - best-effort cleanup of a socket the test may have broken
                pass

    # -- HTTP long-polling ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        sid: str | None = None,
        body: str | bytes | None = None,
        query: dict | None = None,
        headers: dict | None = None,
        timeout: float = WAIT,
    ) -> requests.Response:
        """One HTTP request on its own connection (no Session): concurrent calls never share one."""
        params = {"EIO": "4", "transport": "polling"} if query is None else dict(query)
        if sid is not None:
            params["sid"] = sid
        return requests.request(
            method, self.path, params=params, data=body, headers=headers, timeout=timeout
        )

    def get(self, sid: str, **kwargs) -> requests.Response:
        return self.request("GET", sid, **kwargs)

    def post(self, sid: str, body: str | bytes, **kwargs) -> requests.Response:
        return self.request("POST", sid, body=body, **kwargs)

    def get_skipping_pings(self, sid: str, timeout: float = WAIT) -> requests.Response:
        """GET, answering and skipping responses that hold only a PING; the first other response."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(sid, timeout=max(deadline - time.monotonic(), 0.01))
            if response.status_code != 200 or response.text != "2":
                return response
            self.post(sid, "3")

    def handshake(self, **kwargs) -> dict:
        """Open a polling session; return the decoded OPEN packet (asserting its framing)."""
        response = self.request("GET", **kwargs)
        assert response.status_code == 200, response.text
        assert response.text.startswith("0"), response.text
        return json.loads(response.text[1:])

    def open(self) -> str:
        """Open a polling session and return its sid."""
        return self.handshake()["sid"]

    def poll(self, sid: str, count: int, timeout: float = WAIT, pong: bool = True) -> list[str]:
        """GET until ``count`` packets other than PING arrived (PINGs are answered if ``pong``)."""
        deadline = time.monotonic() + timeout
        packets: list[str] = []
        while len(packets) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {count} packets, got {packets}"
            response = self.get(sid, timeout=remaining)
            assert response.status_code == 200, (response.status_code, response.text, packets)
            for packet in response.text.split("\x1e"):
                if packet == "2" and pong:
                    assert self.post(sid, "3").status_code == 200
                else:
                    packets.append(packet)
        return packets

    def connect_polling(self, namespace: str = "/", auth: object = None) -> str:
        """Open a polling session, CONNECT to ``namespace``, read the reply and ``auth`` event."""
        sid = self.open()
        assert self.post(sid, self.connect_packet(namespace, auth)).status_code == 200
        packets = self.poll(sid, 2)
        assert {p[:2] for p in packets} == {"40", "42"}, packets
        return sid

    def assert_session_gone(self, sid: str) -> None:
        """The session is closed: one GET may still deliver the CLOSE packet, the next gets 400."""
        first = self.get(sid)
        if first.status_code == 200:
            assert first.text.split("\x1e")[-1] == "1", (
                f"session still open, GET returned {first.text!r}"
            )
            first = self.get(sid)
        assert first.status_code == 400, (first.status_code, first.text)

    # -- WebSocket --------------------------------------------------------------------------------

    def websocket(
        self, sid: str | None = None, query: str | None = None, **options
    ) -> websocket.WebSocket:
        """Open a WebSocket; ``query`` replaces ``EIO=4&transport=websocket[&sid=...]``."""
        if query is None:
            query = "EIO=4&transport=websocket" + (f"&sid={sid}" if sid else "")
        ws = websocket.create_connection(self.ws_base + "?" + query, timeout=WAIT, **options)
        self._sockets.append(ws)
        return ws

    def ws_open(self) -> tuple[websocket.WebSocket, dict]:
        """Open a WebSocket-only session; return it and its decoded OPEN packet."""
        ws = self.websocket()
        first = self.recv(ws, pong=False)
        assert isinstance(first, str) and first.startswith("0"), first
        return ws, json.loads(first[1:])

    def connect_ws(self, namespace: str = "/", auth: object = None) -> websocket.WebSocket:
        """Open a WebSocket session, CONNECT to ``namespace``, read the reply and ``auth`` event."""
        ws, _ = self.ws_open()
        ws.send(self.connect_packet(namespace, auth))
        packets = [self.recv(ws), self.recv(ws)]
        assert {p[:2] for p in packets} == {"40", "42"}, packets
        return ws

    @staticmethod
    def recv(ws: websocket.WebSocket, timeout: float = WAIT, pong: bool = True) -> str | bytes:
        """The next text (``str``) or binary (``bytes``) message.

        If ``pong``, PINGs are answered with PONGs and skipped; otherwise they are returned too.

        Raises:
            Closed: the server closed the connection.
            websocket.WebSocketTimeoutException: nothing arrived within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise websocket.WebSocketTimeoutException(f"no message within {timeout} s")
            ws.settimeout(remaining)
            try:
                opcode, data = ws.recv_data()
            except (websocket.WebSocketConnectionClosedException, ConnectionError) as exc:
                raise Closed(ABNORMAL_CLOSE) from exc
            except websocket.WebSocketProtocolException as exc:
                # e.g. an HTTP error page written onto the upgraded connection
                raise AssertionError(f"the server broke WebSocket framing: {exc}") from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise Closed(int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005)
            if opcode == websocket.ABNF.OPCODE_BINARY:
                return bytes(data)
            text = data.decode("utf-8")
            if text == "2" and pong:
                ws.send("3")
                continue
            return text

    def wait_closed(
        self, ws: websocket.WebSocket, timeout: float = WAIT, pong: bool = True
    ) -> int | None:
        """Read and drop messages until the server closes; its close code, or None if still open."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                self.recv(ws, remaining, pong=pong)
            except Closed as closed:
                return closed.code
            except websocket.WebSocketTimeoutException:
                return None

    def ws_refused(self, query: str | None = None, sid: str | None = None, **options) -> bool:
        """True if a WebSocket is rejected at the upgrade or closed before any Engine.IO packet."""
        try:
            ws = self.websocket(sid=sid, query=query, **options)
        except (websocket.WebSocketException, ConnectionError):
            return True  # rejected at the upgrade (non-101 status) or connection dropped
        try:
            self.recv(ws, pong=False)
        except Closed:
            return True
        return False


@pytest.fixture(scope="session")
def impl() -> str:
    """The package under test: ``greensio`` or ``socketio``."""
    return IMPL


#: The front-ends every conformance test runs against: the app (one source,
#: tests/apps/async_conformance.py, and its generated twin), the web server, the async_mode.
FRONT_ENDS = {
    "Server-pywsgi": ("tests.apps.conformance:build", "pywsgi", "gevent"),
    "AsyncServer-uvicorn": ("tests.apps.async_conformance:build", "uvicorn", "asgi"),
}


@pytest.fixture(scope="module", params=list(FRONT_ENDS))
def front_end(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def start_server(front_end):
    """Start (once per module, front-end and option set) a conformance server; stopped at module
    teardown.

    Call as ``start_server(greensio_options=None, **options)``: ``greensio_options`` are added only
    when the package under test is greensio (options python-socketio does not have).
    """
    started: dict[str, object] = {}
    app, web_server, async_mode = FRONT_ENDS[front_end]

    def start(greensio_options: dict | None = None, **options):
        if IMPL == "greensio" and greensio_options:
            options.update(greensio_options)
        key = json.dumps(options, sort_keys=True)
        if key not in started:
            started[key] = python_server(
                app, impl=IMPL, server=web_server, async_mode=async_mode, **options
            ).start()
        return started[key]

    yield start
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
def server(start_server):
    """The default conformance server of this module."""
    return start_server()


@pytest.fixture
def make_wire():
    """``make_wire(server) -> Wire``; the WebSockets it opened are closed after the test."""
    wires: list[Wire] = []

    def make(server) -> Wire:
        wire = Wire(server.url)
        wires.append(wire)
        return wire

    yield make
    for wire in wires:
        wire.close()


@pytest.fixture
def wire(make_wire, server) -> Wire:
    """A wire client for the module's default server."""
    return make_wire(server)
