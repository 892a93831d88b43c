"""An Engine.IO v4 server for WSGI, in python-engineio's shape; ``greensio.Server.eio`` is one.

Handlers: ``connect(sid, environ)`` (return False to refuse), ``message(sid, data)``,
``disconnect(sid, reason)``. With ``async_handlers=True`` each message handler runs in its own
task; the Socket.IO server uses False and dispatches itself, keeping each client's order.
"""

from __future__ import annotations

import logging
import secrets
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from greensio.backends import get_backend
from greensio.engineio_socket import EngineSocket, PreparedMessages
from greensio.exceptions import ProtocolError, UsageError
from greensio.handlers import call_flexibly
from greensio.protocol.engineio_session import EngineSession, Event, RequestRejected, Transport
from greensio.protocol.events import MessageReceived, SessionClosed
from greensio.timers import Timers
from greensio.transports import http, keepalive
from greensio.transports.websocket import (
    ForeignWebSocket,
    WebSocketConnection,
    WriteCoalescer,
    accept_websocket,
    is_websocket_request,
)

default_logger = logging.getLogger("greensio.engineio")

_HANDLER_NAMES = ("connect", "message", "disconnect")


def make_logger(logger: bool | logging.Logger, default: logging.Logger) -> logging.Logger:
    """python-socketio's ``logger`` argument: False (errors only), True (INFO) or a Logger."""
    if isinstance(logger, logging.Logger):
        return logger
    if logger:
        default.setLevel(logging.INFO)
    elif default.level == logging.NOTSET:
        default.setLevel(logging.ERROR)
    return default


#: python-engineio options greensio accepts and does not need (no HTTP compression of polling
#: responses; the heartbeat already reaps dead clients).
_IGNORED_OPTIONS = frozenset({"http_compression", "compression_threshold", "monitor_clients"})


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - _IGNORED_OPTIONS)
    if unknown:
        warnings.warn(f"greensio ignores unknown option(s) {unknown}", UserWarning, stacklevel=3)


class EngineIOServer:
    """Engine.IO server. Args follow python-engineio's ``Server`` (times in seconds)."""

    def __init__(
        self,
        async_mode: str | None = None,
        ping_interval: float | tuple[float, float] = 25,
        ping_timeout: float = 20,
        max_http_buffer_size: int = 1_000_000,
        allow_upgrades: bool = True,
        transports: Iterable[str] | None = None,
        cors_allowed_origins: str | Iterable[str] | None = None,
        cors_credentials: bool = True,
        cookie: str | dict[str, Any] | None = None,
        logger: bool | logging.Logger = False,
        async_handlers: bool = True,
        max_payload_packets: int = 1000,
        poll_batch_packets: int = 16,
        http_keepalive_takeover: bool = True,
        **unknown: Any,
    ) -> None:
        _check_options(unknown)
        self.backend = get_backend(async_mode)
        self.async_mode = self.backend.name
        # python-engineio also takes (interval, grace): the grace is extra time for a late PONG.
        if isinstance(ping_interval, (tuple, list)):
            interval, self.ping_grace = float(ping_interval[0]), float(ping_interval[1])
        else:
            interval, self.ping_grace = float(ping_interval), 0.0
        self.ping_interval = interval
        self.ping_timeout = float(ping_timeout)
        self.max_http_buffer_size = max_http_buffer_size
        self.allow_upgrades = allow_upgrades
        self.transports = tuple(transports or ("polling", "websocket"))
        for name in self.transports:
            if name not in ("polling", "websocket"):
                raise UsageError(f"unknown transport {name!r}")
        self.cors = http.CorsPolicy(cors_allowed_origins, cors_credentials)
        self.cookie = cookie
        self.logger = make_logger(logger, default_logger)
        self.async_handlers = async_handlers
        self.max_payload_packets = max_payload_packets
        self.poll_batch_packets = poll_batch_packets
        #: Serve the polling requests of a keep-alive connection from gunicorn's gevent worker
        #: here (greensio/transports/keepalive.py) rather than through gunicorn's per-request path.
        self.http_keepalive_takeover = http_keepalive_takeover and self.backend.name == "gevent"
        self.handlers: dict[str, Callable[..., Any]] = {}
        self._on_message: Callable[[str, Any], Any] = lambda sid, data: None
        self.sockets: dict[str, EngineSocket[EngineSession]] = {}
        self.timers = Timers(self.backend)
        #: Under gevent, WebSocket writes made in one loop pass leave in one send per connection.
        self.coalescer = WriteCoalescer(self.backend) if self.backend.name == "gevent" else None
        #: With the coalescer no write blocks: nothing yields inside a socket's locked sections.
        #: (gevent-websocket's sockets, whose writes do block, get a real lock of their own.)
        self.atomic_sections = self.coalescer is not None

    # --- application API -------------------------------------------------------------------------
    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Register a handler for 'connect', 'message' or 'disconnect' (usable as a decorator)."""
        if event not in _HANDLER_NAMES:
            raise UsageError(f"unknown Engine.IO event {event!r}")

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.handlers[event] = fn
            if event == "message":
                self._on_message = self._message_dispatcher(fn)
            return fn

        return register(handler) if handler is not None else register

    def send(self, sid: str, data: str | bytes) -> None:
        """Send one message to a client; quietly does nothing if it is gone."""
        self.send_messages(sid, [data])

    def send_messages(self, sid: str, messages: list[str | bytes]) -> None:
        """Send messages as one uninterrupted unit (a Socket.IO packet and its attachments)."""
        sock = self.sockets.get(sid)
        if sock is not None:
            sock.send_messages(messages)

    def send_prepared(self, sid: str, prepared: PreparedMessages) -> None:
        """Send one broadcast's messages, framed once for every WebSocket recipient."""
        sock = self.sockets.get(sid)
        if sock is not None:
            sock.send_prepared(prepared)

    def disconnect(self, sid: str | None = None) -> None:
        """Close one client, or every client when ``sid`` is None."""
        targets = list(self.sockets.values()) if sid is None else [self.sockets.get(sid)]
        for sock in targets:
            if sock is not None:
                sock.close()

    def transport(self, sid: str) -> str:
        return self._socket(sid).session.transport.value

    def get_environ(self, sid: str) -> dict[str, Any] | None:
        sock = self.sockets.get(sid)
        return sock.environ if sock is not None else None

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        self.backend.sleep(seconds)

    def shutdown(self) -> None:
        self.disconnect()
        self.timers.stop()

    def generate_id(self) -> str:
        return secrets.token_urlsafe(15)

    def _socket(self, sid: str) -> EngineSocket[EngineSession]:
        try:
            return self.sockets[sid]
        except KeyError:
            raise UsageError(f"no Engine.IO session {sid!r}") from None

    # --- events from the core --------------------------------------------------------------------
    def dispatch(self, sock: EngineSocket[EngineSession], events: list[Event]) -> None:
        for event in events:
            if type(event) is MessageReceived:
                self._on_message(sock.sid, event.data)
            elif isinstance(event, SessionClosed):
                self._closed(sock, event.reason)

    def _closed(self, sock: EngineSocket[EngineSession], reason: str) -> None:
        if sock.session.awaits_last_poll:
            # Keep the session for the client's next GET, which fetches the CLOSE (as the
            # reference server does); forget it after a heartbeat's worth of time regardless.
            deadline = self.backend.monotonic() + self.ping_interval + self.ping_timeout
            self.timers.call_at(deadline, self._forget, sock)
        else:
            self._forget(sock)
        sock.wake.set()
        if sock.ws is not None:
            sock.ws.close()
        self.logger.info("%s: closed (%s)", sock.sid, reason)
        self._trigger("disconnect", sock.sid, reason)

    def _forget(self, sock: EngineSocket[EngineSession]) -> None:
        if self.sockets.get(sock.sid) is sock:
            del self.sockets[sock.sid]

    def _trigger(self, event: str, *args: Any) -> Any:
        """Run the 'connect' or 'disconnect' handler ('message' goes through ``_on_message``)."""
        handler = self.handlers.get(event)
        if handler is None:
            return None
        return self._run_handler(handler, args, flexible=event == "disconnect")

    def _message_dispatcher(self, handler: Callable[..., Any]) -> Callable[[str, Any], Any]:
        """What ``dispatch`` calls per message, with the ``async_handlers`` choice made once, at
        registration: the handler in a task of its own, or right here."""
        if self.async_handlers:
            return lambda sid, data: self.backend.spawn(self._run_handler, handler, (sid, data))

        def call(sid: str, data: Any) -> None:
            try:
                handler(sid, data)
            except Exception:
                self.logger.exception("Engine.IO handler failed")

        return call

    def _run_handler(
        self, handler: Callable[..., Any], args: tuple[Any, ...], flexible: bool = False
    ) -> Any:
        """Run an application handler; an exception is logged (and refuses a connect).

        Only the disconnect handler may leave out an argument (its reason), as in python-engineio.
        """
        try:
            return call_flexibly(handler, *args) if flexible else handler(*args)
        except Exception:
            self.logger.exception("Engine.IO handler failed")
            return False

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
        if not attached:
            return http.error(start_response, 400, "Bad request", 3, cors)
        ws = self._accept_websocket(sock, environ, start_response)
        if ws is None:
            with sock.lock:
                sock.session.detach_probe()
            return http.error(start_response, 400, "Bad request", 3, cors)
        self._read_websocket(sock, ws, probing=True)
        return []

    def _read_websocket(
        self,
        sock: EngineSocket[EngineSession],
        ws: WebSocketConnection | ForeignWebSocket,
        probing: bool,
    ) -> None:
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
                    if session.transport is Transport.WEBSOCKET:
                        probing = False
                        sock.ws = ws
                else:
                    events = session.receive_websocket_message(message, now)
                sock.flush()
                sock.schedule()
            self.dispatch(sock, events)
            if session.closed:
                break
        with sock.lock:
            if probing:
                session.detach_probe()
                events = []
            else:
                events = session.transport_closed()
        ws.close()
        self.dispatch(sock, events)

    def _poll(self, sock: EngineSocket[EngineSession], start_response: Any, cors: list[Any]) -> Any:
        session = sock.session
        with sock.lock:
            try:
                session.begin_poll()
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
