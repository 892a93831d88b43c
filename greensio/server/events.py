# Generated from greensio/server/async_events.py by scripts/unasync.py: do not edit.
"""How the Socket.IO server reacts to its Engine.IO layer and to clients' packets.

``Server`` holds the API and owns one ``ServerEvents``, which holds
the event side: a new Engine.IO connection gets its ``RemoteClient``; its messages go through
the protocol core, and the events that come out run in that client's order (connect, events,
disconnects), acks straight away. Which record keeps which fact about a client is written in
``greensio.server.remote_client``.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin.
"""

from __future__ import annotations

import logging
from typing import Any

from greensio import exceptions
from greensio.backends.base import Backend
from greensio.backends.tasks import invoke, invoke_flexibly
from greensio.engineio.server import EngineIOServer
from greensio.handlers import HandlerRegistry, args_of
from greensio.managers.base import Manager
from greensio.protocol.events import (
    AckReceived,
    EventReceived,
    NamespaceConnectRequested,
    NamespaceDisconnected,
)
from greensio.protocol.socketio.packets import PacketCodec
from greensio.protocol.socketio.session import ServerSession
from greensio.server.listeners import Listeners
from greensio.server.recovery import RECOVERED_KEY, ServerRecovery
from greensio.server.remote_client import RemoteClient

_REFUSED = {"message": "Connection rejected by server"}


class ServerEvents:
    """The event side of ``Server``; see the module docstring.

    Args:
        namespaces: the namespaces clients may join besides those with handlers (a list or '*').
        always_connect, ordered_handlers, connect_timeout, max_pending_acks: ``Server``'s options.
    """

    def __init__(
        self,
        eio: EngineIOServer,
        backend: Backend,
        codec: PacketCodec,
        manager: Manager,
        registry: HandlerRegistry,
        logger: logging.Logger,
        clients: dict[str, RemoteClient],
        listeners: Listeners,
        *,
        namespaces: list[str] | str,
        always_connect: bool,
        ordered_handlers: bool,
        connect_timeout: float,
        max_pending_acks: int,
        recovery: ServerRecovery | None = None,
    ) -> None:
        self.eio = eio
        self.backend = backend
        self.codec = codec
        self.manager = manager
        self.registry = registry
        self.logger = logger
        self.namespaces = namespaces
        self.always_connect = always_connect
        self.ordered_handlers = ordered_handlers
        self.connect_timeout = connect_timeout
        self.max_pending_acks = max_pending_acks
        #: Connection state recovery, when on (``greensio.server.recovery``).
        self.recovery = recovery
        #: Engine.IO sid -> the client, from its Engine.IO connect until its handlers are done
        #: (the server's dict: this object adds and removes them).
        self.clients = clients
        #: Middlewares and catch-all listeners (``greensio.server.listeners``).
        self.listeners = listeners
        eio.on("connect", self.on_eio_connect)
        eio.on("message", self.on_eio_message)
        eio.on("disconnect", self.on_eio_disconnect)

    # --- Engine.IO events ------------------------------------------------------------------------
    def on_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        session = ServerSession(
            self.codec, now=self.backend.monotonic(), connect_timeout=self.connect_timeout
        )
        self.clients[eio_sid] = RemoteClient(
            eio_sid, session, self.backend, environ, self.max_pending_acks
        )
        self._schedule(eio_sid, session)

    def _schedule(self, eio_sid: str, session: ServerSession) -> None:
        deadline = session.next_deadline()
        if deadline is not None:
            self.eio.timers.call_at(deadline, self._on_timer, eio_sid)

    def _on_timer(self, eio_sid: str) -> None:
        client = self.clients.get(eio_sid)
        if client is None:
            return
        with client.lock:
            timed_out = client.session.handle_timer(self.backend.monotonic())
        if not timed_out:
            self._schedule(eio_sid, client.session)
            return
        self.logger.info("%s: no namespace joined in %ss; closing", eio_sid, self.connect_timeout)
        self.backend.spawn(self.eio.disconnect, eio_sid)

    def on_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        client = self.clients.get(eio_sid)
        if client is None:
            return
        try:
            with client.lock:
                events = client.session.receive_message(data)
        except exceptions.ProtocolError as exc:
            self.logger.info("%s: closing after a bad packet: %s", eio_sid, exc)
            self.eio.disconnect(eio_sid)
            return
        # The connection's WebSocket reader may run event handlers itself (no task per event).
        # Connect and disconnect handlers, once per connection, keep their task: run by the
        # reader, they cost each idle connection ~4 KiB more (measured under gunicorn).
        tasks = client.tasks
        in_order = self.eio.in_order_runner(eio_sid, tasks)
        for event in events:
            if isinstance(event, EventReceived):
                if self.ordered_handlers:
                    in_order(self._handle_event, client, event)
                else:
                    tasks.run_now(self._handle_event, client, event)
            elif isinstance(event, AckReceived):
                self.logger.info(
                    "received ack %d from %s [%s]",
                    event.ack_id,
                    client.session.sids.get(event.namespace, eio_sid),
                    event.namespace,
                )
                client.acks.resolve(event.ack_id, event.args)
            elif isinstance(event, NamespaceConnectRequested):
                tasks.run_in_order(self._handle_connect, client, event)
            elif isinstance(event, NamespaceDisconnected):
                client.acks.fail_namespace(event.namespace)
                tasks.run_in_order(self.left, client, event.sid, event.namespace, event.reason)

    def on_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        client = self.clients.get(eio_sid)
        if client is not None:
            client.acks.fail_namespace(None)
            client.tasks.run_in_order(self._close, client, reason)

    def _close(self, client: RemoteClient, reason: str) -> None:
        """After every handler queued before (a connect handler that was running included): the
        namespaces still joined are left, then the client is forgotten (only now: those
        handlers may still read its session)."""
        recovery = self.recovery
        for namespace, sid in list(client.session.sids.items()):
            kept = None
            if recovery is not None:
                kept = recovery.capture(
                    client.session, client.user_sessions, namespace, sid, reason
                )
            self.left(client, sid, namespace, reason)
            if kept is not None and recovery is not None:
                recovery.keep(kept)
        if self.clients.get(client.eio_sid) is client:
            del self.clients[client.eio_sid]

    # --- Socket.IO events (run in the client's order) --------------------------------------------
    def namespace_allowed(self, namespace: str) -> bool:
        if self.namespaces == "*" or self.registry.has_namespace(namespace):
            return True
        if self.registry.accepts_any_namespace():
            return True
        return isinstance(self.namespaces, (list, tuple, set)) and namespace in self.namespaces

    def _handle_connect(self, client: RemoteClient, event: NamespaceConnectRequested) -> None:
        namespace = event.namespace
        session = client.session
        if not self.namespace_allowed(namespace):
            self.logger.info(
                "%s: refused namespace %s: no such namespace", client.eio_sid, namespace
            )
            self._send(client, session.refuse_connect(namespace, {"message": "Invalid namespace"}))
            return
        recovery, recovered, pid = self.recovery, None, None
        if recovery is not None:
            recovered = recovery.restore(namespace, event.auth)
            pid = recovered.pid if recovered is not None else self.eio.generate_id()
        sid = recovered.sid if recovered is not None else self.eio.generate_id()
        with client.lock:
            session.begin_connect(
                namespace, sid, pid, None if recovered is None else recovered.missed
            )
        self.manager.connect(client.eio_sid, namespace, sid)
        refusal = None
        if recovery is not None:
            client.environ[RECOVERED_KEY] = recovered is not None
        if recovered is not None and recovery is not None:
            recovery.rejoin(recovered, client.eio_sid, namespace)
            if recovered.data is not None:
                client.user_sessions[namespace] = recovered.data
            self.logger.info("%s recovered on namespace %s", sid, namespace)
        if recovered is None or recovery is None or not recovery.options.skip_middlewares:
            refusal = self._run_middlewares(sid, namespace, client.environ, event.auth)
        accepted_early = refusal is None and self.always_connect
        if accepted_early:
            self._send(client, session.accept_connect(namespace))
        if refusal is None:
            refusal = self._run_connect_handler(sid, namespace, client.environ, event.auth)
        if refusal is None:
            if not accepted_early:
                self._send(client, session.accept_connect(namespace))
            self.logger.info(
                "%s connected to namespace %s (over %s)", sid, namespace, self._transport(client)
            )
            if self.listeners.observers.active:
                self.listeners.observers.connected(sid, namespace)
            return
        self.logger.info("%s refused on namespace %s: %s", sid, namespace, refusal)
        self.manager.disconnect(sid, namespace)
        client.user_sessions.pop(namespace, None)
        if accepted_early:
            self._send(client, session.disconnect(namespace))
        else:
            self._send(client, session.refuse_connect(namespace, refusal))

    def _run_middlewares(
        self, sid: str, namespace: str, environ: dict[str, Any], auth: Any
    ) -> dict[str, Any] | None:
        """Run ``namespace``'s middlewares in order; the CONNECT_ERROR payload of the first
        that refused (the rest do not run), else None."""
        for middleware in list(self.listeners.middlewares.get(namespace, ())):
            try:
                invoke(middleware, sid, environ, auth)
            except exceptions.ConnectionRefusedError as exc:
                return exc.error_args
            except Exception:
                name = getattr(middleware, "__qualname__", middleware)
                self.logger.exception("middleware %s failed", name)
                return dict(_REFUSED)
        return None

    def _run_connect_handler(
        self, sid: str, namespace: str, environ: dict[str, Any], auth: Any
    ) -> dict[str, Any] | None:
        """Run the connect handler; the CONNECT_ERROR payload when it refused, else None."""
        found = self.registry.find("connect", namespace)
        if found is None:
            return None
        handler, prefix = found
        try:
            result = invoke_flexibly(handler, *prefix, sid, environ, auth)
        except exceptions.ConnectionRefusedError as exc:
            return exc.error_args
        except Exception:  # noqa: BLE001 - the application's, logged by _handler_failed
            self._handler_failed("connect", namespace, sid)
            return dict(_REFUSED)
        return dict(_REFUSED) if result is False else None

    def _handle_event(self, client: RemoteClient, event: EventReceived) -> None:
        namespace = event.namespace
        if not client.session.is_connected(namespace):
            return
        sid = client.session.sids[namespace]
        self.logger.info("received event %r from %s [%s]", event.event, sid, namespace)
        observers = self.listeners.incoming_for(namespace)
        if observers:
            self.listeners.notify(list(observers), event.event, sid, event.args)
        found = self.registry.find(event.event, namespace)
        if found is None:
            self.logger.info("%s: no handler for %r on %s", sid, event.event, namespace)
            return
        handler, prefix = found
        running = self.eio.running_handlers  # a shutdown waits for them (engineio/shutdown.py)
        running.append(event)
        try:
            result = invoke(handler, *prefix, sid, *event.args)
        except Exception:  # noqa: BLE001 - the application's, logged by _handler_failed
            self._handler_failed(event.event, namespace, sid)
            # no ack: the handler gave no answer (the client's call times out)
        else:
            if event.ack_id is not None:
                with client.lock:
                    out = client.session.encode_ack(namespace, event.ack_id, args_of(result))
                    if out:
                        self.eio.send_messages(client.eio_sid, out)
        finally:
            running.pop()

    def left(self, client: RemoteClient, sid: str, namespace: str, reason: str) -> None:
        """``sid`` is gone from ``namespace``: fail its acks, run its handler once (its rooms
        and session still readable there, as in python-socketio), then forget it. Whether it
        already left is the manager's to say (``pre_disconnect``)."""
        if not self.manager.pre_disconnect(sid, namespace):
            return
        self.logger.info("%s disconnected from namespace %s (%s)", sid, namespace, reason)
        client.acks.fail_namespace(namespace)
        found = self.registry.find("disconnect", namespace)
        try:
            if found is not None:
                handler, prefix = found
                invoke_flexibly(handler, *prefix, sid, reason)
        except Exception:  # noqa: BLE001 - the application's, logged by _handler_failed
            self._handler_failed("disconnect", namespace, sid)
        finally:
            if self.listeners.observers.active:
                self.listeners.observers.disconnected(sid, namespace, reason)
            self.manager.disconnect(sid, namespace)
            client.user_sessions.pop(namespace, None)

    def _transport(self, client: RemoteClient) -> str:
        try:
            return self.eio.transport(client.eio_sid)
        except exceptions.UsageError:  # the connection ended meanwhile
            return "a closed connection"

    def _handler_failed(self, event: str, namespace: str, sid: str) -> None:
        """Log (at ERROR, with the traceback) the exception being handled, a handler's."""
        self.logger.exception("%r handler failed (namespace %s, sid %s)", event, namespace, sid)

    def _send(self, client: RemoteClient, messages: list[str | bytes]) -> None:
        if messages:
            self.eio.send_messages(client.eio_sid, messages)
