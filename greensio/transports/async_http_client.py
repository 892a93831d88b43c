"""The asyncio client's HTTP requests for long-polling: HTTP/1.1 over asyncio streams, parsed by
h11 (sans-I/O), on keep-alive connections.

The asyncio twin of ``http_client.HttpClient`` (urllib3, which blocks). Long-polling needs little
of HTTP: a GET and a POST with small bodies, one of each at a time, on two connections that stay
open between requests (a new TCP connection per poll would cost a handshake each time).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import h11

from greensio import exceptions
from greensio.transports.websocket_client import tls_context

_READ_SIZE = 65536


def refuse_http_session(http_session: Any) -> None:
    """The asyncio client has its own HTTP client: a session object given to it is an error."""
    if http_session is not None:
        raise exceptions.UsageError(
            "AsyncClient does not take http_session (its HTTP client is built in): leave it out, "
            "and pass headers= to connect() and ssl_verify= to AsyncClient() instead"
        )


class _Connection:
    """One keep-alive connection: its streams and h11's state for the client side."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.closed = False

    def reusable(self) -> bool:
        return not self.closed and self.h11.our_state is h11.IDLE and not self.reader.at_eof()

    def close(self) -> None:
        self.closed = True
        self.writer.close()

    async def exchange(self, request: h11.Request, body: bytes | None) -> tuple[int, bytes]:
        data = self.h11.send(request) or b""
        if body:
            data += self.h11.send(h11.Data(data=body)) or b""
        data += self.h11.send(h11.EndOfMessage()) or b""
        self.writer.write(data)
        status, chunks = 0, []
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.reader.read(_READ_SIZE))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
                    self.h11.start_next_cycle()
                return status, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise exceptions.ConnectionError("the server closed the connection")


class AsyncHttpClient:
    """GET and POST with a timeout; failures become ``greensio.exceptions.ConnectionError``.

    Args:
        pool: must be None (see ``refuse_http_session``).
        ssl_verify: verify TLS certificates (on by default).
        headers: sent with every request (``headers`` may be replaced between connections).

    ``ssl_context``, when set, is used for https:// in place of the default context (the asyncio
    client sets the one of its ``websocket_extra_options``).
    """

    def __init__(
        self,
        pool: Any = None,
        *,
        ssl_verify: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        refuse_http_session(pool)
        self.ssl_verify = ssl_verify
        self.ssl_context: ssl.SSLContext | None = None
        self.headers = dict(headers or {})
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()  # idle or in use

    async def request(
        self, method: str, url: str, body: bytes | None = None, *, timeout: float
    ) -> tuple[int, bytes]:
        """Send one request; returns (status, body)."""
        parts = urlsplit(url)
        secure = parts.scheme in ("https", "wss")
        host = parts.hostname or "localhost"
        port = parts.port or (443 if secure else 80)
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        headers = [("Host", parts.netloc), *self.headers.items()]
        if body is not None:
            headers += [
                ("Content-Type", "text/plain;charset=UTF-8"),
                ("Content-Length", str(len(body))),
            ]
        request = h11.Request(method=method, target=target, headers=headers)
        key = (parts.scheme, host, port)
        try:
            connection = await asyncio.wait_for(self._connection(key, secure), timeout)
            try:
                answer = await asyncio.wait_for(connection.exchange(request, body), timeout)
            except BaseException:
                self._drop(connection)
                raise
        except (OSError, asyncio.TimeoutError, h11.ProtocolError, exceptions.GreensioError) as exc:
            reason = str(exc) or type(exc).__name__
            where = url.split("?")[0]
            raise exceptions.ConnectionError(f"{method} {where} failed: {reason}") from exc
        if connection.reusable():
            self._idle.setdefault(key, []).append(connection)
        else:
            self._drop(connection)
        return answer

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._open.discard(connection)

    async def _connection(self, key: tuple[str, str, int], secure: bool) -> _Connection:
        idle = self._idle.get(key, [])
        while idle:
            connection = idle.pop()
            if connection.reusable():
                return connection
            self._drop(connection)
        context = (self.ssl_context or tls_context(self.ssl_verify)) if secure else None
        reader, writer = await asyncio.open_connection(
            key[1], key[2], ssl=context, server_hostname=key[1] if secure else None
        )
        connection = _Connection(reader, writer)
        self._open.add(connection)
        return connection

    def close(self) -> None:
        """Close every connection, those of requests under way too (they fail). A later request
        opens a new one."""
        for connection in self._open:
            connection.close()
        self._open.clear()
        self._idle.clear()
