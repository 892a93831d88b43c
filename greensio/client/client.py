# Generated from greensio/client/async_client.py by scripts/unasync.py: do not edit.
"""``greensio.Client``: a Socket.IO client, python-socketio's ``Client`` in shape.

It sits on an Engine.IO client (``self.eio``). Handlers run one after another in a worker task;
acks that a waiting ``call()`` wants are delivered straight from the reader. When the
connection drops (not by ``disconnect()`` and not by the server's DISCONNECT) it reconnects with
exponential backoff and jitter, rejoining every namespace; events emitted meanwhile wait in a
bounded buffer and go out once their namespace is connected again. Handlers may be coroutines
or plain functions.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin, ``greensio.Client``, whose
methods block the calling greenlet where these are awaited.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Mapping
from typing import Any

from greensio import exceptions
from greensio._logging import make_logger
from greensio.acks import PendingAcks
from greensio.backends.tasks import TaskQueue, run_guarded
from greensio.client.events import Buffered, ClientEvents
from greensio.client.reconnect import check_backoff, retry_connection
from greensio.client.signals import register_for_sigint
from greensio.engineio.client import EngineIOClient
from greensio.handlers import (
    Handler,
    HandlerRegistration,
    HandlerRegistry,
    Reasons,
)
from greensio.protocol.events import (
    AckReceived,
    EventReceived,
    NamespaceConnected,
    NamespaceConnectFailed,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.client import ClientSession
from greensio.protocol.socketio.packets import Codec, PacketCodec
from greensio.protocol.socketio.recovery import ClientRecovery

default_logger = logging.getLogger("greensio.client")

#: Longest wait() waits at a time without looking at pending signals, in seconds.
_WAIT_SLICE = 0.25


def _resolve(value: Any) -> Any:
    """url, headers and auth may be callables, evaluated at each (re)connection."""
    return value() if callable(value) else value


class Client(ClientEvents, HandlerRegistration):
    """A Socket.IO client.

    Args:
        reconnection: reconnect after an unexpected drop (True).
        reconnection_attempts: give up after this many attempts (0: never).
        reconnection_delay: first delay in seconds (1), doubling each attempt...
        reconnection_delay_max: ...up to this (5).
        randomization_factor: jitter, as a fraction of the delay (0.5).
        logger, engineio_logger: False (errors only), True (INFO) or a ``logging.Logger``.
        serializer: 'default' (JSON) or 'msgpack'; json: a module with ``dumps``/``loads``.
        handle_sigint: disconnect on Ctrl+C (True).
        request_timeout: seconds for each HTTP request and handshake (5).
        ssl_verify: verify TLS certificates (True).
        http_session: a ``urllib3.PoolManager`` for long-polling (greenlet client only).
        websocket_extra_options: ``{'ssl_context': ...}`` for the WebSocket.
        buffer_offline: hold events emitted while (re)connecting and send them once connected
            (True); False raises ``BadNamespaceError`` as python-socketio does.
        max_offline_buffer: most events held; past it the oldest is dropped (1000).
        async_mode: the backend, as ``get_backend`` takes it.
    """

    reason = Reasons

    def __init__(
        self,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1,
        reconnection_delay_max: float = 5,
        randomization_factor: float = 0.5,
        logger: bool | logging.Logger = False,
        serializer: str = "default",
        json: Any = None,
        handle_sigint: bool = True,
        request_timeout: float = 5,
        ssl_verify: bool = True,
        http_session: Any = None,
        websocket_extra_options: Mapping[str, Any] | None = None,
        engineio_logger: bool | logging.Logger = False,
        buffer_offline: bool = True,
        max_offline_buffer: int = 1000,
        async_mode: str | None = None,
        max_pending_acks: int = 1000,
    ) -> None:
        self.eio = self._engineio_client(
            async_mode=async_mode,
            logger=engineio_logger,
            request_timeout=request_timeout,
            http_session=http_session,
            ssl_verify=ssl_verify,
            websocket_extra_options=websocket_extra_options,
        )
        self.eio.on("connect", self._on_eio_connect)
        self.eio.on("message", self._on_eio_message)
        self.eio.on("disconnect", self._on_eio_disconnect)
        self.backend = self.eio.backend
        self.async_mode = self.eio.async_mode
        self.logger = make_logger(logger, default_logger)
        check_backoff(reconnection_delay, reconnection_delay_max, randomization_factor)
        self.reconnection = reconnection
        self.reconnection_attempts = reconnection_attempts
        self.reconnection_delay = reconnection_delay
        self.reconnection_delay_max = reconnection_delay_max
        self.randomization_factor = randomization_factor
        self.request_timeout = request_timeout
        self.buffer_offline = buffer_offline
        if serializer == "msgpack":
            from greensio.protocol.socketio.msgpack import MsgPackCodec

            self.codec: PacketCodec = MsgPackCodec()
        elif serializer in ("default", "json"):
            self.codec = Codec(json)
        else:
            raise exceptions.UsageError(f"unsupported serializer {serializer!r}")
        self.registry = HandlerRegistry()
        self.tasks = TaskQueue(self.backend, self.logger)
        self.acks = PendingAcks(self.backend, max_pending_acks)
        self.lock = self.backend.lock()
        self.connection_namespaces: list[str] = []
        self.session: ClientSession | None = None
        self._offline: collections.deque[Buffered] = collections.deque(maxlen=max_offline_buffer)
        self._params: dict[str, Any] = {}
        self._auth: Any = None
        self._pending: set[str] = set()
        self._errors: dict[str, Any] = {}
        self._settled = self.backend.event()
        self._stop = self.backend.event()
        self._finished = self.backend.event()
        self._finished.set()
        self._server_disconnected = False
        self._reconnecting = self._disconnecting = False
        self.recovery = ClientRecovery()  # connection state recovery (a server's, if it has it)
        if handle_sigint:
            register_for_sigint(self)

    def _engineio_client(self, **options: Any) -> EngineIOClient:
        """The Engine.IO client under this one (a test may subclass to choose its backend)."""
        return EngineIOClient(**options)

    # --- connecting ------------------------------------------------------------------------------
    @property
    def namespaces(self) -> dict[str, str]:
        """Connected namespaces and our sid in each (python-socketio's attribute): a copy of
        what the connection's core state (``ClientSession.sids``) holds."""
        session = self.session
        return dict(session.sids) if session is not None else {}

    @property
    def connected(self) -> bool:
        session = self.session
        return session is not None and bool(session.sids)

    @property
    def sid(self) -> str | None:
        return self.get_sid()

    def get_sid(self, namespace: str | None = None) -> str | None:
        """Our sid in ``namespace`` ('/' by default), or None when not connected there."""
        session = self.session
        return session.sids.get(namespace or "/") if session is not None else None

    def transport(self) -> str | None:
        """'polling' or 'websocket'."""
        return self.eio.transport()

    def connect(
        self,
        url: str | Callable[[], str],
        headers: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        auth: Any = None,
        transports: list[str] | None = None,
        namespaces: list[str] | str | None = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
    ) -> None:
        """Connect to a Socket.IO server and join ``namespaces``.

        ``url``, ``headers`` and ``auth`` may be callables, evaluated at every (re)connection.
        With ``wait``, returns once every namespace answered (or ``wait_timeout`` passed).

        Raises:
            ConnectionError: the server was unreachable, or no namespace could be joined.
        """
        if self.eio.state != "disconnected" or self._reconnecting:
            raise exceptions.ConnectionError("already connected")
        if isinstance(namespaces, str):
            namespaces = [namespaces]
        if isinstance(transports, str):
            transports = [transports]
        if auth is not None and not callable(auth) and not isinstance(auth, dict):
            raise exceptions.UsageError("auth must be a dict, a callable returning one, or None")
        self._params = {
            "url": url,
            "headers": headers,
            "auth": auth,
            "transports": transports,
            "socketio_path": socketio_path,
            "wait": wait,
            "wait_timeout": wait_timeout,
        }
        self.connection_namespaces = list(namespaces or self._handled_namespaces())
        self._stop.clear()
        try:
            self._connect_once()
        except exceptions.ConnectionError:
            if retry and self.reconnection:
                self._reconnect_loop()
                if self.connected:
                    return
            raise

    def _handled_namespaces(self) -> list[str]:
        names = set(self.registry.functions) | set(self.registry.classes)
        names.discard("*")
        return sorted(names) or ["/"]

    def _connect_once(self) -> None:
        params = self._params
        self._pending = set(self.connection_namespaces)
        self._errors = {}
        self._server_disconnected = False
        self._settled.clear()
        self._finished.clear()
        try:
            self._auth = _resolve(params["auth"])
            if self._auth is not None and not isinstance(self._auth, dict):
                raise exceptions.UsageError("the auth callable must return a dict or None")
            self.eio.connect(
                _resolve(params["url"]),
                headers=_resolve(params["headers"]) or {},
                transports=params["transports"],
                engineio_path=params["socketio_path"],
            )
        except exceptions.ConnectionError as exc:
            if not self._reconnecting:  # the reconnection loop decides when it is over
                self._finished.set()
            # Before raising, as python-socketio does: the handler has run when connect() fails.
            error = {"message": str(exc)}
            for namespace in self.connection_namespaces:
                run_guarded(self._trigger_logged, ("connect_error", namespace, dict(error)))
            raise
        except BaseException:
            if not self._reconnecting:  # wait() must not hang on a failure of any kind
                self._finished.set()
            raise
        if not params["wait"]:
            return
        self._settled.wait(params["wait_timeout"])
        if not self.connected:
            self.eio.disconnect()
            message = next(iter(self._errors.values()), None)
            if isinstance(message, dict):
                message = message.get("message")
            raise exceptions.ConnectionError(message or "One or more namespaces failed to connect")

    def _reconnect_loop(self) -> None:
        self._reconnecting = True
        self._finished.clear()  # connect(retry=True) after a failed first try: wait() waits
        try:
            reconnected = retry_connection(
                self._connect_once,
                self._stop,
                attempts=self.reconnection_attempts,
                delay=self.reconnection_delay,
                delay_max=self.reconnection_delay_max,
                randomization_factor=self.randomization_factor,
                logger=self.logger,
            )
        finally:
            self._reconnecting = False
        if not reconnected:
            self._drop_offline()
            self._finished.set()

    # --- ending ----------------------------------------------------------------------------------
    def disconnect(self) -> None:
        """Leave every namespace, close the connection and stop reconnecting."""
        self._stop.set()
        self._disconnecting = True
        try:
            with self.lock:
                session, left = self.session, list(self.namespaces)
                for namespace in left:
                    assert session is not None  # (namespaces are those of a session)
                    self._send(session.disconnect(namespace))
                    reason = self.reason.CLIENT_DISCONNECT
                    self.logger.info("disconnected from namespace %s (%s)", namespace, reason)
                    self._trigger_later("disconnect", namespace, reason)
            if self.eio.state != "disconnected":
                self.eio.disconnect()
            self._finished.wait(self.request_timeout)
            # As python-socketio's: the disconnect handlers have run when disconnect() returns
            # (say, before the KeyboardInterrupt of a Ctrl+C goes on and the process ends).
            self._wait_for_handlers(self.request_timeout)
        finally:
            self._disconnecting = False

    def shutdown(self) -> None:
        """Stop the client: disconnect if connected, stop if reconnecting."""
        self.disconnect()

    def wait(self) -> None:
        """Wait until the connection ends for good (reconnections included)."""
        # In slices: a signal (Ctrl+C) that the kernel hands to another thread runs its Python
        # handler only when the main thread next runs bytecode, which an untimed wait may never
        # let it do (with async_mode='threading').
        while not self._finished.wait(_WAIT_SLICE):
            pass

    def start_background_task(self, target: Handler, *args: Any, **kwargs: Any) -> Any:
        """Run ``target(*args, **kwargs)`` in a task of the client's backend; returns the task."""
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        """Sleep on the client's backend (python-socketio's)."""
        self.backend.sleep(seconds)

    # --- Engine.IO events ------------------------------------------------------------------------
    def _on_eio_connect(self) -> None:
        with self.lock:
            self.session = ClientSession(self.codec)
            for namespace in self.connection_namespaces:
                self._send(self._connect_messages(self.session, namespace))

    def _on_eio_message(self, data: str | bytes) -> None:
        session = self.session
        if session is None:
            return
        try:
            with self.lock:
                events = session.receive_message(data)
                for event in events:
                    if isinstance(event, NamespaceConnected):
                        self.recovery.connected(event.namespace, session.pids.get(event.namespace))
                        # Under the same hold of the lock as the core's change: an emit that
                        # sees the namespace connected comes after what waited for it.
                        self._flush_offline(event.namespace)
        except exceptions.ProtocolError as exc:
            self.logger.warning("bad packet from the server, dropping the connection: %s", exc)
            self.backend.spawn(self.eio.disconnect, True)
            return
        log = self.logger.info
        for event in events:
            if isinstance(event, EventReceived):
                log("received event %r [%s]", event.event, event.namespace)
                self.tasks.run_in_order(self._handle_event, event)
            elif isinstance(event, AckReceived):
                log("received ack %d [%s]", event.ack_id, event.namespace)
                self.acks.resolve(event.ack_id, event.args)
            elif isinstance(event, NamespaceConnected):
                log("connected to namespace %s", event.namespace)
                self._trigger_later("connect", event.namespace)
                # connect() returns once the handler has run, as python-socketio's does.
                self.tasks.run_in_order(self._settle, event.namespace)
            elif isinstance(event, NamespaceConnectFailed):
                log("namespace %s refused the connection: %s", event.namespace, event.data)
                self._errors[event.namespace] = event.data
                self._trigger_later("connect_error", event.namespace, event.data)
                self.tasks.run_in_order(self._settle, event.namespace)
            elif isinstance(event, NamespaceDisconnected):
                self._namespace_left(session, event.namespace, event.reason)

    def _settle(self, namespace: str) -> None:
        self._pending.discard(namespace)
        if not self._pending:
            self._settled.set()

    def _namespace_left(self, session: ClientSession, namespace: str, reason: str) -> None:
        self.logger.info("disconnected from namespace %s (%s)", namespace, reason)
        self.acks.fail_namespace(namespace)
        self.recovery.forget(namespace)
        self._trigger_later("disconnect", namespace, reason)
        if not session.sids:
            # The server sent us away: no reconnection (as the JS client).
            self._server_disconnected = True
            self.backend.spawn(self.eio.disconnect)

    def _on_eio_disconnect(self, reason: str) -> None:
        unexpected = reason != self.reason.CLIENT_DISCONNECT and not self._server_disconnected
        with self.lock:
            session, self.session = self.session, None
            left = list(session.sids) if session is not None else []
            will_reconnect = bool(
                unexpected and self.reconnection and not self._stop.is_set() and left
            )
            start_loop = will_reconnect and not self._reconnecting
            if start_loop:
                # Decided before the disconnect handlers run, so that what they emit is buffered.
                self._reconnecting = True
        self.acks.fail_namespace(None)
        for namespace in left:
            self._trigger_later("disconnect", namespace, reason)
        self._settled.set()
        if will_reconnect:
            if start_loop:
                self.backend.spawn(self._reconnect_loop)
        elif not self._reconnecting:
            self._drop_offline()
            self._finished.set()
