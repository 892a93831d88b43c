"""How the Engine.IO server answers HTTP: the WSGI entry point, polling GET/POST, WebSocket
connections and the upgrade.

``EngineIOServer`` (greensio/engineio/server.py) holds the API, the sessions and the dispatch of
the core's events; the ``RequestHandler`` it owns holds the request side. Every protocol decision
is the core's (``greensio.protocol.engineio.routing`` routes a request,
``greensio.protocol.engineio.session`` runs the session); these methods move bytes between the
WSGI server, the core and the sockets.

``RequestRouting`` is what the WSGI handler here and the ASGI one (``asgi_requests``) share:
routing, new sessions, admitting a GET or POST, one WebSocket message; the polling exchanges
themselves are ``polling`` (generated from ``async_polling``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from greensio.backends.base import Backend
from greensio.backends.relay import ReaderRelay
from greensio.engineio.mismatch import DeploymentCheck
from greensio.engineio.polling import serve_poll, serve_post
from greensio.engineio.socket import EngineSocket, SocketOwner
from greensio.protocol.engineio.routing import (
    REFUSED_ORIGIN,
    REJECTED,
    UNAUTHORIZED,
    Action,
    Route,
    route,
)
from greensio.protocol.engineio.session import (
    EngineSession,
    Event,
    RequestRejected,
    Transport,
    WebSocketOutcome,
)
from greensio.transports import http, keepalive
from greensio.transports.asgi import AsgiWebSocket
from greensio.transports.coalescer import WriteCoalescer
from greensio.transports.foreign_websocket import ForeignWebSocket
from greensio.transports.websocket import WebSocketConnection
from greensio.transports.websocket_server import (
    accept_websocket,
    is_websocket_request,
    websocket_done,
)

Socket = EngineSocket[EngineSession]
AnyWebSocket = WebSocketConnection | ForeignWebSocket | AsgiWebSocket


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """The server's options that the request side reads (``EngineIOServer``'s arguments)."""

    transports: tuple[str, ...]
    allow_upgrades: bool
    cors: http.CorsPolicy
    cookie: str | dict[str, Any] | None
    max_http_buffer_size: int
    max_payload_packets: int
    poll_batch_packets: int
    ping_interval: float
    ping_timeout: float
    ping_grace: float
    #: Serve a gunicorn keep-alive connection's polling requests here (transports/keepalive.py).
    keepalive_takeover: bool


class RequestRouting:
    """What the request side of ``EngineIOServer`` is, under any web server interface.

    Args:
        owner: what each session's socket is driven by (the server: backend, timers, dispatch).
        sockets: the server's sessions by sid, which this adds to.
        settings: the server's options.
        logger: the server's logger.
        coalescer: the WebSocket write coalescer, when the backend has one.
        new_sid: makes the sid of a new session.
        on_connect: runs the application's connect handler; False refuses the connection.
        forget: drops a session from ``sockets`` (once its last poll is answered).
    """

    def __init__(
        self,
        owner: SocketOwner,
        sockets: dict[str, Socket],
        settings: RequestSettings,
        logger: logging.Logger,
        coalescer: WriteCoalescer | None,
        *,
        new_sid: Callable[[], str],
        on_connect: Callable[[str, dict[str, Any]], Any],
        forget: Callable[[Socket], None],
    ) -> None:
        self.owner = owner
        self.backend = owner.backend
        self.dispatch = owner.dispatch
        self.sockets = sockets
        self.settings = settings
        self.logger = logger
        self.coalescer = coalescer
        self.new_sid = new_sid
        self.on_connect = on_connect
        self.forget = forget
        upgrades = settings.allow_upgrades and "websocket" in settings.transports
        self.upgrades = ("websocket",) if upgrades else ()

    def _route(
        self, method: str, q: dict[str, str], environ: dict[str, Any] | None = None
    ) -> tuple[Route, Socket | None]:
        """The core's route for a request, and the session its sid names (if known)."""
        sock = self.sockets.get(q["sid"]) if "sid" in q else None
        where = route(
            method,
            q,
            transports=self.settings.transports,
            session_transport=None if sock is None else sock.session.transport.value,
            origin_allowed=environ is None or self.settings.cors.allows(environ),
            websocket_request=environ is not None and is_websocket_request(environ),
        )
        return where, sock

    def _new_socket(self, environ: dict[str, Any], transport: Transport) -> Socket | None:
        settings = self.settings
        session = EngineSession(
            self.new_sid(),
            transport=transport,
            now=self.backend.monotonic(),
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            ping_grace=settings.ping_grace,
            max_payload=settings.max_http_buffer_size,
            upgrades=self.upgrades,
            max_payload_packets=settings.max_payload_packets,
            poll_batch_packets=settings.poll_batch_packets,
        )
        sock: Socket = EngineSocket(self.owner, session, session.sid, environ)
        self.sockets[sock.sid] = sock
        self.logger.info("%s: opened over %s", sock.sid, transport.value)
        if self.on_connect(sock.sid, environ) is False:
            del self.sockets[sock.sid]
            return None
        return sock

    def admit(self, sock: Socket, begin: Callable[[float], None]) -> bool:
        """Start a GET or POST with the core's ``begin_poll``/``begin_post``; False (the events
        of the rejection dispatched) when the request must get a 400."""
        with sock.lock:
            try:
                begin(self.backend.monotonic())
                return True
            except RequestRejected as exc:
                sock.flush()  # a pending GET gets the CLOSE of a session the rejection closed
                events = exc.events
        self.dispatch(sock, events)
        return False

    def _websocket_opened(self, sock: Socket, ws: AnyWebSocket) -> None:
        """A session opened over ``ws`` (no polling first): the OPEN packet, then what is queued."""
        with sock.lock:
            ws.send(sock.session.open_packet())
            sock.ws = ws
            sock.flush()
            sock.schedule()

    def _websocket_message(
        self, sock: Socket, ws: AnyWebSocket, message: str | bytes, probe: bool
    ) -> tuple[list[Event], WebSocketOutcome]:
        """One message read from ``ws`` through the core; the caller dispatches the events (an
        ``outcome.adopt``: the probe is now the session's transport; ``outcome.end``: stop)."""
        sock.traced("received on the probe" if probe else "received", message)
        now = self.backend.monotonic()
        with sock.lock:
            events, outcome = sock.session.receive_websocket(message, now, probe=probe)
            if outcome.reply:
                ws.send_many(list(outcome.reply))
                if isinstance(ws, WebSocketConnection):
                    ws.flush_coalesced()  # 3probe before any later request is answered
            if outcome.adopt:
                sock.ws = ws
            sock.flush()
            sock.schedule()
        if outcome.end is not None:
            self.logger.info("%s: upgrade probe failed: %s", sock.sid, outcome.end)
        return events, outcome

    def _websocket_ended(self, sock: Socket, ws: AnyWebSocket, probe: bool) -> None:
        """``ws`` (the session's, or a probe) is done: closed, and the core told."""
        with sock.lock:
            events = sock.session.websocket_closed(probe=probe)
        ws.close()
        self.dispatch(sock, events)


class RequestHandler(RequestRouting):
    """The WSGI request side of ``EngineIOServer``; see the module docstring."""

    @functools.cached_property
    def deployment(self) -> DeploymentCheck:
        """Whether ``async_mode`` fits the WSGI server (greensio/engineio/mismatch.py)."""
        return DeploymentCheck(self.backend.name, self.logger, self.sockets)

    @functools.cached_property
    def kept_alive(self) -> keepalive.Connections:
        """The keep-alive connections taken over from gunicorn (closed at a shutdown)."""
        return keepalive.Connections()

    # --- WSGI entry point ------------------------------------------------------------------------
    def handle_request(self, environ: dict[str, Any], start_response: http.StartResponse) -> Any:
        """Serve one Engine.IO HTTP request (polling GET/POST, or a WebSocket upgrade)."""
        if (refused := self.deployment.check(environ, start_response)) is not None:
            return refused  # an async_mode that cannot work under this server (mismatch.py)
        if self.settings.keepalive_takeover and "gunicorn.socket" in environ:
            q = http.query(environ)
            if self._kept_alive(environ.get("REQUEST_METHOD", "GET"), q):
                environ["greensio.query"] = q
                served = keepalive.serve_connection(
                    environ,
                    self.settings.max_http_buffer_size,
                    self._kept_alive,
                    self._handle_request,
                    self.kept_alive,
                )
                if served is not None:
                    return served
        return self._handle_request(environ, start_response)

    def _kept_alive(self, method: str, q: dict[str, str]) -> bool:
        """Whether a request may be served on a taken-over connection: a poll or a POST of a
        polling session this server knows."""
        return self._route(method, q)[0].action in (Action.POLL, Action.POST)

    def _handle_request(self, environ: dict[str, Any], start_response: http.StartResponse) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        q = environ.get("greensio.query") or http.query(environ)
        where, sock = self._route(method, q, environ)
        if where is REFUSED_ORIGIN:
            self.logger.info("refused origin %r", environ.get("HTTP_ORIGIN"))
            return _reject(start_response, where)
        cors = self.settings.cors.headers(environ)
        if where.polling:
            http.set_no_delay(environ)
        action = where.action
        if action is Action.REJECT:
            return _reject(start_response, where, cors)
        if action is Action.PREFLIGHT:
            return http.respond(start_response, 200, b"", cors)
        if action is Action.OPEN_POLLING:
            return self._open_polling(environ, start_response, cors)
        if action is Action.OPEN_WEBSOCKET:
            return self._open_websocket(environ, start_response, cors)
        assert sock is not None  # the other actions are those of a known session
        if action is Action.UPGRADE:
            return self._upgrade(sock, environ, start_response, cors)
        if action is Action.POLL:
            return self._poll(sock, start_response, cors)
        return self._post(sock, environ, start_response, cors)

    def _open_polling(self, environ: dict[str, Any], start_response: Any, cors: list[Any]) -> Any:
        sock = self._new_socket(environ, Transport.POLLING)
        if sock is None:
            return _reject(start_response, UNAUTHORIZED, cors)
        sock.schedule()
        headers = cors + http.cookie_headers(self.settings.cookie, sock.sid)
        return http.respond(start_response, 200, sock.session.open_packet(), headers)

    def _open_websocket(self, environ: dict[str, Any], start_response: Any, cors: list[Any]) -> Any:
        sock = self._new_socket(environ, Transport.WEBSOCKET)
        if sock is None:
            return _reject(start_response, UNAUTHORIZED, cors)
        ws = self._accept_websocket(sock, environ, start_response)
        if ws is None:
            with sock.lock:
                events = sock.session.transport_closed(error=True)
            self.dispatch(sock, events)
            return _reject(start_response, REJECTED, cors)
        self._websocket_opened(sock, ws)
        self._read_websocket(sock, ws, probe=False)
        return websocket_done(environ)

    def _accept_websocket(
        self, sock: Socket, environ: dict[str, Any], start_response: Any
    ) -> WebSocketConnection | ForeignWebSocket | None:
        return accept_websocket(
            environ,
            start_response,
            max_size=self.settings.max_http_buffer_size,
            lock=sock.lock,
            coalescer=self.coalescer,
            blocking_lock=self.backend.lock,
        )

    def _upgrade(
        self,
        sock: Socket,
        environ: dict[str, Any],
        start_response: Any,
        cors: list[Any],
    ) -> Any:
        with sock.lock:
            attached = sock.session.attach_probe()
        ws = self._accept_websocket(sock, environ, start_response)
        if ws is None:
            if attached:
                with sock.lock:
                    sock.session.websocket_closed(probe=True)
            return _reject(start_response, REJECTED, cors)
        if not attached:
            ws.close()  # refused as attach_probe says: accepted, then closed (as engine.io)
            return websocket_done(environ)
        self._read_websocket(sock, ws, probe=True)
        return websocket_done(environ)

    def _read_websocket(
        self,
        sock: Socket,
        ws: WebSocketConnection | ForeignWebSocket,
        probe: bool,
    ) -> None:
        """Read the WebSocket until it ends. Under a cooperative backend the reader runs the
        handlers itself (``ReaderRelay``), and may hand the reading to another task: this one
        (the WSGI server's) then waits for the connection to end before it returns."""
        if not self.backend.cooperative:
            self._read_loop(sock, ws, probe, None)
            return
        backend = cast(Backend, self.backend)  # a WSGI server's: greenlets or threads
        relay = ReaderRelay(backend, self._read_loop, sock, ws, False)
        sock.relay = relay
        if not self._read_loop(sock, ws, probe, relay):
            assert relay.done is not None  # made by the hand-over
            relay.done.wait()

    def _read_loop(
        self,
        sock: Socket,
        ws: WebSocketConnection | ForeignWebSocket,
        probe: bool,
        relay: ReaderRelay | None,
    ) -> bool:
        """Read and dispatch until the WebSocket ends (True: this task ended it) or the reading
        was handed to another task (False). ``probe``: this is an upgrade's probe, until the
        core says the session adopts it."""
        session = sock.session
        while True:
            message = ws.receive()
            if message is None:
                break
            events, outcome = self._websocket_message(sock, ws, message, probe)
            if outcome.adopt:
                probe = False
            if outcome.end is not None:
                break
            if relay is None or probe:
                self.dispatch(sock, events)
            elif not relay.dispatch(self.dispatch, sock, events):
                return False
            if session.closed:
                break
        if sock.relay is relay:
            sock.relay = None
        self._websocket_ended(sock, ws, probe)
        return True

    def _poll(self, sock: Socket, start_response: Any, cors: list[Any]) -> Any:
        answer = serve_poll(self, sock)
        if isinstance(answer, Route):
            return _reject(start_response, answer, cors)
        return http.respond(start_response, 200, answer, cors)

    def _post(
        self,
        sock: Socket,
        environ: dict[str, Any],
        start_response: Any,
        cors: list[Any],
    ) -> Any:
        rejected = serve_post(self, sock, functools.partial(http.read_body, environ))
        if rejected is not None:
            return _reject(start_response, rejected, cors)
        return http.respond(start_response, 200, b"ok", cors)


def _reject(
    start_response: http.StartResponse, where: Route, cors: list[Any] | None = None
) -> http.Response:
    return http.error(start_response, where.status, where.message, where.code, cors)
