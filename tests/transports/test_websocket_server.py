"""The server side of the WebSocket opening handshake (greensio/transports/websocket_server.py),
in this process over a real socket pair; framing after it is tests/transports/test_websocket.py's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket

import pytest

from greensio.transports.coalescer import WriteCoalescer
from greensio.transports.foreign_websocket import ForeignWebSocket
from greensio.transports.websocket import WebSocketConnection
from greensio.transports.websocket_server import (
    accept_websocket,
    is_websocket_request,
    websocket_done,
)

pytestmark = pytest.mark.timeout(10)

KEY = base64.b64encode(b"0123456789abcdef").decode()
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3


class Lock:
    """A lock for a single-threaded test."""

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class StartResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []
        self.written: list[bytes] = []

    def __call__(self, status: str, headers: list[tuple[str, str]]):
        self.calls.append((status, headers))
        return self.written.append


def upgrade_environ(
    sock: socket.socket | None, key: str = "gunicorn.socket", **extra: str
) -> dict[str, object]:
    environ: dict[str, object] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/engine.io/",
        "QUERY_STRING": "EIO=4&transport=websocket",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": KEY,
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
        **extra,
    }
    if sock is not None:
        environ[key] = sock
    return environ


@pytest.fixture
def pair():
    left, right = socket.socketpair()
    with left, right:
        yield left, right


def test_is_websocket_request() -> None:
    assert is_websocket_request({"HTTP_UPGRADE": "WebSocket"})
    assert not is_websocket_request({"HTTP_UPGRADE": "h2c"})
    assert not is_websocket_request({})


def test_a_valid_upgrade_gets_a_101_and_a_connection(pair) -> None:
    server_side, client_side = pair
    start_response = StartResponse()
    coalescer = WriteCoalescer(backend=None)
    ws = accept_websocket(
        upgrade_environ(server_side), start_response, max_size=100, lock=Lock(), coalescer=coalescer
    )
    assert isinstance(ws, WebSocketConnection)
    assert ws.coalescer is coalescer and ws.max_size == 100
    [(status, headers)] = start_response.calls
    assert status == "101 Switching Protocols"
    expected = base64.b64encode(hashlib.sha1((KEY + GUID).encode()).digest()).decode()
    assert ("Sec-WebSocket-Accept", expected) in headers
    assert all(name.lower() != "date" for name, _ in headers)  # the WSGI server adds its own
    assert start_response.written == [b""]  # the 101 goes out now, before any frame


@pytest.mark.parametrize(
    "extra", [{"HTTP_SEC_WEBSOCKET_KEY": "short"}, {"HTTP_SEC_WEBSOCKET_VERSION": "8"}]
)
def test_an_invalid_upgrade_sends_nothing(pair, extra) -> None:
    start_response = StartResponse()
    environ = upgrade_environ(pair[0], **extra)
    assert accept_websocket(environ, start_response, max_size=100, lock=Lock()) is None
    assert start_response.calls == []


def test_no_socket_to_take_over_means_no_websocket() -> None:
    start_response = StartResponse()
    assert accept_websocket(upgrade_environ(None), start_response, max_size=10, lock=Lock()) is None
    assert start_response.calls == []


def test_gevent_websockets_socket_is_used_as_it_is() -> None:
    foreign, own_lock = object(), Lock()
    environ = {"wsgi.websocket": foreign}
    ws = accept_websocket(
        environ, StartResponse(), max_size=5, lock=Lock(), blocking_lock=lambda: own_lock
    )
    assert isinstance(ws, ForeignWebSocket)
    assert ws.ws is foreign and ws.lock is own_lock and ws.max_size == 5
    lock = Lock()
    assert accept_websocket(environ, StartResponse(), max_size=5, lock=lock).lock is lock


def test_after_a_websocket_the_request_ends_with_an_empty_body(pair) -> None:
    environ = upgrade_environ(pair[0])
    accept_websocket(environ, StartResponse(), max_size=100, lock=Lock())
    assert websocket_done(environ) == []


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_under_werkzeug_the_101_is_written_to_the_socket(pair) -> None:
    # Werkzeug would add "Connection: close" to a 101 started through it.
    server_side, client_side = pair
    client_side.settimeout(5)
    start_response = StartResponse()
    stream = io.BytesIO()
    environ = upgrade_environ(server_side, "werkzeug.socket", **{"wsgi.input": stream})
    ws = accept_websocket(environ, start_response, max_size=100, lock=Lock())
    assert isinstance(ws, WebSocketConnection)
    assert start_response.calls == []
    head = read_response(client_side).decode().lower()
    assert head.startswith("http/1.1 101 switching protocols\r\n")
    assert head.count("connection:") == 1 and "connection: upgrade\r\n" in head
    ws.close()
    assert not stream.closed  # Werkzeug reads its next request line from it


def test_under_werkzeug_the_request_ends_as_a_dropped_connection(pair) -> None:
    server_side, client_side = pair
    client_side.settimeout(5)
    environ = upgrade_environ(server_side, "werkzeug.socket")
    accept_websocket(environ, StartResponse(), max_size=100, lock=Lock())
    read_response(client_side)
    client_side.sendall(b"\x88\x80abcd")  # a close frame the connection never read
    with pytest.raises(ConnectionError):
        websocket_done(environ)
    # What was queued is gone: the next read is the end of the stream, not the frame as HTTP.
    assert server_side.recv(100) == b""


def test_under_werkzeug_a_failed_101_is_no_websocket(pair) -> None:
    server_side, client_side = pair
    client_side.close()
    server_side.shutdown(socket.SHUT_WR)  # writes now fail with EPIPE
    environ = upgrade_environ(server_side, "werkzeug.socket")
    assert accept_websocket(environ, StartResponse(), max_size=100, lock=Lock()) is None
