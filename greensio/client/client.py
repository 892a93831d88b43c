"""``greensio.Client``: a Socket.IO client, python-socketio's ``Client`` in shape.

It sits on an Engine.IO client (``self.eio``). Handlers run one after another in a worker task;
acks that a blocked ``call()`` waits for are delivered straight from the reader. When the
connection drops (not by ``disconnect()`` and not by the server's DISCONNECT) it reconnects with
exponential backoff and jitter, rejoining every namespace; events emitted meanwhile wait in a
bounded buffer and go out once their namespace is connected again.
"""

from __future__ import annotations

import collections
import logging
import random
from collections.abc import Callable, Mapping
from typing import Any

from greensio import exceptions
from greensio._logging import make_logger
from greensio.acks import PendingAcks, Waiter
from greensio.backends.tasks import TaskQueue, run_guarded
from greensio.client.signals import register_for_sigint
from greensio.engineio.client import EngineIOClient
from greensio.handlers import (
    Handler,
    HandlerRegistration,
    HandlerRegistry,
    Reasons,
    args_of,
    call_flexibly,
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

default_logger = logging.getLogger("greensio.client")

_Buffered = tuple[str, str, list[Any], Handler | None, float | None]
#: Longest a blocking wait() sleeps without looking at pending signals, in seconds.
_WAIT_SLICE = 0.25


def _resolve(value: Any) -> Any:
    """url, headers and auth may be callables, evaluated at each (re)connection."""
    return value() if callable(value) else value


class Client(HandlerRegistration):
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
        http_session: a ``urllib3.PoolManager`` for long-polling.
        websocket_extra_options: ``{'ssl_context': ...}`` for the WebSocket.
        buffer_offline: hold events emitted while (re)connecting and send them once connected
            (True); False raises ``BadNamespaceError`` as python-socketio does.
        max_offline_buffer: most events held; past it the oldest is dropped (1000).
        async_mode: 'gevent', 'threading' or None (gevent once gevent has been imported).
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
        self.eio = EngineIOClient(
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
        self.tasks = TaskQueue(self.backend)
        self.acks = PendingAcks(self.backend, max_pending_acks)
        self.lock = self.backend.lock()
        #: Connected namespaces and our sid in each (python-socketio's attribute).
        self.namespaces: dict[str, str] = {}
        self.connection_namespaces: list[str] = []
        self.session: ClientSession | None = None
        self._offline: collections.deque[_Buffered] = collections.deque(maxlen=max_offline_buffer)
        self._params: dict[str, Any] = {}
        self._auth: Any = None
        self._pending: set[str] = set()
        self._errors: dict[str, Any] = {}
        self._settled = self.backend.event()
        self._stop = self.backend.event()
        self._finished = self.backend.event()
        self._finished.set()
        self._server_disconnected = False
        self._reconnecting = False
        #: The task running a queued handler, if any (they run one at a time, in ``tasks``).
        self._handler_task: object = None
        if handle_sigint:
            register_for_sigint(self)

    # --- handler registration --------------------------------------------------------------------
    # --- connecting ------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return bool(self.namespaces)

    @property
    def sid(self) -> str | None:
        return self.namespaces.get("/")

    def get_sid(self, namespace: str | None = None) -> str | None:
        """Our sid in ``namespace`` ('/' by default), or None when not connected there."""
        return self.namespaces.get(namespace or "/")

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
            for namespace in self.connection_namespaces:
                run_guarded(self._trigger, ("connect_error", namespace, {"message": str(exc)}))
            raise
        except BaseException:
            if not self._reconnecting:  # wait() must not hang on a failure of any kind
                self._finished.set()
            raise
        if not params["wait"]:
            return
        self._settled.wait(params["wait_timeout"])
        if not self.namespaces:
            self.eio.disconnect()
            message = next(iter(self._errors.values()), None)
            if isinstance(message, dict):
                message = message.get("message")
            raise exceptions.ConnectionError(message or "One or more namespaces failed to connect")

    def _reconnect_loop(self) -> None:
        self._reconnecting = True
        attempt = 0
        try:
            while not self._stop.is_set():
                delay = min(self.reconnection_delay * 2**attempt, self.reconnection_delay_max)
                delay *= 1 + self.randomization_factor * (2 * random.random() - 1)
                attempt += 1
                self.logger.info("reconnecting in %.2f s (attempt %d)", delay, attempt)
                if self._stop.wait(delay):
                    break
                try:
                    self._connect_once()
                    self.logger.info("reconnected")
                    return
                except exceptions.ConnectionError as exc:
                    self.logger.info("reconnection attempt %d failed: %s", attempt, exc)
                except Exception:  # e.g. a url/headers/auth callable that raised
                    self.logger.exception("reconnection attempt %d failed", attempt)
                if self.reconnection_attempts and attempt >= self.reconnection_attempts:
                    self.logger.info("giving up after %d attempts", attempt)
                    break
        finally:
            self._reconnecting = False
        self._drop_offline()
        self._finished.set()

    # --- sending ---------------------------------------------------------------------------------
    def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        timeout: float | None = None,
    ) -> None:
        """Emit ``event``; a tuple ``data`` becomes several arguments.

        ``callback(*args)`` gets the server's ack; with ``timeout``, ``callback(error)`` gets a
        ``TimeoutError`` (or ``DisconnectedError``) when no ack comes in time. While the client
        is (re)connecting the event is buffered and sent once the namespace is connected.

        Raises:
            BadNamespaceError: not connected to ``namespace`` and nothing to wait for.
        """
        namespace = namespace or "/"
        args = args_of(data)
        with self.lock:
            if namespace not in self.namespaces:
                self._buffer_or_raise((namespace, event, args, callback, timeout))
                return
            self._send_event(namespace, event, args, callback, timeout)

    def send(
        self,
        data: Any,
        namespace: str | None = None,
        callback: Handler | None = None,
        timeout: float | None = None,
    ) -> None:
        """Emit the ``message`` event."""
        self.emit("message", data, namespace=namespace, callback=callback, timeout=timeout)

    def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        """Emit and block until the server's ack; returns None, the value, or a tuple.

        Raises:
            TimeoutError: no ack within ``timeout``.
            DisconnectedError: the connection dropped first (raised at once).
            BadNamespaceError: not connected to ``namespace``.
        """
        namespace = namespace or "/"
        with self.lock:
            if namespace not in self.namespaces or self.session is None:
                raise exceptions.BadNamespaceError(f"{namespace} is not a connected namespace")
            ack_id = self.session.next_ack_id()
            waiter: Waiter = self.acks.add_waiter(namespace, ack_id)
            self._send(self.session.encode_event(namespace, event, args_of(data), ack_id))
        return self.acks.wait(waiter, timeout)

    def _send_event(
        self,
        namespace: str,
        event: str,
        args: list[Any],
        callback: Handler | None,
        timeout: float | None,
    ) -> None:
        """Send now (``lock`` held, namespace connected)."""
        assert self.session is not None
        ack_id = None
        if callback is not None:
            ack_id = self.session.next_ack_id()
            entry = self.acks.add_callback(
                namespace, ack_id, callback, reports_errors=timeout is not None
            )
            if timeout is not None:
                self.eio.timers.call_at(
                    self.backend.monotonic() + timeout, self.acks.expire, ack_id, entry
                )
        self._send(self.session.encode_event(namespace, event, args, ack_id))

    def _send(self, messages: list[str | bytes]) -> None:
        try:
            self.eio.send_messages(messages)
        except exceptions.ConnectionError:
            self.logger.info("connection lost while sending")

    def _buffer_or_raise(self, item: _Buffered) -> None:
        """Hold an emit for a namespace that is being (re)joined; raise for any other."""
        namespace = item[0]
        waiting = self._reconnecting or (
            self.eio.state != "disconnected" and namespace in self._pending
        )
        buffering = self.buffer_offline and self._offline.maxlen
        if not (buffering and waiting and namespace in self.connection_namespaces):
            raise exceptions.BadNamespaceError(f"{namespace} is not a connected namespace")
        if len(self._offline) == self._offline.maxlen:
            self.logger.warning("offline buffer full: dropping the oldest event")
            self._fail_buffered([self._offline.popleft()])
        self._offline.append(item)

    def _flush_offline(self, namespace: str) -> None:
        """Send what waited for ``namespace`` (``lock`` held), in order."""
        keep: collections.deque[_Buffered] = collections.deque(maxlen=self._offline.maxlen)
        while self._offline:
            item = self._offline.popleft()
            if item[0] == namespace:
                self._send_event(*item)
            else:
                keep.append(item)
        self._offline = keep

    def _drop_offline(self) -> None:
        with self.lock:
            dropped, self._offline = (
                list(self._offline),
                collections.deque(maxlen=self._offline.maxlen),
            )
        self._fail_buffered(dropped)

    def _fail_buffered(self, dropped: list[_Buffered]) -> None:
        """Buffered emits that will never be sent: callbacks with a timeout hear about it."""
        for _namespace, _event, _args, callback, timeout in dropped:
            if callback is not None and timeout is not None:
                error = exceptions.DisconnectedError("dropped before it could be sent")
                self.backend.run_soon(run_guarded, callback, (error,))

    # --- ending ----------------------------------------------------------------------------------
    def disconnect(self) -> None:
        """Leave every namespace, close the connection and stop reconnecting."""
        self._stop.set()
        with self.lock:
            session = self.session
            if session is not None:
                for namespace in list(self.namespaces):
                    self._send(session.disconnect(namespace))
        if self.eio.state != "disconnected":
            self.eio.disconnect()
        if self.backend.current_task() is not self._handler_task:  # a handler would wait on itself
            self._finished.wait(self.request_timeout)

    def shutdown(self) -> None:
        """Stop the client: disconnect if connected, stop if reconnecting."""
        self.disconnect()

    def wait(self) -> None:
        """Block until the connection ends for good (reconnections included)."""
        # In slices: a signal (Ctrl+C) that the kernel hands to another thread runs its Python
        # handler only when the main thread next runs bytecode, which an untimed wait may never
        # let it do (with async_mode='threading').
        while not self._finished.wait(_WAIT_SLICE):
            pass

    def start_background_task(self, target: Handler, *args: Any, **kwargs: Any) -> Any:
        return self.backend.spawn(target, *args, **kwargs)

    def sleep(self, seconds: float = 0) -> None:
        self.backend.sleep(seconds)

    # --- Engine.IO events ------------------------------------------------------------------------
    def _on_eio_connect(self) -> None:
        with self.lock:
            self.session = ClientSession(self.codec)
            for namespace in self.connection_namespaces:
                self._send(self.session.connect(namespace, self._auth))

    def _on_eio_message(self, data: str | bytes) -> None:
        session = self.session
        if session is None:
            return
        try:
            with self.lock:
                events = session.receive_message(data)
        except exceptions.ProtocolError as exc:
            self.logger.warning("bad packet from the server, dropping the connection: %s", exc)
            self.backend.spawn(self.eio.disconnect, True)
            return
        for event in events:
            if isinstance(event, EventReceived):
                self.tasks.run_in_order(self._handle_event, event)
            elif isinstance(event, AckReceived):
                self.acks.resolve(event.ack_id, event.args)
            elif isinstance(event, NamespaceConnected):
                self._namespace_connected(event.namespace, event.sid)
            elif isinstance(event, NamespaceConnectFailed):
                self._errors[event.namespace] = event.data
                self._trigger_later("connect_error", event.namespace, event.data)
                self.tasks.run_in_order(self._settle, event.namespace)
            elif isinstance(event, NamespaceDisconnected):
                self._namespace_left(event.namespace, event.reason)

    def _namespace_connected(self, namespace: str, sid: str) -> None:
        with self.lock:
            self.namespaces[namespace] = sid
            self._flush_offline(namespace)
        self._trigger_later("connect", namespace)
        # connect() returns once the handler has run, as python-socketio's does.
        self.tasks.run_in_order(self._settle, namespace)

    def _settle(self, namespace: str) -> None:
        self._pending.discard(namespace)
        if not self._pending:
            self._settled.set()

    def _namespace_left(self, namespace: str, reason: str) -> None:
        self.namespaces.pop(namespace, None)
        self.acks.fail_namespace(namespace)
        self._trigger_later("disconnect", namespace, reason)
        if not self.namespaces:
            # The server sent us away: no reconnection (as the JS client).
            self._server_disconnected = True
            self.backend.spawn(self.eio.disconnect)

    def _on_eio_disconnect(self, reason: str) -> None:
        unexpected = reason != self.reason.CLIENT_DISCONNECT and not self._server_disconnected
        with self.lock:
            left = list(self.namespaces)
            self.namespaces.clear()
            self.session = None
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
            # Behind the disconnect handlers: wait() and disconnect() return once they have run,
            # as python-socketio's do (a script that ends on Ctrl+C still sees its on_disconnect).
            self.tasks.run_in_order(self._finish)

    def _finish(self) -> None:
        if self.eio.state == "disconnected" and not self._reconnecting:  # not connected anew
            self._finished.set()

    # --- handlers --------------------------------------------------------------------------------
    def _trigger_later(self, event: str, namespace: str, *args: Any) -> None:
        self.tasks.run_in_order(self._queued_trigger, event, namespace, *args)

    def _queued_trigger(self, event: str, namespace: str, *args: Any) -> Any:
        self._handler_task = self.backend.current_task()
        try:
            return self._trigger(event, namespace, *args)
        finally:
            self._handler_task = None

    def _trigger(self, event: str, namespace: str, *args: Any) -> Any:
        found = self.registry.find(event, namespace)
        if found is None:
            return None
        handler, prefix = found
        if event == "disconnect":
            return call_flexibly(handler, *prefix, *args)
        return handler(*prefix, *args)

    def _handle_event(self, event: EventReceived) -> None:
        self._handler_task = self.backend.current_task()
        try:
            result = self._trigger(event.event, event.namespace, *event.args)
        finally:
            self._handler_task = None
        if event.ack_id is None:
            return
        with self.lock:
            if self.session is not None:
                self._send(self.session.encode_ack(event.namespace, event.ack_id, args_of(result)))
