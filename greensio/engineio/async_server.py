"""The asyncio Engine.IO server (``greensio.AsyncServer.eio``): ``EngineIOServer`` over the asyncio
backend, answering ASGI.

Everything but the request side is ``EngineIOServer``'s: sessions, the core's events, timers (the
loop's own here). Its handlers (the Socket.IO server's) never wait, so they stay plain functions.
"""

from __future__ import annotations

import logging
from typing import Any

from greensio.backends import get_async_backend
from greensio.backends.base import CoreBackend
from greensio.engineio.asgi_requests import AsgiRequestHandler
from greensio.engineio.server import EngineIOServer
from greensio.transports.asgi import Receive, Scope, Send


class AsyncEngineIOServer(EngineIOServer):
    """Engine.IO server for ASGI; the options are ``EngineIOServer``'s (python-engineio's
    ``AsyncServer``), ``async_mode`` None or 'asgi'."""

    request_handler_class = AsgiRequestHandler

    def __init__(
        self,
        async_mode: str | None = None,
        logger: bool | logging.Logger = False,
        backend: CoreBackend | None = None,
        **options: Any,
    ) -> None:
        if backend is None:
            backend = get_async_backend(async_mode)
        super().__init__(logger=logger, backend=backend, **options)
        #: Writes are queued (``AsgiWebSocket``): nothing waits inside a socket's locked section.
        self.atomic_sections = True

    async def handle_request(  # type: ignore[override]  # ASGI's signature, not WSGI's
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Serve one Engine.IO request: an ASGI ``http`` or ``websocket`` scope."""
        requests = self.requests
        assert isinstance(requests, AsgiRequestHandler)
        await requests.handle_request(scope, receive, send)

    async def sleep(self, seconds: float = 0) -> None:  # type: ignore[override]
        await get_async_backend().sleep(seconds)
