"""The asyncio client's WebSocket: ``websockets``' asyncio client under the interface the
Engine.IO client writes to (``websocket_client.ClientWebSocket``'s, for the greenlet twin).

``websockets.asyncio.client`` does the opening handshake, TLS, framing, the closing handshake and
the size and UTF-8 checks. What this module adds is writes that never wait: ``send_many`` and
``close`` queue and return at once, and a task that exists only while there is something to send
writes the queue out in order, so that the Engine.IO client's sections under its socket's lock
never wait (as ``transports.asgi.AsgiWebSocket`` on the server side).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from greensio import exceptions
from greensio.transports.websocket_client import tls_context

logger = logging.getLogger("greensio.websocket")

_CLOSE = object()


class AsyncClientWebSocket:
    """One client WebSocket: ``await receive()`` for the next message; ``send_many`` and
    ``close`` queue (see the module docstring). ``closed`` is True once ``close`` was called or
    the connection ended."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.closed = False
        self._out: collections.deque[Any] = collections.deque()
        self._writer: asyncio.Task[None] | None = None

    async def receive(self) -> str | bytes | None:
        """The next text (str) or binary (bytes) message; None once the connection is closed
        (an oversized or non-UTF-8 message closes it, with 1009 or 1007), or after ``close()``."""
        if self.closed:
            return None
        try:
            message = await self.connection.recv()
        except ConnectionClosed as exc:
            logger.debug("websocket closed: %s", exc)
            self.closed = True
            return None
        except OSError as exc:  # the connection broke under the read: a hang-up
            logger.debug("websocket read failed: %s", exc)
            self.closed = True
            return None
        return message if isinstance(message, str) else bytes(message)

    def send(self, message: str | bytes) -> bool:
        return self.send_many([message])

    def send_many(self, messages: list[str | bytes]) -> bool:
        """Queue messages, to be written back to back; False when the connection is closed."""
        if self.closed:
            return False
        self._out.extend(messages)
        self._start()
        return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake once what is queued is written (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._out.append((_CLOSE, code, reason))
        self._start()

    def _start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        out, connection = self._out, self.connection
        try:
            while out:
                item = out.popleft()
                if type(item) is tuple:
                    out.clear()
                    await connection.close(item[1], item[2])
                else:
                    await connection.send(item)
        except (ConnectionClosed, OSError) as exc:  # the peer went away: the reader ends it
            logger.debug("websocket write failed: %r", exc)
            self.closed = True
            out.clear()
        except asyncio.CancelledError:
            # The loop is being torn down mid-write (or mid-close): drop the connection now,
            # or its socket would stay open, the server waiting on it, until collected.
            self.closed = True
            out.clear()
            self.connection.transport.abort()
            raise
        finally:
            self._writer = None


async def connect_websocket(
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    timeout: float,
    max_size: int,
    lock: Any = None,
    ssl_context: ssl.SSLContext | None = None,
    ssl_verify: bool = True,
) -> AsyncClientWebSocket:
    """Open ``url`` (ws:// or wss://) and return the connection once the handshake is done.

    The arguments are ``websocket_client.connect_websocket``'s; ``lock`` is not needed here
    (one thread, and writes never wait). wss:// uses ``ssl_context``, else a default context
    (verifying certificates unless ``ssl_verify`` is False).

    Raises:
        ConnectionError: the server could not be reached or refused the upgrade.
    """
    secure = url.startswith("wss:")
    options: dict[str, Any] = {}
    if secure:
        options["ssl"] = ssl_context or tls_context(ssl_verify)
    try:
        connection = await connect(
            url,
            additional_headers=dict(headers or {}),
            compression=None,  # as the greenlet client: no permessage-deflate
            proxy=None,  # the URL's host, as the greenlet client (no proxy from the environment)
            open_timeout=timeout,
            close_timeout=timeout,
            ping_interval=None,  # Engine.IO has heartbeats of its own
            max_size=max_size,
            **options,
        )
    except OSError as exc:  # TCP or TLS (as the greenlet client's message has it)
        where = urlsplit(url)
        message = f"cannot reach {where.hostname}:{where.port or (443 if secure else 80)}: {exc}"
        raise exceptions.ConnectionError(message) from exc
    except (asyncio.TimeoutError, InvalidHandshake, InvalidURI) as exc:
        reason = str(exc) or type(exc).__name__
        message = f"WebSocket handshake with {url} failed: {reason}"
        raise exceptions.ConnectionError(message) from exc
    return AsyncClientWebSocket(connection)
