"""greensio.transports.keepalive: long-polling on keep-alive connections under a real
``gunicorn -k gevent``. The requests greensio serves on a connection it took over from gunicorn
and the ones it hands back, interleaved on one socket, are each answered once and in order."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from greensio.transports import keepalive
from tests.interop.test_gunicorn import APPS, IMPL, WAIT, Gunicorn
from tests.support.servers import UNIT

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(IMPL != "greensio", reason="greensio's own connection handling"),
]

PATH = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    gunicorn = Gunicorn(APPS["greensio"]).start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


#: The chat's acknowledgement of a set_name without a visible character (examples/flask_chat).
REFUSED = b'[{"error":"a name needs at least one visible character"}]'


class Connection:
    """One raw keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buffer = b""

    def send(self, *requests_: bytes) -> None:
        self.sock.sendall(b"".join(requests_))

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split(" ")[1]), headers, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "connection closed"
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def handshake(server: Gunicorn) -> str:
    text = requests.get(server.url + PATH, timeout=WAIT).text
    return json.loads(text[1:])["sid"]


def get(sid: str, path: str = PATH) -> bytes:
    return f"GET {path}&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def post(sid: str, body: bytes, extra: str = "") -> bytes:
    head = f"POST {PATH}&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def test_polling_requests_and_others_interleave_on_one_connection(server: Gunicorn) -> None:
    sid = handshake(server)
    conn = Connection(server.port)
    try:
        conn.send(post(sid, b"40"))
        assert conn.response()[0::2] == (200, b"ok")
        conn.send(get(sid))
        status, headers, body = conn.response()
        assert status == 200 and body.startswith(b'40{"sid":')
        # Answered by greensio on the connection it took over (gunicorn adds "Server: gunicorn").
        assert "date" in headers and "server" not in headers
        # Another path on the same connection: gunicorn serves it (the Flask page).
        conn.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, body = conn.response()
        assert status == 200 and b"<" in body and headers["server"] == "gunicorn"
        # Pipelined: a POST then the GET that brings its answer, in one write. (A name the chat
        # refuses: a rename would also broadcast who is online, in the same or the next GET.)
        conn.send(post(sid, b'420["set_name"," "]'), get(sid))
        assert conn.response()[0::2] == (200, b"ok")
        assert conn.response()[0::2] == (200, b"430" + REFUSED)
        # An unknown session on the same connection: the usual 400.
        conn.send(get("nope"))
        status, _, body = conn.response()
        assert status == 400 and json.loads(body)["message"] == "Session ID unknown"
        # Polling again after that.
        conn.send(post(sid, b'421["set_name",""]'), get(sid))
        assert conn.response()[0::2] == (200, b"ok")
        assert conn.response()[0::2] == (200, b"431" + REFUSED)
    finally:
        conn.close()


def test_requests_it_cannot_serve_exactly_go_to_gunicorn(server: Gunicorn) -> None:
    sid = handshake(server)
    conn = Connection(server.port)
    try:
        conn.send(post(sid, b"40"))
        assert conn.response()[0::2] == (200, b"ok")
        # A POST larger than max_http_buffer_size: refused with 413 as before, unread.
        too_big = b"4" + b"x" * 1_000_001
        conn.send(post(sid, too_big))
        assert conn.response()[0] == 413
    finally:
        conn.close()
    conn = Connection(server.port)
    try:
        # A header value with a bare LF is not echoed back by greensio: gunicorn's parser refuses
        # the request.
        conn.send(post(sid, b"40"))
        assert conn.response()[0::2] == (200, b"ok")
        conn.send(post(sid, b"2", extra="Origin: http://a\nX-Injected: 1\r\n"))
        status, headers, _ = conn.response()
        assert status == 400 and "x-injected" not in headers
    finally:
        conn.close()


#: A header line of spaces and tabs ending in a control character: the header regex once took
#: minutes over it (cubic backtracking), with the worker's every other connection waiting.
SLOW_HEADER = "X-Pad:" + " \t" * 3000 + "a\x01"


def test_a_pathological_header_line_is_refused_at_once() -> None:
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(f"GET {PATH}&sid=x HTTP/1.1\r\n{SLOW_HEADER}\r\n\r\n".encode("latin-1"))
        environ = {"RAW_URI": PATH, "REQUEST_METHOD": "GET"}
        connection = keepalive.PollingConnection(environ, 1000, ours, None, None)
        started = time.monotonic()
        assert connection.next_request(lambda method, q: True) is None
        assert connection.handed_back  # gunicorn's parser decides (it refuses the request)
        assert time.monotonic() - started < 0.5 * UNIT
    finally:
        ours.close()
        theirs.close()


def test_a_pathological_header_line_on_a_taken_over_connection(server: Gunicorn) -> None:
    sid = handshake(server)
    with contextlib.closing(Connection(server.port)) as conn:
        conn.send(post(sid, b"40"), post(sid, b"2", extra=SLOW_HEADER + "\r\n"))
        started = time.monotonic()
        assert conn.response()[0::2] == (200, b"ok")  # the connection is greensio's now
        assert conn.response()[0] == 400  # gunicorn's answer to the second, at once
        assert time.monotonic() - started < WAIT
