"""Long-polling on a keep-alive connection taken over from gunicorn's gevent worker.

Under ``gunicorn -k gevent`` most of a polling request's CPU goes to gunicorn itself: its request
parser and WSGI environ (with a proxy-trust check per request), a logger looked up per request, and
a response written in two ``sendall`` calls (headers, then body), each preceded by a
``getsockopt``. An Engine.IO client makes two requests per message (a POST, and the GET that
brings the answer), so that cost dominates.

When a polling request of an existing session arrives on such a worker, ``PollingConnection``
takes the connection over, as the WebSocket transport takes its socket over: it answers that
request itself (status line, headers and body in one ``sendall``) and goes on reading the
connection's next requests with a small HTTP/1.1 parser, for as long as they are polling requests
of the same endpoint that it can serve exactly (``Content-Length`` bodies, no ``Expect``, no
upgrade, keep-alive). The first request it cannot serve is put back in gunicorn's read buffer and
gunicorn's worker carries on with it, as if greensio had answered everything before it through
gunicorn. The server's other requests (handshakes, WebSocket, every other path) never leave
gunicorn's hands.

What gunicorn does not see for the requests served here: its access log lines, ``max_requests``
counting and the pre/post-request hooks. WSGI middleware placed in front of greensio's
``WSGIApp`` does not see them either; pass ``http_keepalive_takeover=False`` to the server when
that matters.
"""

from __future__ import annotations

import io
import re
import socket
import sys
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any

from greensio.transports import http

#: An idle kept-alive connection is closed after this many seconds without a request (gunicorn's
#: own keep-alive timeout is 2 s by default; a polling client sends its next GET at once).
IDLE_TIMEOUT = 30.0
#: The largest request head (request line and headers) read here; a longer one goes to gunicorn.
MAX_HEAD = 16384
_READ_SIZE = 8192
#: A header line is a token, a colon, then a value without control characters (but tab); "_" in
#: a name is refused, as gunicorn does by default, so that no two names map to one environ key.
#: (Checked in parts: one regex with optional whitespace around a lazy value backtracked in cubic
#: time on a line of spaces and tabs ending in a control character, minutes for 4 KB.)
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,15}")

_date_cache: list[Any] = [0, b""]


def _date_header() -> bytes:
    """``Date: ...\\r\\n``, formatted once per second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = f"Date: {formatdate(now, usegmt=True)}\r\n".encode("latin-1")
    return _date_cache[1]


class Connections:
    """The connections a server has taken over; at its shutdown, each is closed once the
    request it is serving (if any) has its answer, so that no client sends a request meant
    for a new worker down a kept-alive connection to the old one."""

    def __init__(self) -> None:
        self.live: set[PollingConnection] = set()
        self.closing = False

    def close(self) -> None:
        """From now on each connection closes after its current response (with ``Connection:
        close``); the idle ones (waiting for a request) are closed now."""
        self.closing = True
        for connection in list(self.live):
            if connection.idle:
                connection.shut()


def serve_connection(
    environ: dict[str, Any],
    max_body: int,
    accepts: Callable[[str, dict[str, str]], bool],
    handle: Callable[[dict[str, Any], http.StartResponse], Iterable[bytes]],
    connections: Connections | None = None,
) -> Any:
    """Serve ``environ``'s request and the connection's next ones that ``accepts`` (by their
    method and query) with ``handle`` (a WSGI application); then hand the connection back to
    gunicorn. ``connections`` (the server's) tracks it meanwhile.

    Returns what the WSGI application must return to gunicorn, or None (nothing done) when the
    connection cannot be taken over: the caller then serves ``environ`` the usual way.
    """
    if environ.get("REQUEST_METHOD") not in ("GET", "POST"):
        return None
    connection = PollingConnection.take_over(environ, max_body)
    if connection is None:
        return None
    connections = connections or Connections()
    connections.live.add(connection)
    request: dict[str, Any] | None = environ
    try:
        while request is not None:
            body = handle(request, connection.start_response)
            closing = connections.closing
            connection.send(body, closing)
            if closing or connections.closing:
                connection.shut()
                break
            request = connection.next_request(accepts)
    except OSError:
        pass  # the client went away: gunicorn's next read finds the connection closed
    finally:
        connections.live.discard(connection)
    return connection.release()


def _gunicorn_parts(environ: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """(socket, gunicorn's read buffer, ALREADY_HANDLED) when ``environ`` comes from gunicorn's
    gevent worker on an HTTP/1.1 keep-alive request; None for any other server or request."""
    sock = environ.get("gunicorn.socket")
    worker = sys.modules.get("gunicorn.workers.ggevent")
    base = sys.modules.get("gunicorn.workers.base_async")
    if sock is None or worker is None or base is None:
        return None
    handled = getattr(base, "ALREADY_HANDLED", None)
    unreader = getattr(getattr(environ.get("wsgi.input"), "reader", None), "unreader", None)
    if handled is None or not hasattr(unreader, "take_buffered") or not hasattr(unreader, "unread"):
        return None
    if getattr(unreader, "sock", None) is not sock:
        return None
    if environ.get("SERVER_PROTOCOL") != "HTTP/1.1" or environ.get("wsgi.url_scheme") != "http":
        return None
    if "close" in environ.get("HTTP_CONNECTION", "").lower() or "HTTP_UPGRADE" in environ:
        return None
    return sock, unreader, handled


class PollingConnection:
    """One client connection, taken from gunicorn, on which greensio serves polling requests."""

    def __init__(
        self, environ: dict[str, Any], max_body: int, sock: Any, unreader: Any, handled: Any
    ) -> None:
        self.max_body = max_body
        self.sock = sock
        self.unreader = unreader
        self.handled = handled
        self.path = environ.get("RAW_URI", "").partition("?")[0]
        #: Every request served here gets a copy of this: the first request's environ without
        #: what is particular to that request.
        self.base = {
            k: v
            for k, v in environ.items()
            if not k.startswith("HTTP_")
            and k not in ("QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE", "wsgi.input")
        }
        self.buffer = b""
        self.timeout: float | None = None
        self.handed_back = False
        #: True while waiting for the next request (nothing of it read yet).
        self.idle = False
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    @classmethod
    def take_over(cls, environ: dict[str, Any], max_body: int) -> PollingConnection | None:
        """The connection of ``environ`` (a GET or POST), or None when it cannot be taken over.
        A POST's body is read first (it may sit in gunicorn's read buffer)."""
        parts = _gunicorn_parts(environ)
        if parts is None or not environ.get("RAW_URI", "").startswith("/"):
            return None
        if environ.get("REQUEST_METHOD") != "POST":
            if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
                return None  # a GET with a body: gunicorn's to read past
            if "HTTP_TRANSFER_ENCODING" in environ:
                return None
        else:
            length = environ.get("CONTENT_LENGTH") or ""
            if (
                not _DIGITS.fullmatch(length)
                or int(length) > max_body
                or "HTTP_TRANSFER_ENCODING" in environ
            ):
                return None
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
        connection = cls(environ, max_body, *parts)
        # Whatever the client already sent after this request (pipelining) is read here now.
        connection.buffer = connection.unreader.take_buffered()
        sock_timeout = connection.timeout = connection.sock.gettimeout()
        # Under gevent a socket timeout costs a timer only when a read has to wait.
        connection.sock.settimeout(IDLE_TIMEOUT if sock_timeout is None else sock_timeout)
        return connection

    # --- responses ------------------------------------------------------------------------------
    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        self.status = status
        self.headers = headers
        return self._refuse_write

    def _refuse_write(self, data: bytes) -> None:
        raise RuntimeError("greensio's polling responses are returned, not written")

    def send(self, body: Iterable[bytes], last: bool = False) -> None:
        """The response collected by ``start_response`` and ``body``, in one ``sendall``
        (``last``: with ``Connection: close``)."""
        content = b"".join(body)
        head = [f"HTTP/1.1 {self.status}\r\n".encode("latin-1"), _date_header()]
        head += [f"{name}: {value}\r\n".encode("latin-1") for name, value in self.headers]
        if last and not any(name.lower() == "connection" for name, _ in self.headers):
            head.append(b"Connection: close\r\n")
        head.append(b"\r\n")
        head.append(content)
        data = b"".join(head)
        # One send is nearly always enough; gevent's sendall would first ask for SO_SNDBUF.
        sent = self.sock.send(data)
        if sent < len(data):
            self.sock.sendall(memoryview(data)[sent:])

    # --- requests -------------------------------------------------------------------------------
    def next_request(self, accepts: Callable[[str, dict[str, str]], bool]) -> dict[str, Any] | None:
        """The environ of the connection's next request if it is one to serve here (``accepts``
        its query); None when the client closed the connection or went idle, or when the request
        was handed back to gunicorn (then ``self.handed_back`` is True)."""
        self.handed_back = False
        head_end = self.buffer.find(b"\r\n\r\n")
        while head_end < 0:
            if len(self.buffer) > MAX_HEAD:
                return self._hand_back()
            chunk = self._recv()
            if not chunk:
                return None if not self.buffer else self._hand_back()
            self.buffer += chunk
            head_end = self.buffer.find(b"\r\n\r\n", max(0, len(self.buffer) - len(chunk) - 3))
        environ = self._parse_head(self.buffer[:head_end], accepts)
        if environ is None:
            return self._hand_back()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body_start = head_end + 4
        while len(self.buffer) - body_start < length:
            chunk = self._recv()
            if not chunk:
                return None
            self.buffer += chunk
        environ["wsgi.input"] = io.BytesIO(self.buffer[body_start : body_start + length])
        self.buffer = self.buffer[body_start + length :]
        return environ

    def _recv(self) -> bytes:
        self.idle = not self.buffer
        try:
            return self.sock.recv(_READ_SIZE)
        except OSError:  # the idle timeout (socket.timeout) among others
            return b""
        finally:
            self.idle = False

    def shut(self) -> None:
        """End the connection (a read waiting on it returns; gunicorn's next read finds it
        closed)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def release(self) -> Any:
        """Gives the connection back to gunicorn (with whatever was read and not served); the
        value for the WSGI application to return."""
        if self.buffer:
            self.unreader.unread(self.buffer)
            self.buffer = b""
        try:
            self.sock.settimeout(self.timeout)
        except OSError:
            pass
        return self.handled

    def _hand_back(self) -> dict[str, Any] | None:
        """None, noting that the request in the buffer is gunicorn's to serve."""
        self.handed_back = True
        return None

    def _parse_head(
        self, head: bytes, accepts: Callable[[str, dict[str, str]], bool]
    ) -> dict[str, Any] | None:
        """The environ for a request head this connection serves; None for any other request."""
        try:
            text = head.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover (latin-1 decodes every byte)
            return None
        if head.count(b"\n") != head.count(b"\r\n") or head.count(b"\r") != head.count(b"\n"):
            return None  # a bare CR or LF: gunicorn's parser decides
        lines = text.split("\r\n")
        request_line = lines[0].split(" ")
        if len(request_line) != 3:
            return None
        method, target, version = request_line
        if version != "HTTP/1.1" or method not in ("GET", "POST"):
            return None
        path, _, query_string = target.partition("?")
        if path != self.path:
            return None
        environ = dict(self.base)
        environ["REQUEST_METHOD"] = method
        environ["RAW_URI"] = target
        environ["QUERY_STRING"] = query_string
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not _HEADER_NAME.fullmatch(name) or _CONTROL.search(value):
                return None  # malformed, folded or with control characters: gunicorn decides
            value = value.strip(" \t")
            key = name.upper().replace("-", "_")
            if key in ("TRANSFER_ENCODING", "EXPECT", "UPGRADE"):
                return None
            if key not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
                key = "HTTP_" + key
            if key in environ:
                return None  # a repeated header: left to gunicorn's rules
            environ[key] = value
        length = environ.get("CONTENT_LENGTH")
        if length is not None and (not _DIGITS.fullmatch(length) or int(length) > self.max_body):
            return None
        if "close" in environ.get("HTTP_CONNECTION", "").lower():
            return None
        if method == "POST" and "CONTENT_LENGTH" not in environ:
            return None
        q = http.query(environ)
        if not accepts(method, q):
            return None
        environ["greensio.query"] = q
        return environ
