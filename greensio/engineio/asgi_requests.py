"""How the asyncio Engine.IO server answers ASGI: the ``http`` scope for polling, the
``websocket`` scope for WebSocket connections and the upgrade.

The ASGI counterpart of ``RequestHandler`` (greensio/engineio/requests.py), over the same
``RequestRouting``: the core routes each request and runs each session, ``polling`` has the
GET/POST exchanges; this module only speaks ASGI (``receive``/``send``). The WebSocket's writes are
queued (``AsgiWebSocket``), so nothing ever waits under a socket's lock.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable
from typing import Any

from greensio.engineio import shutdown as graceful
from greensio.engineio.async_polling import serve_poll, serve_post
from greensio.engineio.requests import RequestRouting, Socket
from greensio.protocol.engineio.routing import REFUSED_ORIGIN, REJECTED, UNAUTHORIZED, Action, Route
from greensio.protocol.engineio.session import Transport
from greensio.transports import asgi, http
from greensio.transports.asgi import AsgiWebSocket, Receive, Scope, Send

#: Longest a polling request waits for an upgrade's probe to catch up (``_let_probe_catch_up``).
_CATCH_UP = 0.1
#: Longest the reader waits for the 3probe to be handed to the ASGI server.
_SEND_BOUND = 5.0
#: WebSocket close code for a message over ``max_http_buffer_size`` (RFC 6455 7.4.1).
_MESSAGE_TOO_BIG = 1009


class AsgiRequestHandler(RequestRouting):
    """The ASGI request side of the asyncio Engine.IO server; see the module docstring."""

    def handle_request(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Serve one Engine.IO request: an ``http`` or a ``websocket`` scope. (A plain function
        returning the coroutine that serves it: one frame less for each WebSocket to keep.)"""
        if getattr(self.owner, "shutting_down", False):  # the server's (engineio/server.py)
            return self._shutting_down(scope, receive, send)
        if scope["type"] == "websocket":
            return self._websocket(scope, receive, send)
        return self._http(scope, receive, send)

    async def _shutting_down(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A handshake is refused (503) while the server shuts down; a session's request is
        served (greensio/engineio/shutdown.py)."""
        if not await graceful.refuse_new_asgi_session(scope, receive, send):
            serve = self._websocket if scope["type"] == "websocket" else self._http
            await serve(scope, receive, send)

    async def _route_scope(
        self, scope: Scope, method: str
    ) -> tuple[dict[str, Any], Route, Socket | None]:
        """The request's environ, and where the core routes it."""
        environ = asgi.environ_from_scope(scope)
        q = http.query(environ)
        where, sock = self._route(method, q, environ)
        if sock is not None and method == "GET" and sock.session.upgrading:
            await _let_probe_catch_up(sock)
            where, sock = self._route(method, q, environ)
        if where is REFUSED_ORIGIN:
            self.logger.info("refused origin %r", environ.get("HTTP_ORIGIN"))
        return environ, where, sock

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        environ, where, sock = await self._route_scope(scope, scope.get("method", "GET"))
        cors = [] if where is REFUSED_ORIGIN else self.settings.cors.headers(environ)
        action = where.action
        if action is Action.PREFLIGHT:
            await asgi.respond(send, 200, b"", cors)
        elif action is Action.OPEN_POLLING:
            await self._open_polling(environ, send, cors)
        elif action is Action.POLL and sock is not None:
            answer = await serve_poll(self, sock)
            if isinstance(answer, Route):
                await _reject(send, answer, cors)
            else:
                await asgi.respond(send, 200, answer, cors)
        elif action is Action.POST and sock is not None:
            rejected = await serve_post(self, sock, functools.partial(asgi.read_body, receive))
            if rejected is not None:
                await _reject(send, rejected, cors)
            else:
                await asgi.respond(send, 200, b"ok", cors)
        else:
            await _reject(send, where if action is Action.REJECT else REJECTED, cors)

    async def _open_polling(self, environ: dict[str, Any], send: Send, cors: list[Any]) -> None:
        sock = self._new_socket(environ, Transport.POLLING)
        if sock is None:
            await _reject(send, UNAUTHORIZED, cors)
            return
        sock.schedule()
        headers = cors + http.cookie_headers(self.settings.cookie, sock.sid)
        await asgi.respond(send, 200, sock.session.open_packet(), headers)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A ``websocket`` scope: opened (``_open_websocket``), then read until it ends; each
        message through the core, its events dispatched (the Socket.IO layer queues handlers:
        nothing here waits for one). The loop is here, not in a coroutine of its own: one frame
        per connection."""
        opened = await self._open_websocket(scope, receive, send)
        if opened is None:
            return
        sock, ws, probe = opened
        session = sock.session
        while not session.closed:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                break
            if kind != "websocket.receive":
                continue
            data = message.get("text")
            if data is None:
                data = message.get("bytes")
                if data is None:
                    continue
            if len(data) > ws.max_size:
                self.logger.info("%s: WebSocket message over %d bytes", sock.sid, ws.max_size)
                ws.close(_MESSAGE_TOO_BIG)
                break
            events, outcome = self._websocket_message(sock, ws, data, probe)
            del message, data  # not kept while the connection idles
            if outcome.reply:
                # The 3probe is on its way before any later request of the session is answered
                # (as Node, which writes it at once); requests wait for the probe meanwhile.
                await ws.wait_sent(_SEND_BOUND)
            if outcome.adopt:
                probe = False
            if outcome.end is not None:
                break
            self.dispatch(sock, events)
            del events
        self._websocket_ended(sock, ws, probe)
        await ws.wait_sent(self.settings.ping_timeout)

    async def _open_websocket(
        self, scope: Scope, receive: Receive, send: Send
    ) -> tuple[Socket, AsgiWebSocket, bool] | None:
        """A new session over the WebSocket, or an upgrade's probe: the socket, the accepted
        WebSocket and whether it is a probe; None when refused (closed before the handshake
        completes: a 403 to the client) as the core says."""
        environ, where, sock = await self._route_scope(scope, "GET")
        if (await receive())["type"] != "websocket.connect":
            return None
        if where.action is Action.OPEN_WEBSOCKET:
            sock = self._new_socket(environ, Transport.WEBSOCKET)
            if sock is None:
                await send({"type": "websocket.close", "code": 1008})
                return None
            ws = await self._accept(send)
            self._websocket_opened(sock, ws)
            return sock, ws, False
        if where.action is not Action.UPGRADE or sock is None:
            self.logger.info("WebSocket refused: %s", where.message)
            await send({"type": "websocket.close", "code": 1008})
            return None
        with sock.lock:
            attached = sock.session.attach_probe()
        ws = await self._accept(send)
        if not attached:
            ws.close()  # refused as attach_probe says: accepted, then closed (as engine.io)
            await ws.wait_sent(self.settings.ping_timeout)
            return None
        return sock, ws, True

    async def _accept(self, send: Send) -> AsgiWebSocket:
        await send({"type": "websocket.accept"})
        return AsgiWebSocket(send, self.settings.max_http_buffer_size)


async def _let_probe_catch_up(sock: Socket) -> None:
    """A GET (a poll, or a WebSocket) for a session whose upgrade's probe is open: first let the
    probe's messages that the ASGI server has already read reach the core. Node handles each
    connection's data in the
    order it arrives; an ASGI server hands a WebSocket's frames on through tasks and queues, so a
    request sent after the client's ``5`` could otherwise be routed before it, and be answered as
    if the session were still polling (engine.io-protocol: it gets a 400, and a second WebSocket
    is refused). A few loop passes, then short sleeps, at most ``_CATCH_UP`` seconds in all. It
    costs real clients nothing: the official client sends no GET between its probe and its ``5``
    (it has paused polling), and a POST is never held."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _CATCH_UP
    passes = 0
    while sock.session.upgrading and loop.time() < deadline:
        await asyncio.sleep(0 if passes < 10 else 0.001)
        passes += 1


async def _reject(send: Send, where: Route, cors: list[Any] | None = None) -> None:
    await asgi.error(send, where.status, where.message, where.code, cors)
