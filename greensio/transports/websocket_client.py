"""Client-side WebSocket: open a TCP (or TLS) connection, do the opening handshake with
``websockets``' sans-I/O ``ClientProtocol``, then frame messages like the server side does."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from typing import Any

from websockets.client import ClientProtocol
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from greensio import exceptions
from greensio.transports.websocket import WebSocketConnection

_READ_SIZE = 65536

#: What ``connect_websocket`` returns (the name the Engine.IO client uses for either side's).
ClientWebSocket = WebSocketConnection


def connect_websocket(
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    timeout: float,
    max_size: int,
    lock: Any,
    ssl_context: ssl.SSLContext | None = None,
    ssl_verify: bool = True,
) -> WebSocketConnection:
    """Open ``url`` (ws:// or wss://) and return the connection once the handshake is done.

    wss:// uses ``ssl_context``, else a default context (verifying certificates unless
    ``ssl_verify`` is False).

    Raises:
        ConnectionError: the server could not be reached or refused the upgrade.
    """
    uri = parse_uri(url)
    try:
        sock = socket.create_connection((uri.host, uri.port), timeout=timeout)
        if uri.secure:
            context = ssl_context or tls_context(ssl_verify)
            sock = context.wrap_socket(sock, server_hostname=uri.host)
    except OSError as exc:
        raise exceptions.ConnectionError(f"cannot reach {uri.host}:{uri.port}: {exc}") from exc
    protocol = ClientProtocol(uri, max_size=max_size)
    request = protocol.connect()
    for name, value in (headers or {}).items():
        request.headers[name] = value
    protocol.send_request(request)
    try:
        sock.sendall(b"".join(protocol.data_to_send()))
        leftover = _read_handshake(sock, protocol)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, exceptions.ConnectionError) as exc:
        sock.close()
        raise exceptions.ConnectionError(f"WebSocket handshake with {url} failed: {exc}") from exc
    connection = WebSocketConnection(sock, protocol, lock)
    connection.queue_events(leftover)
    return connection


def tls_context(verify: bool) -> ssl.SSLContext:
    """A default client TLS context; with ``verify`` False, one that checks nothing."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _read_handshake(sock: socket.socket, protocol: ClientProtocol) -> list[Any]:
    """Read until the handshake response; returns frames that arrived right behind it."""
    while True:
        data = sock.recv(_READ_SIZE)
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        events = protocol.events_received()
        if events and isinstance(events[0], Response):
            if protocol.state is not State.OPEN:
                reason = protocol.handshake_exc or f"status {events[0].status_code}"
                raise exceptions.ConnectionError(str(reason))
            return events[1:]
        if not data:
            raise exceptions.ConnectionError("connection closed during the handshake")
