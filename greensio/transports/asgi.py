"""The ASGI side of the transports: a WSGI-style environ from a scope, whole responses, request
bodies, and a WebSocket whose writes never wait (ASGI spec 2.x/3.0, ``http`` and ``websocket``
scopes).

The environ keeps the keys the Engine.IO layer and applications read (``REQUEST_METHOD``,
``PATH_INFO``, ``QUERY_STRING``, ``HTTP_*``, ``REMOTE_ADDR``, ``wsgi.url_scheme``), as
python-engineio's ASGI driver does, plus ``asgi.scope``: connect handlers see the same dict under
WSGI and ASGI.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

logger = logging.getLogger("greensio.websocket")


def environ_from_scope(scope: Scope) -> dict[str, Any]:
    """A WSGI-style environ for an ``http`` or ``websocket`` scope."""
    headers = scope.get("headers") or ()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "PATH_INFO": scope.get("path", ""),
        "SCRIPT_NAME": scope.get("root_path", ""),
        "QUERY_STRING": (scope.get("query_string") or b"").decode("latin-1"),
        "RAW_URI": scope.get("raw_path", b"").decode("latin-1") if scope.get("raw_path") else "",
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "wsgi.url_scheme": {"ws": "http", "wss": "https"}.get(
            scope.get("scheme", "http"), scope.get("scheme", "http")
        ),
        "asgi.scope": scope,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client[0], str(client[1])
    server = scope.get("server")
    if server:
        environ["SERVER_NAME"], environ["SERVER_PORT"] = server[0], str(server[1])
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE" or name == "CONTENT_LENGTH":
            environ[name] = value
            continue
        key = "HTTP_" + name
        # Repeated headers join with a comma, as a WSGI server does (cookies with "; ").
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    if scope.get("type") == "websocket":
        environ.setdefault("HTTP_UPGRADE", "websocket")
    return environ


async def respond(
    send: Send,
    status: int,
    body: bytes | str = b"",
    headers: list[tuple[str, str]] | None = None,
    content_type: str = "text/plain; charset=UTF-8",
) -> None:
    """A complete ``http`` response in one body message."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    all_headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
    ]
    for name, value in headers or ():
        all_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def error(
    send: Send, status: int, message: str, code: int = 0, headers: list[Any] | None = None
) -> None:
    """An Engine.IO-style JSON error, as ``greensio.transports.http.error`` writes it."""
    body = json.dumps({"code": code, "message": message})
    await respond(send, status, body, headers, "application/json")


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it is longer than ``limit`` (the rest unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


_CLOSE = object()


class AsgiWebSocket:
    """An accepted ASGI WebSocket, written to like ``WebSocketConnection``: ``send_many`` and
    ``close`` queue and return at once; a task that exists only while there is something to
    send writes the queue out in order. Reading is the request handler's (``receive``).
    """

    __slots__ = ("_send", "_out", "_writer", "closed", "max_size", "unsent")

    def __init__(self, send: Send, max_size: int) -> None:
        self._send = send
        self._out: collections.deque[Any] = collections.deque()
        self._writer: asyncio.Task[None] | None = None
        self.closed = False
        #: The largest message this side accepts; a bigger one closes with 1009.
        self.max_size = max_size
        #: Bytes (characters, for text) queued and not yet handed to the ASGI server, which
        #: waits while the client does not read (the server's ``max_outbound_buffer``).
        self.unsent = 0

    def send(self, message: str | bytes) -> None:
        self.send_many([message])

    def send_many(self, messages: list[str | bytes]) -> None:
        if self.closed:
            return
        self._out.extend(messages)
        self.unsent += sum(map(len, messages))
        self._start()

    def close(self, code: int = 1000) -> None:
        """Close once what is queued is sent."""
        if self.closed:
            return
        self.closed = True
        self._out.append((_CLOSE, code))
        self._start()

    def abort(self) -> None:
        """Drop what is queued and close: for a client that stopped reading."""
        self._out.clear()
        self.unsent = 0
        self.closed = False
        self.close(1008)

    async def wait_sent(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until the queue is written out."""
        writer = self._writer
        if writer is not None:
            await asyncio.wait([writer], timeout=timeout)

    def _start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        out, send = self._out, self._send
        try:
            while out:
                item = out.popleft()
                if type(item) is str:
                    await send({"type": "websocket.send", "text": item})
                elif type(item) is tuple:
                    out.clear()
                    await send({"type": "websocket.close", "code": item[1]})
                    continue
                else:
                    await send({"type": "websocket.send", "bytes": bytes(item)})
                self.unsent = max(0, self.unsent - len(item))  # (0 once aborted)
        except Exception as exc:  # noqa: BLE001 - the peer went away: the read side ends it
            logger.debug("WebSocket write failed: %r", exc)
            self.closed = True
            out.clear()
            self.unsent = 0
        finally:
            self._writer = None
