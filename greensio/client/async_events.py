"""The event/ack side of ``greensio.AsyncClient``: ``emit``, ``send``, ``call``, the offline buffer,
and running the handlers of the server's events (a handler's return value is its ack).

A base class of ``AsyncClient`` (which owns the state named below). An emit to a connected namespace
goes out at once; one to a namespace being (re)joined waits in a bounded buffer, flushed in order
by ``_flush_offline`` when the namespace is connected — in the same hold of ``lock`` in which the
core marked it connected, so that no new emit can overtake what waited. ``call`` never waits for a
reconnection: it needs the namespace connected now. While ``disconnect()`` runs, emits are dropped
(logged); once it has returned they raise ``BadNamespaceError``.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin.
"""

from __future__ import annotations

import collections
import contextvars
import logging
from typing import Any

from greensio import exceptions
from greensio.async_acks import AsyncPendingAcks, AsyncWaiter
from greensio.backends.async_tasks import AsyncTaskQueue, invoke, invoke_flexibly, run_guarded
from greensio.backends.base import AsyncBackend
from greensio.engineio.async_client import AsyncEngineIOClient
from greensio.handlers import Handler, HandlerRegistry, args_of
from greensio.protocol.events import EventReceived
from greensio.protocol.socketio.client import ClientSession
from greensio.protocol.socketio.recovery import ClientRecovery

#: True in the context of a handler call.
_in_handler: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "greensio_client_in_handler", default=False
)
#: An emit waiting for its namespace: (namespace, event, args, callback, timeout).
Buffered = tuple[str, str, list[Any], Handler | None, float | None]


class AsyncClientEvents:
    """Events and acks both ways, and the offline buffer; see the module docstring."""

    eio: AsyncEngineIOClient
    backend: AsyncBackend
    logger: logging.Logger
    lock: Any
    registry: HandlerRegistry
    tasks: AsyncTaskQueue
    acks: AsyncPendingAcks
    session: ClientSession | None
    recovery: ClientRecovery
    _auth: Any
    buffer_offline: bool
    connection_namespaces: list[str]
    _offline: collections.deque[Buffered]
    _pending: set[str]
    _reconnecting: bool
    _disconnecting: bool

    async def emit(
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
        self.logger.info("emitting event %r [%s]", event, namespace)
        with self.lock:
            if self.session is None or not self.session.is_connected(namespace):
                self._buffer_or_raise((namespace, event, args, callback, timeout))
                return
            self._send_event(namespace, event, args, callback, timeout)

    async def send(
        self,
        data: Any,
        namespace: str | None = None,
        callback: Handler | None = None,
        timeout: float | None = None,
    ) -> None:
        """Emit the ``message`` event."""
        await self.emit("message", data, namespace=namespace, callback=callback, timeout=timeout)

    async def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        """Emit and wait for the server's ack; returns None, the value, or a tuple.

        Raises:
            TimeoutError: no ack within ``timeout``.
            DisconnectedError: the connection dropped first (raised at once).
            BadNamespaceError: not connected to ``namespace``.
        """
        namespace = namespace or "/"
        self.logger.info("emitting event %r [%s]", event, namespace)
        with self.lock:
            session = self.session
            if session is None or not session.is_connected(namespace):
                raise exceptions.BadNamespaceError(f"{namespace} is not a connected namespace")
            ack_id = session.next_ack_id()
            waiter: AsyncWaiter = self.acks.add_waiter(namespace, ack_id)
            self._send(session.encode_event(namespace, event, args_of(data), ack_id))
        return await self.acks.wait(waiter, timeout)

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

    # --- the offline buffer ----------------------------------------------------------------------
    def _buffer_or_raise(self, item: Buffered) -> None:
        """Hold an emit for a namespace that is being (re)joined; raise for any other."""
        namespace = item[0]
        if self._disconnecting:
            # disconnect() is under way (say, Ctrl+C while a handler runs, which disconnect()
            # waits for): what the handler emits now is dropped, not an error.
            self.logger.info("disconnecting: %r not sent", item[1])
            self._fail_buffered([item])
            return
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
        keep: collections.deque[Buffered] = collections.deque(maxlen=self._offline.maxlen)
        while self._offline:
            item = self._offline.popleft()
            if item[0] == namespace:
                self._send_event(*item)
            else:
                keep.append(item)
        self._offline = keep

    def _connect_messages(self, session: ClientSession, namespace: str) -> list[str | bytes]:
        """The CONNECT for ``namespace``, its auth with ``{pid, offset}`` after a transport loss
        if the server gave a pid (connection state recovery)."""
        return session.connect(namespace, self.recovery.auth(namespace, self._auth))

    def _drop_offline(self) -> None:
        """No reconnection to wait for: buffered emits fail, recovery state is forgotten."""
        self.recovery.forget()
        with self.lock:
            dropped, self._offline = (
                list(self._offline),
                collections.deque(maxlen=self._offline.maxlen),
            )
        self._fail_buffered(dropped)

    def _fail_buffered(self, dropped: list[Buffered]) -> None:
        """Buffered emits that will never be sent: callbacks with a timeout hear about it."""
        for _namespace, _event, _args, callback, timeout in dropped:
            if callback is not None and timeout is not None:
                error = exceptions.DisconnectedError("dropped before it could be sent")
                self.backend.run_soon(run_guarded, callback, (error,))

    # --- handlers --------------------------------------------------------------------------------
    def _trigger_later(self, event: str, namespace: str, *args: Any) -> None:
        self.tasks.run_in_order(self._trigger_logged, event, namespace, *args)

    async def _trigger_logged(self, event: str, namespace: str, *args: Any) -> None:
        """``_trigger``, with the handler's exception logged on the client's logger."""
        try:
            await self._trigger(event, namespace, *args)
        except Exception:  # noqa: BLE001 - the application's, logged by _handler_failed
            self._handler_failed(event, namespace)

    def _handler_failed(self, event: str, namespace: str) -> None:
        """Log (at ERROR, with the traceback) the exception being handled, a handler's."""
        session = self.session
        sid = session.sids.get(namespace) if session is not None else None
        self.logger.exception("%r handler failed (namespace %s, sid %s)", event, namespace, sid)

    async def _wait_for_handlers(self, timeout: float) -> None:
        """Wait (up to ``timeout``) until every handler queued so far has run; at once when
        called from a handler, which would be waiting for itself."""
        if _in_handler.get():
            return
        drained = self.backend.event()
        self.tasks.run_in_order(drained.set)
        await drained.wait(timeout)

    async def _trigger(self, event: str, namespace: str, *args: Any) -> Any:
        found = self.registry.find(event, namespace)
        if found is None:
            return None
        handler, prefix = found
        # Reset after the call: a coroutine handler runs in the context of the task that waits
        # for it (run_guarded's fresh context holds only while the coroutine is made), and that
        # may be the application's own (connect() runs the connect_error handlers).
        token = _in_handler.set(True)
        try:
            if event == "disconnect":
                return await invoke_flexibly(handler, *prefix, *args)
            return await invoke(handler, *prefix, *args)
        finally:
            _in_handler.reset(token)

    def is_recovered(self, namespace: str | None = None) -> bool:
        """Whether the server recovered this client's session on ``namespace`` at its last
        (re)connection (connection state recovery: missed events replayed, same sid)."""
        return (namespace or "/") in self.recovery.recovered

    async def _handle_event(self, event: EventReceived) -> None:
        args = self.recovery.event_args(event.namespace, event.args, event.ack_id)
        try:
            result = await self._trigger(event.event, event.namespace, *args)
        except Exception:  # noqa: BLE001 - the application's, logged by _handler_failed
            self._handler_failed(event.event, event.namespace)
            return  # no ack: the handler gave no answer (the server's call times out)
        if event.ack_id is None:
            return
        with self.lock:
            if self.session is not None:
                self._send(self.session.encode_ack(event.namespace, event.ack_id, args_of(result)))


__all__ = ["Buffered", "AsyncClientEvents"]  # (the twin's, sorted: "Buffered", "ClientEvents")
