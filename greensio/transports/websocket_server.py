"""The server side of a WebSocket's opening handshake, on a request from the WSGI server.

The upgrade response goes out through the WSGI server's own ``start_response`` (both gevent's
pywsgi and gunicorn's workers understand a 101); then ``WebSocketConnection``
(greensio/transports/websocket.py) reads and writes the socket taken from it. Where
gevent-websocket's handler is in front, its already accepted WebSocket is used instead.

Werkzeug's development server is the exception: it adds ``Connection: close`` to every response
it starts, a 101 included, and a second Connection header fails the client's handshake check
(websocket-client: "Invalid WebSocket Header"). There the 101 is written to the socket directly,
and once the WebSocket is over the request ends with ``ConnectionError`` (``websocket_done``):
Werkzeug's sign of a client gone, on which it writes no response of its own, does not drain the
request body, and logs nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import InvalidHandshake
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from greensio.transports.coalescer import WriteCoalescer
from greensio.transports.foreign_websocket import ForeignWebSocket
from greensio.transports.http import raw_socket
from greensio.transports.websocket import WebSocketConnection

#: Set in the environ of a request whose 101 was written straight to the socket (Werkzeug).
_WROTE_HANDSHAKE = "greensio.websocket_handshake_written"


def is_websocket_request(environ: dict[str, Any]) -> bool:
    return environ.get("HTTP_UPGRADE", "").lower() == "websocket"


def accept_websocket(
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    *,
    max_size: int,
    lock: Any,
    coalescer: WriteCoalescer | None = None,
    blocking_lock: Callable[[], Any] | None = None,
) -> WebSocketConnection | ForeignWebSocket | None:
    """The request's WebSocket: gevent-websocket's if its handler is in front, else our own;
    None (nothing sent) when the request is not a valid upgrade.

    gevent-websocket's writes block while holding the writer's lock: it gets a lock of its own
    from ``blocking_lock()`` when given (``lock`` may be one for sections that never yield).
    """
    foreign = environ.get("wsgi.websocket")
    if foreign is not None:
        return ForeignWebSocket(foreign, blocking_lock() if blocking_lock else lock, max_size)
    connection = _accept(environ, start_response, max_size, lock)
    if connection is not None:
        connection.coalescer = coalescer
    return connection


def _accept(
    environ: dict[str, Any], start_response: Callable[..., Any], max_size: int, lock: Any
) -> WebSocketConnection | None:
    """Complete the opening handshake on the request's own socket."""
    sock = raw_socket(environ)
    if sock is None:
        return None
    try:
        # A throw-away protocol validates the request and builds the 101; it would still
        # expect to parse an HTTP request, so framing starts on a fresh one in OPEN state.
        response = ServerProtocol().accept(_request_from_environ(environ))
    except InvalidHandshake:
        return None
    if response.status_code != 101:
        return None
    protocol = ServerProtocol(state=State.OPEN, max_size=max_size)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    if "werkzeug.socket" in environ:
        try:
            sock.sendall(response.serialize())
        except OSError:
            return None
        environ[_WROTE_HANDSHAKE] = True
        # Werkzeug reads its next request line from this stream once the request ends: left
        # open, it reads the end of the shut-down socket and stops; closed (as the connection
        # does for gevent's pywsgi) it would fail with "read of closed file".
        environ = {k: v for k, v in environ.items() if k != "wsgi.input"}
    else:
        headers = [(k, v) for k, v in response.headers.raw_items() if k.lower() != "date"]
        write = start_response("101 Switching Protocols", headers)
        write(b"")
    return WebSocketConnection(sock, protocol, lock, environ)


def websocket_done(environ: dict[str, Any]) -> list[bytes]:
    """What the WSGI call returns once the request's WebSocket is over: an empty body, the 101
    having gone out through ``start_response``.

    Raises:
        ConnectionError: when the 101 was written to the socket directly (Werkzeug), so that the
            WSGI server, which never saw a response start, sends none and logs nothing.
    """
    if environ.get(_WROTE_HANDSHAKE):
        _discard_input(environ["werkzeug.socket"])
        raise ConnectionError("WebSocket closed")
    return []


def _discard_input(sock: socket.socket) -> None:
    """Shut the socket and drop what the peer sent that nobody read (its close frame, say).

    Werkzeug reads one more request line from the connection once the request ends: what was
    queued before the shutdown would be read as HTTP (and logged as a bad request); once the
    queue is empty it reads the end of the stream, and anything later resets the connection.
    """
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    dont_wait = getattr(socket, "MSG_DONTWAIT", 0)
    if not dont_wait:
        return  # (Windows) no way to read without blocking short of changing the socket
    for _ in range(64):  # a bound: at most 4 MB of leftovers
        try:
            if not sock.recv(65536, dont_wait):
                return
        except OSError:  # nothing queued (EAGAIN), or reset: either way nothing left to read
            return


def _request_from_environ(environ: dict[str, Any]) -> Request:
    headers = Headers()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    path = environ.get("PATH_INFO", "/")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    return Request(path, headers)
