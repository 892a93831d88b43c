"""greensio.transports.websocket_client (the client's opening handshake) and its asyncio twin
async_websocket_client (``front``) against real servers.

Peers: greensio's Engine.IO echo server in a child process; the ``websockets`` library's own
server in a thread of the test process (plain and TLS, with a throw-away CA from ``trustme``); and
a raw TCP server in a thread that answers the handshake exactly as each test needs.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import trustme
from websockets.sync.server import ServerConnection, serve

from greensio import exceptions
from greensio.transports.async_websocket_client import connect_websocket as connect_async
from greensio.transports.websocket import WebSocketConnection
from greensio.transports.websocket_client import connect_websocket
from tests.client.loop_thread import Blocking, LoopThread
from tests.support.raw_server import (
    Script,
    accept_response,
    raw_servers,
    read_request,
    text_frame,
)
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(20 * UNIT)

ECHO_APP = "tests.apps.engineio_echo:build"


@pytest.fixture(params=["websocket_client", "async_websocket_client"])
def connect(request):
    """``connect(url, headers, **options)``: a ``WebSocketConnection``, or an
    ``AsyncClientWebSocket`` made and used on an event loop in a thread (its coroutines waited
    for: tests/client/loop_thread.py)."""
    loops: list[LoopThread] = []

    def open_one(url: str, headers: dict[str, str] | None = None, **kwargs) -> WebSocketConnection:
        options = {"timeout": 5 * UNIT, "max_size": 1_000_000, "lock": threading.Lock(), **kwargs}
        if request.param == "websocket_client":
            return connect_websocket(url, headers, **options)
        if not loops:
            loops.append(LoopThread())
        return Blocking(loops[0].run(connect_async(url, headers, **options)), loops[0])

    yield open_one
    for loop in loops:
        loop.stop()


# --- against greensio's server --------------------------------------------------------------------
@pytest.fixture(scope="module")
def echo_server():
    server = python_server(ECHO_APP, ping_interval=60, ping_timeout=60).start()
    yield server
    server.stop()


def test_engineio_over_the_websocket(echo_server, connect) -> None:
    url = echo_server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ws = connect(url, {"X-Greensio-Test": "from the client"})
    try:
        opening = ws.receive()
        assert isinstance(opening, str) and opening.startswith('0{"sid":')
        assert ws.send_many(["4text ✓", b"\x00\xff"])
        assert ws.receive() == "4text ✓"
        assert ws.receive() == b"\x00\xff"
        # the server's connect handler saw the request, custom header included
        ws.send("4cmd:environ")
        seen = json.loads(ws.receive()[1:])  # type: ignore[index]
        assert seen["header"] == "from the client"
        assert seen["query"]["transport"] == "websocket"
    finally:
        ws.close()
    assert ws.closed
    assert ws.receive() is None
    assert ws.send("4late") is False


def test_a_refused_upgrade_is_a_connection_error(echo_server, connect) -> None:
    # no such Engine.IO path: the server answers 404, not 101
    url = echo_server.url.replace("http", "ws") + "/nowhere/?EIO=4&transport=websocket"
    with pytest.raises(exceptions.ConnectionError, match="handshake .* failed"):
        connect(url)


def test_an_unreachable_server_is_a_connection_error(connect) -> None:
    with pytest.raises(exceptions.ConnectionError, match="cannot reach 127.0.0.1:1"):
        connect("ws://127.0.0.1:1/socket.io/")


# --- against a raw TCP server ---------------------------------------------------------------------
@pytest.fixture
def raw_server() -> Iterator[Callable[[Script], str]]:
    """``start(script) -> url`` of a raw server running ``script`` on its one connection."""
    with raw_servers() as start:
        yield lambda script: f"ws://127.0.0.1:{start(script)}/socket.io/"


def test_frames_right_behind_the_handshake_are_not_lost(raw_server, connect) -> None:
    def script(conn: socket.socket) -> None:
        headers = read_request(conn)
        # the 101 and two unmasked text frames in one write: one recv() gets them all
        conn.sendall(accept_response(headers) + text_frame("0{}x") + text_frame("4a"))
        time.sleep(1 * UNIT)

    ws = connect(raw_server(script))
    try:
        assert ws.receive() == "0{}x"
        assert ws.receive() == "4a"
    finally:
        ws.close()


def test_custom_headers_are_in_the_request(raw_server, connect) -> None:
    seen: dict[str, str] = {}

    def script(conn: socket.socket) -> None:
        seen.update(read_request(conn))
        conn.sendall(accept_response(seen))
        time.sleep(0.5 * UNIT)

    ws = connect(raw_server(script), {"Authorization": "Bearer x", "X-One": "1"})
    ws.close()
    assert seen["authorization"] == "Bearer x"
    assert seen["x-one"] == "1"
    assert seen["upgrade"].lower() == "websocket"


def test_a_server_that_hangs_up_during_the_handshake(raw_server, connect) -> None:
    def script(conn: socket.socket) -> None:
        read_request(conn)  # then close without a word

    with pytest.raises(exceptions.ConnectionError, match="handshake"):
        connect(raw_server(script))


def test_a_server_that_never_answers_times_out(raw_server, connect) -> None:
    def script(conn: socket.socket) -> None:
        read_request(conn)
        time.sleep(2 * UNIT)

    start = time.monotonic()
    with pytest.raises(exceptions.ConnectionError):
        connect(raw_server(script), timeout=0.3 * UNIT)
    assert time.monotonic() - start < 1.5 * UNIT


def test_a_wrong_accept_key_is_refused(raw_server, connect) -> None:
    def script(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(accept_response({"sec-websocket-key": "not the key"}))
        time.sleep(0.5 * UNIT)

    with pytest.raises(exceptions.ConnectionError):
        connect(raw_server(script))


# --- TLS (wss://) against the websockets library's server ----------------------------------------
@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def wss_url(ca: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def echo(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(message)

    # A client that goes away without the closing handshake (an event loop stopped under it)
    # leaves its handler waiting: close_timeout bounds that, and so the server's shutdown.
    server = serve(echo, "127.0.0.1", 0, ssl=context, close_timeout=1 * UNIT, ping_interval=None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"wss://127.0.0.1:{server.socket.getsockname()[1]}/"
    server.shutdown()


def test_wss_with_a_context_that_trusts_the_ca(wss_url: str, ca: trustme.CA, connect) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    ws = connect(wss_url, ssl_context=context)
    try:
        ws.send_many(["over TLS", b"\x01\x02"])
        assert ws.receive() == "over TLS"
        assert ws.receive() == b"\x01\x02"
    finally:
        ws.close()


def test_wss_refuses_an_unknown_ca(wss_url: str, connect) -> None:
    with pytest.raises(exceptions.ConnectionError, match="cannot reach"):
        connect(wss_url)


def test_wss_without_verification_accepts_an_unknown_ca(wss_url: str, connect) -> None:
    ws = connect(wss_url, ssl_verify=False)
    try:
        ws.send("unverified")
        assert ws.receive() == "unverified"
    finally:
        ws.close()
