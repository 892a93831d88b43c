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

from greensio.backends.asyncio import start_eagerly

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

logger = logging.getLogger("greensio.websocket")


#: Header name -> environ key, kept for the names seen first (every connection holds these keys:
#: one string each, shared, instead of one per connection).
_KEYS: dict[bytes, str] = {}
_MAX_KEYS = 256


def _environ_key(raw_name: bytes) -> str:
    name = raw_name.decode("latin-1").upper().replace("-", "_")
    key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name
    if len(_KEYS) < _MAX_KEYS:
        _KEYS[raw_name] = key
    return key


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
        key = _KEYS.get(raw_name)
        if key is None:
            key = _environ_key(raw_name)
        value = raw_value.decode("latin-1")
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
        #: What waits for the writer task (made when first needed: most writes go straight out).
        self._out: collections.deque[Any] | None = None
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
        self.unsent += sum(map(len, messages))
        if self._writer is not None:  # behind what is already on its way: queued
            self._queue().extend(messages)
            return
        for index, message in enumerate(messages):
            # Straight to the ASGI server, which mostly takes a message without waiting; a
            # send that waits is finished by the writer task, with the rest behind it.
            if not self._send_now(_event(message), len(message)):
                self._queue().extend(messages[index + 1 :])
                return

    def close(self, code: int = 1000) -> None:
        """Close once what is queued is sent."""
        if self.closed:
            return
        self.closed = True
        if self._writer is not None:
            self._queue().append((_CLOSE, code))
        else:
            self._send_now({"type": "websocket.close", "code": code}, 0)

    def abort(self) -> None:
        """Drop what is queued and close: for a client that stopped reading."""
        if self._out is not None:
            self._out.clear()
        self.unsent = 0
        self.closed = False
        self.close(1008)

    async def wait_sent(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until the queue is written out."""
        writer = self._writer
        if writer is not None:
            await asyncio.wait([writer], timeout=timeout)

    def _queue(self) -> collections.deque[Any]:
        out = self._out
        if out is None:
            out = self._out = collections.deque()
        return out

    def _send_now(self, event: dict[str, Any], size: int) -> bool:
        """Hand ``event`` to the ASGI server at once; False when that waits (the writer task
        then finishes it and goes on with the queue)."""
        try:
            pending = start_eagerly(self._send(event))
        except Exception as exc:  # noqa: BLE001 - the peer went away: the read side ends it
            self._failed(exc)
            return True
        if pending is None:
            self.unsent = max(0, self.unsent - size)  # (0 once aborted)
            return True
        self._writer = asyncio.get_running_loop().create_task(self._write(pending, size))
        return False

    def _failed(self, exc: Exception) -> None:
        logger.debug("WebSocket write failed: %r", exc)
        self.closed = True
        if self._out is not None:
            self._out.clear()
        self.unsent = 0

    async def _write(self, pending: asyncio.Task[Any], size: int) -> None:
        send = self._send
        try:
            await pending
            self.unsent = max(0, self.unsent - size)
            out = self._out
            while out:
                item = out.popleft()
                if type(item) is tuple:
                    out.clear()
                    await send({"type": "websocket.close", "code": item[1]})
                    continue
                await send(_event(item))
                self.unsent = max(0, self.unsent - len(item))
        except Exception as exc:  # noqa: BLE001 - the peer went away: the read side ends it
            self._failed(exc)
        finally:
            self._writer = None


def _event(message: str | bytes) -> dict[str, Any]:
    if isinstance(message, str):
        return {"type": "websocket.send", "text": message}
    return {"type": "websocket.send", "bytes": bytes(message)}
