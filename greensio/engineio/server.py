"""An Engine.IO v4 server for WSGI, in python-engineio's shape; ``greensio.Server.eio`` is one.

Handlers: ``connect(sid, environ)`` (return False to refuse), ``message(sid, data)``,
``disconnect(sid, reason)``. With ``async_handlers=True`` each message handler runs in its own
task; the Socket.IO server uses False and dispatches itself, keeping each client's order.
"""

from __future__ import annotations

import functools
import logging
import secrets
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Protocol, cast

from greensio._logging import make_logger
from greensio.backends import get_backend
from greensio.backends.base import Backend, CoreBackend
from greensio.backends.relay import run_here_in_order
from greensio.backends.timers import timers_for
from greensio.engineio import shutdown as graceful
from greensio.engineio.forwarding import Forwarding, OwnerRegistry
from greensio.engineio.requests import RequestHandler, RequestRouting, RequestSettings
from greensio.engineio.socket import EngineSocket
from greensio.exceptions import UsageError
from greensio.handlers import call_flexibly
from greensio.protocol.engineio.session import EngineSession, Event
from greensio.protocol.events import MessageReceived, SessionClosed, TransportUpgraded
from greensio.transports import http
from greensio.transports.coalescer import WriteCoalescer
from greensio.transports.frames import PreparedMessages

default_logger = logging.getLogger("greensio.engineio")

_HANDLER_NAMES = ("connect", "message", "disconnect")


#: python-engineio options greensio accepts and does not need (no HTTP compression of polling
#: responses; the heartbeat already reaps dead clients).
_IGNORED_OPTIONS = frozenset({"http_compression", "compression_threshold", "monitor_clients"})


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - _IGNORED_OPTIONS)
    if unknown:
        warnings.warn(f"greensio ignores unknown option(s) {unknown}", UserWarning, stacklevel=3)


#: ``max_outbound_buffer``'s default: 16 MiB waiting for one client that does not read.
DEFAULT_MAX_OUTBOUND_BUFFER = 16 * 1024 * 1024


class EngineObserver(Protocol):
    """What watches a server's sessions (``observer``; the admin UI's counters): called in the
    task that caused it, it must not block. ``sent`` gets the messages of one packet."""

    def engine_connected(self, sid: str) -> None: ...
    def engine_closed(self, sid: str, reason: str) -> None: ...
    def engine_upgraded(self, sid: str, transport: str) -> None: ...
    def engine_received(self, sid: str, data: str | bytes) -> None: ...
    def engine_sent(self, sid: str, messages: list[str | bytes]) -> None: ...


class EngineIOServer:
    """Engine.IO server. Args follow python-engineio's ``Server`` (times in seconds), plus:

    Args:
        max_outbound_buffer: most bytes that may wait to be sent to one client (a polling
            client that does not GET, a WebSocket whose kernel send buffer is full): past it
            the client is disconnected ("transport error") with a warning naming it. 16 MiB by
            default (keep it above the largest message sent); None or 0 for no limit.
        max_payload_packets: most packets one POST may carry (more is refused, never dropped).
        poll_batch_packets: most packets one GET response carries.
        http_keepalive_takeover: serve a gunicorn gevent worker's keep-alive polling
            connections here (greensio/transports/keepalive.py).
        backend: a ``Backend`` in place of ``async_mode``'s (tests: ``FakeBackend``).
    """

    #: The request side: WSGI here, ASGI in ``AsyncEngineIOServer``.
    request_handler_class: type[RequestRouting] = RequestHandler

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
        max_outbound_buffer: int | None = DEFAULT_MAX_OUTBOUND_BUFFER,
        backend: CoreBackend | None = None,
        **unknown: Any,
    ) -> None:
        _check_options(unknown)
        #: ``backend``: a ``Backend`` object in place of ``async_mode``'s (tests: ``FakeBackend``).
        self.backend: CoreBackend = backend if backend is not None else get_backend(async_mode)
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
        self.max_outbound_buffer = max_outbound_buffer or None
        #: Serve the polling requests of a keep-alive connection from gunicorn's gevent worker
        #: here (greensio/transports/keepalive.py) rather than through gunicorn's per-request path.
        self.http_keepalive_takeover = http_keepalive_takeover and self.backend.cooperative_sockets
        self.handlers: dict[str, Callable[..., Any]] = {}
        self._on_message: Callable[[str, Any], Any] = lambda sid, data: None
        self.sockets: dict[str, EngineSocket[EngineSession]] = {}
        #: Who watches the sessions (``EngineObserver``): None costs a check per send and event.
        self.observer: EngineObserver | None = None
        #: Set by ``attach_forwarding`` (a pub/sub manager: workers without sticky sessions).
        self.forwarding: Forwarding | None = None
        self.timers = timers_for(self.backend)
        #: True from ``shutdown()`` on: handshakes get a 503 (greensio/engineio/shutdown.py).
        self.shutting_down = False
        #: One entry per Socket.IO event handler running (a shutdown's drain waits for them).
        self.running_handlers: list[Any] = []
        self._gunicorn_watched = False
        #: Under gevent, WebSocket writes made in one loop pass leave in one send per connection.
        self.coalescer = WriteCoalescer(self.backend) if self.backend.coalesces_writes else None
        #: True with the coalescer, since no write blocks then, and nothing yields inside a
        #: socket's locked sections.
        #: (gevent-websocket's sockets, whose writes do block, get a real lock of their own.)
        self.atomic_sections = self.coalescer is not None
        self.requests = self.request_handler_class(
            self,
            self.sockets,
            RequestSettings(
                transports=self.transports,
                allow_upgrades=allow_upgrades,
                cors=self.cors,
                cookie=cookie,
                max_http_buffer_size=max_http_buffer_size,
                max_payload_packets=max_payload_packets,
                poll_batch_packets=poll_batch_packets,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                ping_grace=self.ping_grace,
                keepalive_takeover=self.http_keepalive_takeover,
            ),
            self.logger,
            self.coalescer,
            new_sid=self.generate_id,
            on_connect=self._connected,
            forget=self._forget,
        )

    # --- application API -------------------------------------------------------------------------
    def handle_request(self, environ: dict[str, Any], start_response: http.StartResponse) -> Any:
        """Serve one Engine.IO HTTP request (polling GET/POST, or a WebSocket upgrade)."""
        if self.shutting_down:
            refused = graceful.refuse_new_session(environ, start_response)
            if refused is not None:
                return refused
        elif not self._gunicorn_watched and "gunicorn.socket" in environ:
            self._watch_gunicorn()
        requests = self.requests
        assert isinstance(requests, RequestHandler)
        if self.forwarding is not None:  # another worker's session: served through its owner
            forwarded = self.forwarding.serve(environ, start_response)
            if forwarded is not None:
                return forwarded
        return requests.handle_request(environ, start_response)

    def attach_forwarding(self, registry: OwnerRegistry) -> None:
        """Serve other workers' sessions through their owners (greensio/engineio/forwarding.py)."""
        requests = self.requests
        assert isinstance(requests, RequestHandler)
        self.forwarding = Forwarding(
            registry,
            requests.handle_request,
            self.sockets.__contains__,
            self.backend,
            self.logger,
            timeout=self.ping_interval + self.ping_timeout + 30,
        )

    def _watch_gunicorn(self) -> None:
        """Shut down when the gunicorn worker serving this is told to stop (SIGTERM, a reload,
        ``max_requests``): greensio/engineio/shutdown.py."""
        self._gunicorn_watched = True
        worker = graceful.find_gunicorn_worker()
        if worker is not None:
            backend = self._blocking_backend()
            backend.spawn(graceful.watch_worker, worker, backend.sleep, self._worker_stopping)

    def _worker_stopping(self, timeout: float, hold: Callable[[], bool]) -> None:
        if not self.shutting_down:
            self.logger.info("gunicorn worker stopping: closing %d session(s)", len(self.sockets))
            self.shutdown(timeout, hold=hold)

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
            if self.observer is not None:
                self.observer.engine_sent(sid, messages)

    def send_prepared(self, sid: str, prepared: PreparedMessages) -> None:
        """Send one broadcast's messages, framed once for every WebSocket recipient."""
        sock = self.sockets.get(sid)
        if sock is not None:
            sock.send_prepared(prepared)
            if self.observer is not None:
                self.observer.engine_sent(sid, prepared.messages)

    def disconnect(self, sid: str | None = None) -> None:
        """Close one client, or every client when ``sid`` is None."""
        targets = list(self.sockets.values()) if sid is None else [self.sockets.get(sid)]
        for sock in targets:
            if sock is not None:
                sock.close()

    def in_order_runner(self, sid: str, tasks: Any) -> Callable[..., None]:
        """How to run ``sid``'s handlers in order on ``tasks`` (its ``TaskQueue``) from here: in
        the calling task when that is the connection's WebSocket reader, where blocking hands the
        reading on (greensio/backends/relay.py); else ``tasks.run_in_order``."""
        sock = self.sockets.get(sid)
        relay = sock.relay if sock is not None else None
        if relay is not None and relay.may_run_inline():
            return functools.partial(run_here_in_order, tasks)
        run_in_order: Callable[..., None] = tasks.run_in_order
        return run_in_order

    def transport(self, sid: str) -> str:
        return self._socket(sid).session.transport.value

    def get_environ(self, sid: str) -> dict[str, Any] | None:
        sock = self.sockets.get(sid)
        return sock.environ if sock is not None else None

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        self._blocking_backend().sleep(seconds)

    def _blocking_backend(self) -> Backend:
        """The backend, for the greenlet front-end's blocking calls (never the asyncio one's)."""
        return cast(Backend, self.backend)

    def shutdown(
        self, timeout: float = graceful.DRAIN_TIMEOUT, hold: Callable[[], bool] | None = None
    ) -> None:
        """Close every session gracefully: refuse new ones (503), give running handlers and
        queued output up to ``timeout`` seconds (greenlet front-ends; and ``hold``, while it
        answers True), then close each transport (a pending GET gets a NOOP), which the client
        reconnects after (greensio/engineio/shutdown.py)."""
        self.shutting_down = True
        if self.async_mode != "asgi":  # the asyncio front-end drains in AsyncServer.shutdown
            requests = self.requests
            assert isinstance(requests, RequestHandler)
            requests.kept_alive.close()  # no request for a new worker reaches this one
            self.drain(timeout, hold)
        for sock in list(self.sockets.values()):
            # No CLOSE packet: a client told "server disconnect" does not reconnect (the JS
            # client, python-socketio's); a dropped transport makes both reconnect.
            with sock.lock:
                events = sock.session.transport_closed()
                sock.flush()
            self.dispatch(sock, events)
        self.timers.stop()
        if self.forwarding is not None:
            self.forwarding.close()

    def drain(self, timeout: float, hold: Callable[[], bool] | None = None) -> None:
        """Wait up to ``timeout`` seconds for the running handlers to end and every session's
        queued output to leave (and for ``hold`` to answer False)."""
        backend = self._blocking_backend()
        deadline = backend.monotonic() + timeout
        while (self.busy() or (hold is not None and hold())) and backend.monotonic() < deadline:
            backend.sleep(0.05)

    def busy(self) -> bool:
        """Whether a Socket.IO handler is running, or some session still has output waiting for
        its client."""
        if self.running_handlers:
            return True
        return any(sock.session.has_output() for sock in list(self.sockets.values()))

    def generate_id(self) -> str:
        if self.forwarding is not None:
            return self.forwarding.new_sid()  # names this worker (forwarding.py)
        return secrets.token_urlsafe(15)

    def _socket(self, sid: str) -> EngineSocket[EngineSession]:
        try:
            return self.sockets[sid]
        except KeyError:
            raise UsageError(f"no Engine.IO session {sid!r}") from None

    # --- events from the core --------------------------------------------------------------------
    def dispatch(self, sock: EngineSocket[EngineSession], events: list[Event]) -> None:
        observer = self.observer
        for event in events:
            if type(event) is MessageReceived:
                if observer is not None:
                    observer.engine_received(sock.sid, event.data)
                self._on_message(sock.sid, event.data)
            elif isinstance(event, SessionClosed):
                if observer is not None:
                    observer.engine_closed(sock.sid, event.reason)
                self._closed(sock, event.reason)
            elif observer is not None and type(event) is TransportUpgraded:
                observer.engine_upgraded(sock.sid, sock.session.transport.value)

    def _connected(self, sid: str, environ: dict[str, Any]) -> Any:
        """The 'connect' handler's answer (False refuses), the observer told of an accepted one."""
        accepted = self._trigger("connect", sid, environ)
        if accepted is not False and self.observer is not None:
            self.observer.engine_connected(sid)
        return accepted

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
