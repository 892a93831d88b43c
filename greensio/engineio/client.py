# Generated from greensio/engineio/async_client.py by scripts/unasync.py: do not edit.
"""An Engine.IO v4 client in python-engineio's shape; ``greensio.Client.eio`` is one.

Handlers (plain functions: they never wait): ``connect()``, ``message(data)``,
``disconnect(reason)``. Long-polling runs two tasks (one GET at a time, and a writer that POSTs
whatever is queued); a WebSocket runs one reader task and writes from the caller. The upgrade
(polling → WebSocket) runs in its own task. Every decision is the core's
(``ClientEngineSession``); nothing waits while holding a socket's ``lock``.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin. Only the transports differ
in structure: h11 over asyncio streams and ``websockets``' asyncio client here, urllib3 and
``websockets``' sans-I/O layer over a blocking socket in the twin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from greensio import exceptions
from greensio._logging import make_logger
from greensio.backends import get_backend
from greensio.backends.base import Backend, EventLike
from greensio.backends.timers import TimerLoop, timers_for
from greensio.engineio.socket import EngineSocket
from greensio.protocol.engineio.client import ClientEngineSession
from greensio.protocol.engineio.session import Transport
from greensio.protocol.events import MessageReceived, SessionClosed, SessionOpened
from greensio.transports.http_client import HttpClient
from greensio.transports.websocket_client import ClientWebSocket, connect_websocket

default_logger = logging.getLogger("greensio.engineio.client")

ClientSocket = EngineSocket[ClientEngineSession]


def engineio_url(url: str, path: str, transport: str, sid: str | None = None) -> str:
    """``url`` with the Engine.IO path and query (EIO=4, transport, sid); ws:// for WebSocket."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    if transport == "websocket":
        scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    else:
        scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    query = {"EIO": "4", "transport": transport}
    if sid is not None:
        query["sid"] = sid
    extra = parts.query + "&" if parts.query else ""
    return urlunsplit(
        (scheme, parts.netloc, "/" + path.strip("/") + "/", extra + urlencode(query), "")
    )


class EngineIOClient:
    """Engine.IO client. Args follow python-engineio's ``Client``.

    Args:
        request_timeout: seconds for each HTTP request and the WebSocket handshake.
        http_session: the greenlet client's ``urllib3.PoolManager`` for long-polling (the
            asyncio client refuses one: its HTTP client is built in).
        ssl_verify: verify TLS certificates (on by default).
        websocket_extra_options: ``{'ssl_context': ...}`` for the WebSocket connection (and, in
            the asyncio client, for long-polling too).
    """

    def __init__(
        self,
        async_mode: str | None = None,
        logger: bool | logging.Logger = False,
        request_timeout: float = 5,
        http_session: Any = None,
        ssl_verify: bool = True,
        websocket_extra_options: Mapping[str, Any] | None = None,
        max_message_size: int = 100_000_000,
    ) -> None:
        self.backend = self._backend(async_mode)
        self.async_mode = self.backend.name
        self.logger = make_logger(logger, default_logger)
        self.request_timeout = request_timeout
        self.http_session = http_session
        self.ssl_verify = ssl_verify
        self.websocket_options = dict(websocket_extra_options or {})
        self.max_message_size = max_message_size
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.timers: TimerLoop = timers_for(self.backend)
        self.atomic_sections = False  # the greenlet client's writes block under the socket's lock
        self.sock: ClientSocket | None = None
        self.state = "disconnected"
        self._http: HttpClient | None = None
        self._url = ""
        self._path = "engine.io"
        self._done = self.backend.event()
        self._done.set()

    def _backend(self, async_mode: str | None) -> Backend:
        """The backend for ``async_mode`` (a test may subclass to choose another)."""
        return get_backend(async_mode)

    # --- application API -------------------------------------------------------------------------
    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Register a handler for 'connect', 'message' or 'disconnect' (or decorate)."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.handlers[event] = fn
            return fn

        return register(handler) if handler is not None else register

    @property
    def sid(self) -> str | None:
        return self.sock.session.sid if self.sock is not None else None

    def transport(self) -> str | None:
        return self.sock.session.transport.value if self.sock is not None else None

    def connect(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        transports: list[str] | None = None,
        engineio_path: str = "engine.io",
    ) -> None:
        """Open the connection; returns once the handshake is done.

        Raises:
            ConnectionError: the server could not be reached or refused the connection.
        """
        if self.state != "disconnected":
            raise exceptions.UsageError("already connected")
        transports = list(transports or ["polling", "websocket"])
        if not transports or any(t not in ("polling", "websocket") for t in transports):
            raise exceptions.UsageError(f"bad transports {transports!r}")
        self._url, self._path, self._headers = url, engineio_path, dict(headers or {})
        if self._http is not None:
            # The pool is kept across connections, but each one sends its own headers (a
            # reconnection may bring new ones: python-socketio's callable ``headers``).
            self._http.headers = dict(self._headers)
        self.state = "connecting"
        try:
            if transports[0] == "polling":
                self._connect_polling(allow_upgrade="websocket" in transports)
            else:
                self._connect_websocket()
        except BaseException:
            self.state = "disconnected"
            raise

    def send(self, data: str | bytes) -> None:
        self.send_messages([data])

    def send_messages(self, messages: list[str | bytes]) -> None:
        """Send messages as one unit. Raises ConnectionError when not connected."""
        sock = self.sock
        if sock is None or self.state != "connected":
            raise exceptions.ConnectionError("not connected")
        with sock.lock:
            if sock.session.closed:
                raise exceptions.ConnectionError("not connected")
            sock.session.send_messages(messages)
            sock.flush()

    def disconnect(self, abort: bool = False) -> None:
        """Close the connection (sending CLOSE unless ``abort``) and wait for its tasks."""
        sock = self.sock
        if sock is not None:
            if abort:
                with sock.lock:
                    events = sock.session.transport_closed()
                self.dispatch(sock, events)
            else:
                sock.close()
            self._done.wait(self.request_timeout)

    def wait(self) -> None:
        """Wait until the connection ends."""
        self._done.wait()

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        self.backend.sleep(seconds)

    # --- connecting ------------------------------------------------------------------------------
    def _new_socket(self, transport: Transport) -> ClientSocket:
        session = ClientEngineSession(transport)
        sock: ClientSocket = EngineSocket(self, session, "", {})
        self.sock = sock
        self._done.clear()
        return sock

    def _http_client(self) -> HttpClient:
        if self._http is None:
            self._http = HttpClient(
                self.http_session, ssl_verify=self.ssl_verify, headers=self._headers
            )
        return self._http

    def _open_websocket(self, sid: str | None) -> ClientWebSocket:
        return connect_websocket(
            engineio_url(self._url, self._path, "websocket", sid),
            self._headers,
            timeout=self.request_timeout,
            max_size=self.max_message_size,
            lock=self.backend.lock(),
            ssl_context=self.websocket_options.get("ssl_context"),
            ssl_verify=self.ssl_verify,
        )

    def _connect_polling(self, allow_upgrade: bool) -> None:
        status, body = self._http_client().request(
            "GET", engineio_url(self._url, self._path, "polling"), timeout=self.request_timeout
        )
        if status != 200:
            raise exceptions.ConnectionError(f"handshake refused with status {status}")
        sock = self._new_socket(Transport.POLLING)
        with sock.lock:
            events = sock.session.receive_poll_body(body, self.backend.monotonic())
        self._opened(sock, events)
        # Set by the poll loop or the writer when the request they ended was the last one the
        # upgrade waited for (the core's ``upgrade_may_complete()``), or the session closed.
        handover = self.backend.event()
        self.backend.spawn(self._poll_loop, sock, handover)
        self.backend.spawn(self._write_loop, sock, handover)
        if allow_upgrade and sock.session.can_upgrade():
            self.backend.spawn(self._upgrade, sock, handover)

    def _connect_websocket(self) -> None:
        ws = self._open_websocket(None)
        sock = self._new_socket(Transport.WEBSOCKET)
        message = ws.receive()
        with sock.lock:
            if message is None:
                events = sock.session.transport_closed(error=True)
            else:
                events = sock.session.receive_websocket_message(message, self.backend.monotonic())
            sock.ws = ws
        self._opened(sock, events)
        self.backend.spawn(self._read_websocket, sock, ws)

    def _opened(self, sock: ClientSocket, events: list[Any]) -> None:
        if not events or not isinstance(events[0], SessionOpened):
            if sock.ws is not None:
                sock.ws.close()
            self.sock = None
            self._done.set()
            raise exceptions.ConnectionError("the server did not open an Engine.IO session")
        sock.sid = events[0].sid
        self.state = "connected"
        with sock.lock:
            sock.flush()
            sock.schedule()
        self.logger.info("connected: sid %s over %s", sock.sid, sock.session.transport.value)
        self._trigger("connect")
        self.dispatch(sock, events[1:])

    # --- tasks -----------------------------------------------------------------------------------
    def _poll_loop(self, sock: ClientSocket, handover: EventLike) -> None:
        session = sock.session
        url = engineio_url(self._url, self._path, "polling", sock.sid)
        timeout = session.ping_interval + session.ping_timeout + self.request_timeout
        try:
            while True:
                with sock.lock:
                    if not session.begin_poll():
                        break
                try:
                    status, body = self._http_client().request("GET", url, timeout=timeout)
                except exceptions.ConnectionError as exc:
                    self.logger.info("poll failed: %s", exc)
                    status, body = 0, b""
                sock.traced("received payload", body)
                with sock.lock:
                    if status != 200:
                        events = session.transport_closed(error=status != 0)
                    else:
                        events = session.receive_poll_body(body, self.backend.monotonic())
                    sock.flush()
                # What this poll brought is dispatched before the GET counts as ended, so before
                # the upgrade may complete: the WebSocket's messages come after it, in order.
                self.dispatch(sock, events)
                with sock.lock:
                    session.poll_done()
                    self._hand_over_if_ready(session, handover)
        finally:
            self._task_ended(sock)

    def _write_loop(self, sock: ClientSocket, handover: EventLike) -> None:
        session = sock.session
        url = engineio_url(self._url, self._path, "polling", sock.sid)
        while True:
            sock.wake.wait(session.ping_interval)
            with sock.lock:
                sock.wake.clear()
                body = session.take_poll_body()
            if body is not None:
                sock.traced("sent payload", body)
                try:
                    status, _ = self._http_client().request(
                        "POST", url, body.encode("utf-8"), timeout=self.request_timeout
                    )
                except exceptions.ConnectionError:
                    status = 0
                with sock.lock:
                    session.post_done()
                    events = [] if status == 200 else session.transport_closed(error=status != 0)
                    self._hand_over_if_ready(session, handover)
                self.dispatch(sock, events)
            if (session.closed and not session.has_output()) or (
                session.transport is not Transport.POLLING
            ):
                return

    @staticmethod
    def _hand_over_if_ready(session: ClientEngineSession, handover: EventLike) -> None:
        """After a request ended (``lock`` held): wake the upgrade task if it may go on."""
        if session.upgrade_may_complete() or session.closed:
            handover.set()

    def _read_websocket(self, sock: ClientSocket, ws: ClientWebSocket) -> None:
        session = sock.session
        try:
            while True:
                message = ws.receive()
                sock.traced("received", *(() if message is None else (message,)))
                with sock.lock:
                    if message is None:
                        events = session.transport_closed()
                    else:
                        events = session.receive_websocket_message(
                            message, self.backend.monotonic()
                        )
                    sock.flush()
                self.dispatch(sock, events)
                if message is None or session.closed:
                    break
        finally:
            ws.close()
            self._task_ended(sock)

    def _upgrade(self, sock: ClientSocket, handover: EventLike) -> None:
        """Probe a WebSocket, let polling pause, switch (engine.io-protocol, "Upgrade")."""
        session = sock.session
        try:
            ws = self._open_websocket(sock.sid)
        except exceptions.ConnectionError as exc:
            self.logger.info("upgrade failed: %s", exc)
            return
        try:
            with sock.lock:
                ws.send_many(list(session.probe_frames()))
            answer = ws.receive()
            with sock.lock:
                session.receive_probe_message(answer if answer is not None else "")
                ready = session.upgrade_may_complete()
            # The GET in flight (answered with NOOP once the probe is in) and any POST must end
            # first: the core says when, and the task that ends the last one sets ``handover``.
            if not ready and not handover.wait(self.request_timeout):
                raise exceptions.ProtocolError("polling did not stop for the upgrade")
            with sock.lock:
                if session.closed:
                    raise exceptions.ConnectionError("closed during the upgrade")
                ws.send_many(list(session.complete_upgrade()))
                sock.ws = ws
                sock.wake.set()  # lets the POST writer see the switch and end
                sock.flush()
        except exceptions.GreensioError as exc:
            self.logger.info("upgrade abandoned: %s", exc)
            with sock.lock:
                events = session.abandon_upgrade()
            ws.close()
            self.dispatch(sock, events)
            # Polling may have stopped for this upgrade: then this task is the connection's
            # last, and disconnect() waits for it to say so.
            self._task_ended(sock)
            return
        self.logger.info("upgraded to websocket")
        self._read_websocket(sock, ws)

    def _task_ended(self, sock: ClientSocket) -> None:
        if sock.session.closed and (sock.ws is None or sock.ws.closed):
            self._done.set()
            # The connection is over (the server's doing, say): its keep-alive connections go.

    # --- events from the core --------------------------------------------------------------------
    def dispatch(self, sock: ClientSocket, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, MessageReceived):
                self._trigger("message", event.data)
            elif isinstance(event, SessionClosed):
                self._closed(sock, event.reason)

    def _closed(self, sock: ClientSocket, reason: str) -> None:
        if self.sock is sock:
            self.state = "disconnected"
        sock.wake.set()  # the POST writer sends a CLOSE still queued, then ends
        if sock.ws is not None:
            sock.ws.close()  # a CLOSE for the server was written before this event
        self.logger.info("disconnected (%s)", reason)
        self._trigger("disconnect", reason)

    def _trigger(self, event: str, *args: Any) -> Any:
        handler = self.handlers.get(event)
        if handler is None:
            return None
        try:
            return handler(*args)
        except Exception:
            self.logger.exception("%s handler failed", event)
            return None
