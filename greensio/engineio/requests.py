"""How the Engine.IO server answers HTTP: the WSGI entry point, polling GET/POST, WebSocket
connections and the upgrade.

``EngineIOServer`` (greensio/engineio/server.py) holds the API, the sessions and the dispatch of
the core's events; this mixin holds the request side. Every protocol decision is the core's
(``greensio.protocol.engineio.session``); these methods move bytes between the WSGI server, the
core and the sockets.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from greensio.backends.base import Backend
from greensio.backends.relay import ReaderRelay
from greensio.backends.timers import Timers
from greensio.engineio.socket import EngineSocket
from greensio.exceptions import ProtocolError
from greensio.protocol.engineio.session import EngineSession, Event, RequestRejected, Transport
from greensio.transports import http, keepalive
from greensio.transports.coalescer import WriteCoalescer
from greensio.transports.foreign_websocket import ForeignWebSocket
from greensio.transports.websocket import (
    WebSocketConnection,
    accept_websocket,
    is_websocket_request,
)


class EngineIORequests:
    """The request side of ``EngineIOServer``; see the module docstring."""

    backend: Backend
    logger: logging.Logger
    sockets: dict[str, EngineSocket[EngineSession]]
    transports: tuple[str, ...]
    cors: http.CorsPolicy
    cookie: Any
    allow_upgrades: bool
    http_keepalive_takeover: bool
    max_http_buffer_size: int
    max_payload_packets: int
    poll_batch_packets: int
    ping_interval: float
    ping_timeout: float
    ping_grace: float
    coalescer: WriteCoalescer | None
    timers: Timers
    atomic_sections: bool

    if TYPE_CHECKING:  # provided by EngineIOServer

        def dispatch(self, sock: EngineSocket[EngineSession], events: list[Event]) -> None: ...
        def generate_id(self) -> str: ...
        def _trigger(self, event: str, *args: Any) -> Any: ...
        def _forget(self, sock: EngineSocket[EngineSession]) -> None: ...

    # --- WSGI entry point ------------------------------------------------------------------------
    def handle_request(self, environ: dict[str, Any], start_response: http.StartResponse) -> Any:
        """Serve one Engine.IO HTTP request (polling GET/POST, or a WebSocket upgrade)."""
        if self.http_keepalive_takeover and "gunicorn.socket" in environ:
            q = http.query(environ)
            if self._kept_alive(q):
                environ["greensio.query"] = q
                served = keepalive.serve_connection(
                    environ, self.max_http_buffer_size, self._kept_alive, self._handle_request
                )
                if served is not None:
                    return served
        return self._handle_request(environ, start_response)

    def _kept_alive(self, q: dict[str, str]) -> bool:
        """Whether a request with query ``q`` may be served on a taken-over connection: a polling
        request of a polling session this server knows."""
        if (
            q.get("EIO") != "4"
            or q.get("transport") != "polling"
            or "polling" not in self.transports
        ):
            return False
        sock = self.sockets.get(q.get("sid", ""))
        return sock is not None and sock.session.transport is Transport.POLLING

    def _handle_request(self, environ: dict[str, Any], start_response: http.StartResponse) -> Any:
        if not self.cors.allows(environ):
            self.logger.info("refused origin %r", environ.get("HTTP_ORIGIN"))
            return http.error(start_response, 400, "Not an accepted origin", 4)
        cors = self.cors.headers(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            return http.respond(start_response, 200, b"", cors)
        q = environ.get("greensio.query") or http.query(environ)
        if q.get("EIO") != "4":
            return http.error(start_response, 400, "Unsupported protocol version", 5, cors)
        transport = q.get("transport")
        if transport not in self.transports:
            return http.error(start_response, 400, "Transport unknown", 0, cors)
        sid = q.get("sid")
        if transport == "polling":
            http.set_no_delay(environ)
        if sid is None:
            if method != "GET":
                return http.error(start_response, 400, "Bad handshake method", 2, cors)
            if transport == "websocket":
                return self._open_websocket(environ, start_response, cors)
            return self._open_polling(environ, start_response, cors)
        sock = self.sockets.get(sid)
        if sock is None:
            return http.error(start_response, 400, "Session ID unknown", 1, cors)
        if transport == "websocket":
            return self._upgrade(sock, environ, start_response, cors)
        if method == "GET":
            return self._poll(sock, start_response, cors)
        if method == "POST":
            return self._post(sock, environ, start_response, cors)
        return http.error(start_response, 400, "Bad request", 3, cors)

    def _new_socket(
        self, environ: dict[str, Any], transport: Transport
    ) -> EngineSocket[EngineSession] | None:
        upgrades = ("websocket",) if self.allow_upgrades and "websocket" in self.transports else ()
        session = EngineSession(
            self.generate_id(),
            transport=transport,
            now=self.backend.monotonic(),
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            ping_grace=self.ping_grace,
            max_payload=self.max_http_buffer_size,
            upgrades=upgrades,
            max_payload_packets=self.max_payload_packets,
            poll_batch_packets=self.poll_batch_packets,
        )
        sock: EngineSocket[EngineSession] = EngineSocket(self, session, session.sid, environ)
        self.sockets[sock.sid] = sock
        if self._trigger("connect", sock.sid, environ) is False:
            del self.sockets[sock.sid]
            return None
        return sock

    def _cookie_headers(self, sid: str) -> list[tuple[str, str]]:
        if not self.cookie:
            return []
        attrs = {"name": self.cookie} if isinstance(self.cookie, str) else dict(self.cookie)
        name = attrs.pop("name", "io")
        attrs.setdefault("path", "/")
        attrs.setdefault("SameSite", "Lax")
        parts = [f"{name}={sid}"] + [
            k if v is True else f"{k}={v}" for k, v in attrs.items() if v not in (None, False)
        ]
        return [("Set-Cookie", "; ".join(parts))]

    def _open_polling(self, environ: dict[str, Any], start_response: Any, cors: list[Any]) -> Any:
        sock = self._new_socket(environ, Transport.POLLING)
        if sock is None:
            return http.error(start_response, 401, "Unauthorized", 4, cors)
        sock.schedule()
        headers = cors + self._cookie_headers(sock.sid)
        return http.respond(start_response, 200, sock.session.open_packet(), headers)

    def _open_websocket(self, environ: dict[str, Any], start_response: Any, cors: list[Any]) -> Any:
        if not is_websocket_request(environ):
            return http.error(start_response, 400, "Bad request", 3, cors)
        sock = self._new_socket(environ, Transport.WEBSOCKET)
        if sock is None:
            return http.error(start_response, 401, "Unauthorized", 4, cors)
        ws = self._accept_websocket(sock, environ, start_response)
        if ws is None:
            with sock.lock:
                events = sock.session.transport_closed(error=True)
            self.dispatch(sock, events)
            return http.error(start_response, 400, "Bad request", 3, cors)
        with sock.lock:
            ws.send(sock.session.open_packet())
            sock.ws = ws
            sock.flush()
            sock.schedule()
        self._read_websocket(sock, ws, probing=False)
        return []

    def _accept_websocket(
        self, sock: EngineSocket[EngineSession], environ: dict[str, Any], start_response: Any
    ) -> WebSocketConnection | ForeignWebSocket | None:
        return accept_websocket(
            environ,
            start_response,
            max_size=self.max_http_buffer_size,
            lock=sock.lock,
            coalescer=self.coalescer,
            blocking_lock=self.backend.lock,
        )

    def _upgrade(
        self,
        sock: EngineSocket[EngineSession],
        environ: dict[str, Any],
        start_response: Any,
        cors: list[Any],
    ) -> Any:
        if not is_websocket_request(environ):
            return http.error(start_response, 400, "Bad request", 3, cors)
        with sock.lock:
            attached = sock.session.attach_probe()
        ws = self._accept_websocket(sock, environ, start_response)
        if ws is None:
            if attached:
                with sock.lock:
                    sock.session.detach_probe()
            return http.error(start_response, 400, "Bad request", 3, cors)
        if not attached:
            ws.close()  # refused as attach_probe says: accepted, then closed
            return []
        self._read_websocket(sock, ws, probing=True)
        return []

    def _read_websocket(
        self,
        sock: EngineSocket[EngineSession],
        ws: WebSocketConnection | ForeignWebSocket,
        probing: bool,
    ) -> None:
        """Read the WebSocket until it ends. Under a cooperative backend the reader runs the
        handlers itself (``ReaderRelay``), and may hand the reading to another task: this one
        (the WSGI server's) then waits for the connection to end before it returns."""
        if not self.backend.cooperative:
            self._read_loop(sock, ws, probing, None)
            return
        relay = ReaderRelay(self.backend, self._read_loop, sock, ws, False)
        sock.relay = relay
        if not self._read_loop(sock, ws, probing, relay):
            assert relay.done is not None  # made by the hand-over
            relay.done.wait()

    def _read_loop(
        self,
        sock: EngineSocket[EngineSession],
        ws: WebSocketConnection | ForeignWebSocket,
        probing: bool,
        relay: ReaderRelay | None,
    ) -> bool:
        """Read and dispatch until the WebSocket ends (True: this task ended it) or the reading
        was handed to another task (False)."""
        session = sock.session
        while True:
            message = ws.receive()
            if message is None:
                break
            now = self.backend.monotonic()
            with sock.lock:
                if probing:
                    try:
                        events = session.receive_probe_message(message, now)
                    except ProtocolError as exc:
                        self.logger.info("%s: upgrade probe failed: %s", sock.sid, exc)
                        break
                    ws.send_many(list(session.take_probe_frames()))
                    if isinstance(ws, WebSocketConnection):
                        ws.flush_coalesced()  # 3probe before any later request is answered
                    if session.transport is Transport.WEBSOCKET:
                        probing = False
                        sock.ws = ws
                else:
                    events = session.receive_websocket_message(message, now)
                sock.flush()
                sock.schedule()
            if relay is None or probing:
                self.dispatch(sock, events)
            elif not relay.dispatch(self.dispatch, sock, events):
                return False
            if session.closed:
                break
        with sock.lock:
            if probing:
                session.detach_probe()
                events = []
            else:
                events = session.transport_closed()
        ws.close()
        if sock.relay is relay:
            sock.relay = None
        self.dispatch(sock, events)
        return True

    def _poll(self, sock: EngineSocket[EngineSession], start_response: Any, cors: list[Any]) -> Any:
        session = sock.session
        with sock.lock:
            try:
                session.begin_poll(self.backend.monotonic())
                rejected = None
            except RequestRejected as exc:
                sock.flush()
                rejected = exc
        if rejected is not None:
            events = rejected.events
            self.dispatch(sock, events)
            return http.error(start_response, 400, "Bad request", 3, cors)
        wait = self.ping_interval + self.ping_timeout + self.ping_grace
        while True:
            with sock.lock:
                sock.wake.clear()
                payload = session.end_poll()
            if payload is not None:
                if session.closed and not session.has_output():
                    self._forget(sock)
                return http.respond(start_response, 200, payload, cors)
            sock.wake.wait(wait)

    def _post(
        self,
        sock: EngineSocket[EngineSession],
        environ: dict[str, Any],
        start_response: Any,
        cors: list[Any],
    ) -> Any:
        body = http.read_body(environ, self.max_http_buffer_size)
        if body is None:
            return http.error(start_response, 413, "Payload too large", 3, cors)
        session = sock.session
        with sock.lock:
            try:
                events = session.receive_poll_body(body, self.backend.monotonic())
                status = 200
            except RequestRejected as exc:
                events, status = exc.events, 400
            sock.flush()
            sock.schedule()
        self.dispatch(sock, events)
        if status != 200:
            return http.error(start_response, 400, "Bad request", 3, cors)
        return http.respond(start_response, 200, b"ok", cors)
