"""The HTTP/1.1 request parser of the keep-alive takeover (``greensio.transports.keepalive``):
``PollingConnection.next_request`` reading whatever a client sent on its connection, over a real
socket pair, until it stops (closed, handed back to gunicorn, or not a request it serves)."""

from __future__ import annotations

import socket

from greensio.transports import keepalive

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.transports.keepalive", "greensio.transports.http")

MAX_BODY = 1000
BASE_ENVIRON = {
    "RAW_URI": "/socket.io/?EIO=4&transport=polling&sid=x",
    "REQUEST_METHOD": "GET",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "127.0.0.1",
}


def _accepts(method: str, q: dict[str, str]) -> bool:
    return q.get("EIO") == "4" and q.get("transport") == "polling" and "sid" in q


def one_input(data: bytes) -> None:
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        connection = keepalive.PollingConnection(dict(BASE_ENVIRON), MAX_BODY, ours, None, None)
        served = 0
        while True:
            environ = connection.next_request(_accepts)
            if environ is None:
                break
            served += 1
            assert environ["REQUEST_METHOD"] in ("GET", "POST")
            assert environ["RAW_URI"].partition("?")[0] == connection.path
            body = environ["wsgi.input"].read()
            assert len(body) == int(environ.get("CONTENT_LENGTH") or 0) <= MAX_BODY
            assert _accepts(environ["REQUEST_METHOD"], environ["greensio.query"])
        assert served <= len(data) // 16 + 1
        assert len(connection.buffer) <= len(data)
    finally:
        ours.close()
        theirs.close()
