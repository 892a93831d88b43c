"""``ASGIApp``: serve Socket.IO under ``/socket.io/`` to an ASGI server (uvicorn, hypercorn), and
pass every other request to the wrapped ASGI application (a Starlette or FastAPI app, say) or to
static files; with the ASGI lifespan."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from greensio.engineio.asgi_requests import AsgiRequestHandler
from greensio.engineio.async_server import AsyncEngineIOServer
from greensio.server.async_server import AsyncServer
from greensio.server.static import StaticFiles
from greensio.transports import asgi
from greensio.transports.asgi import Receive, Scope, Send

logger = logging.getLogger("greensio.server")


class ASGIApp:
    """ASGI application in front of an ``AsyncServer``, python-socketio's ``ASGIApp`` in shape.

    Args:
        socketio_server: the ``AsyncServer`` (anything with an ASGI ``handle_request``).
        other_asgi_app: the application for every other path, and for the lifespan; 404 when
            None.
        static_files: as ``WSGIApp``'s (``greensio.server.static.StaticFiles``); a path with no
            such file goes on to ``other_asgi_app``.
        socketio_path: where Socket.IO is served ('socket.io').
        on_startup, on_shutdown: called (awaited, for a coroutine function) at the lifespan's
            startup and shutdown; before the other application's own startup, and before its
            shutdown.
    """

    def __init__(
        self,
        socketio_server: Any,
        other_asgi_app: Callable[..., Any] | None = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str = "socket.io",
        on_startup: Callable[[], Any] | None = None,
        on_shutdown: Callable[[], Any] | None = None,
    ) -> None:
        self.engineio_server = socketio_server
        self.other_asgi_app = other_asgi_app
        self.static_files = StaticFiles(static_files)
        self.socketio_path = "/" + socketio_path.strip("/")
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self._serve = _entry_point(socketio_server)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == self.socketio_path or path.startswith(self.socketio_path + "/"):
            await self._serve(scope, receive, send)
            return
        if kind == "http":
            found = self.static_files.find(path)
            if found is not None:
                body, content_type = found
                await asgi.respond(send, 200, body, content_type=content_type)
                return
        if self.other_asgi_app is not None:
            await self.other_asgi_app(scope, receive, send)
        elif kind == "http":
            await asgi.respond(send, 404, b"Not Found")
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.other_asgi_app is not None:

            async def receive_and_hook() -> dict[str, Any]:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await _call(self.on_startup)
                elif message["type"] == "lifespan.shutdown":
                    await _call(self.on_shutdown)
                return message

            await self.other_asgi_app(scope, receive_and_hook, send)
            return
        while True:
            message = await receive()
            phase = message["type"].rpartition(".")[2]  # 'startup' or 'shutdown'
            hook = self.on_startup if phase == "startup" else self.on_shutdown
            try:
                await _call(hook)
            except Exception as exc:
                logger.exception("lifespan %s hook failed", phase)
                await send({"type": f"lifespan.{phase}.failed", "message": str(exc)})
                return
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return


async def _call(hook: Callable[[], Any] | None) -> None:
    if hook is not None:
        result = hook()
        if inspect.isawaitable(result):
            await result


def _entry_point(server: Any) -> Callable[..., Any]:
    """Where Socket.IO requests go: ``server.handle_request``, or straight to the Engine.IO
    server's ASGI request handler when neither layer's ``handle_request`` is overridden. Each
    layer is a coroutine frame that a WebSocket connection keeps for as long as it lasts."""
    eio = server.eio if type(server).handle_request is AsyncServer.handle_request else server
    if type(eio).handle_request is AsyncEngineIOServer.handle_request and isinstance(
        eio.requests, AsgiRequestHandler
    ):
        return eio.requests.handle_request
    return server.handle_request
