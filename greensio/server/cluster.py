# Generated from greensio/server/async_cluster.py by scripts/unasync.py: do not edit.
"""Cluster-wide operations of ``Server``: a mixin over its ``manager``, ``clients``,
``delivery``, ``backend`` and ``logger`` (Node's ``fetchSockets``, ``socketsJoin``,
``socketsLeave``, ``disconnectSockets``, ``serverSideEmit`` and ``emitWithAck`` to a room).

Theory of operation: each method does this node's part itself and hands the manager a
``ClusterRequest`` for the other nodes (``greensio.managers.cluster``), with a ``Gathering``
when it waits for their replies; the in-memory manager has no other node. The other nodes'
requests come to ``_serve_cluster``, in a task of its own.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (``Server``'s). The
manager's methods used here do not wait (their replies come through the gathering), so the
message-queue managers serve both: for an ``Server`` the gathering's event is an asyncio
one, set on the loop, where the manager's bridge hands the replies
(``greensio.managers.loop_bridge``), and ``_serve_cluster`` runs as a loop task.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greensio import exceptions
from greensio.backends.base import Backend
from greensio.handlers import Handler, args_of
from greensio.managers.base import Manager
from greensio.managers.cluster import Gathering
from greensio.managers.patching import jsonable_rooms
from greensio.protocol.cluster_messages import ClusterRequest
from greensio.server.delivery import LocalDelivery
from greensio.server.remote_client import RemoteClient
from greensio.server.remote_socket import RemoteSocket

Report = Callable[[str, Any], None]


class ClusterOperations:
    """``fetch_sockets``, ``sockets_enter_room``, ``sockets_leave_room``,
    ``disconnect_sockets``, ``server_side_emit``, ``server_side_call``, ``broadcast_call``."""

    manager: Manager
    clients: dict[str, RemoteClient]
    delivery: LocalDelivery
    backend: Backend
    logger: logging.Logger

    if TYPE_CHECKING:

        def disconnect(
            self, sid: str, namespace: str | None = None, ignore_queue: bool = False
        ) -> None: ...

    #: Seconds ``fetch_sockets`` waits for the other nodes (Node's ``requestsTimeout``).
    cluster_timeout = 5.0

    def _cluster_setup(self) -> None:
        #: Server-side event handlers by namespace and event (``on_server_event``).
        self.server_handlers: dict[str, dict[str, Handler]] = {}
        self.manager.serve_cluster(self._serve_cluster)

    def on_server_event(
        self, event: str, handler: Handler | None = None, namespace: str | None = None
    ) -> Any:
        """Register ``handler(*args)`` for ``event`` sent by another node's
        ``server_side_emit`` / ``server_side_call`` (its return value is the reply); as a
        decorator without ``handler``."""

        def register(fn: Handler) -> Handler:
            self.server_handlers.setdefault(namespace or "/", {})[event] = fn
            return fn

        return register(handler) if handler is not None else register

    # --- sockets ---------------------------------------------------------------------------------
    def fetch_sockets(self, to: Any = None, namespace: str | None = None) -> list[RemoteSocket]:
        """The sockets of the cluster in ``to`` (a sid, a room, a list; None: everyone) on
        ``namespace``: this node's and, within ``cluster_timeout`` seconds, every other's."""
        namespace = namespace or "/"
        here = [
            self._socket_info(sid, eio_sid, namespace)
            for sid, eio_sid in self._targets(namespace, to)
        ]
        gathering = Gathering(self.backend)
        request = ClusterRequest("", "fetch_sockets", namespace, to=jsonable_rooms(to))
        self.manager.cluster_request(request, gathering)
        self._gathered(gathering, self.cluster_timeout)
        local = {info["sid"] for info in here}
        found = [RemoteSocket(self, info, local=True) for info in here]
        found += [
            RemoteSocket(self, info, local=False)
            for info in gathering.sockets
            if info["sid"] not in local
        ]
        return found

    def sockets_enter_room(self, room: Any, to: Any = None, namespace: str | None = None) -> None:
        """Put the sockets in ``to`` (None: everyone) in ``room``, on every node."""
        self._sockets_op("enter_room", namespace or "/", to, room)

    def sockets_leave_room(self, room: Any, to: Any = None, namespace: str | None = None) -> None:
        """Take the sockets in ``to`` (None: everyone) out of ``room``, on every node."""
        self._sockets_op("leave_room", namespace or "/", to, room)

    def disconnect_sockets(self, to: Any = None, namespace: str | None = None) -> None:
        """Disconnect the sockets in ``to`` (None: everyone) from ``namespace``, on every node."""
        self._sockets_op("disconnect", namespace or "/", to, None)

    def _sockets_op(self, op: str, namespace: str, to: Any, room: Any) -> None:
        request = ClusterRequest("", op, namespace, to=jsonable_rooms(to), room=room)
        self.manager.cluster_request(request)
        self._act_here(request)

    def _act_here(self, request: ClusterRequest) -> None:
        namespace, room = request.namespace, request.room
        for sid, eio_sid in self._targets(namespace, request.to):
            if request.op == "enter_room":
                self.manager.enter_room(sid, namespace, room, eio_sid)
            elif request.op == "leave_room":
                self.manager.leave_room(sid, namespace, room)
            else:
                self.disconnect(sid, namespace, ignore_queue=True)

    # --- server-side events ----------------------------------------------------------------------
    def server_side_emit(self, event: str, data: Any = None, namespace: str | None = None) -> None:
        """Run the other nodes' ``on_server_event`` handlers of ``event`` (not this node's)."""
        request = ClusterRequest(
            "", "server_emit", namespace or "/", event=event, args=args_of(data)
        )
        self.manager.cluster_request(request)

    def server_side_call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 5
    ) -> list[Any]:
        """``server_side_emit``, then the other nodes' handlers' return values: one per node that
        has a handler, as they came within ``timeout`` seconds (a node without one answers
        nothing and is not waited for)."""
        request = ClusterRequest(
            "", "server_emit", namespace or "/", event=event, args=args_of(data)
        )
        gathering = Gathering(self.backend)
        self.manager.cluster_request(request, gathering)
        self._gathered(gathering, timeout)
        return list(gathering.values)

    def _server_event(self, request: ClusterRequest) -> list[Any]:
        handler = self.server_handlers.get(request.namespace, {}).get(str(request.event))
        if handler is None:
            return []
        try:
            result = handler(*request.args)
        except Exception:
            self.logger.exception("server-side event %r: the handler failed", request.event)
            return []
        return [result]

    # --- calls to many clients -------------------------------------------------------------------
    def broadcast_call(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        """Emit to ``to`` (a sid, a room, a list; None: everyone) on every node and wait for
        each client's ack; returns ``{sid: reply}``. A client that leaves first is left out.

        Raises:
            TimeoutError: some did not reply within ``timeout`` seconds; its ``replies`` holds
                those that did.
        """
        namespace = namespace or "/"
        request = ClusterRequest(
            "",
            "broadcast_call",
            namespace,
            to=jsonable_rooms(to if to is not None else room),
            skip_sid=jsonable_rooms(skip_sid),
            event=event,
            args=args_of(data),
            timeout=timeout,
        )
        gathering = Gathering(self.backend)
        report = functools.partial(gathering.add, None)
        targets = self._call_targets(request, report)
        self.manager.cluster_request(request, gathering)
        self._call_here(request, targets, report)
        complete = self._gathered(gathering, timeout)
        replies = dict(gathering.replies)
        if not complete:
            missing = len(gathering.targets) - len(gathering.settled)
            raise exceptions.TimeoutError(
                f"broadcast_call {event!r}: {max(missing, 0)} client(s) or a node did not "
                f"reply within {timeout} s",
                replies=replies,
            )
        return replies

    def _call_targets(self, request: ClusterRequest, report: Report) -> list[tuple[str, str]]:
        targets = self._targets(request.namespace, request.to, request.skip_sid)
        report("targets", [sid for sid, _ in targets])
        return targets

    def _call_here(
        self, request: ClusterRequest, targets: list[tuple[str, str]], report: Report
    ) -> None:
        for sid, eio_sid in targets:
            if eio_sid not in self.clients:
                report("gone", sid)
                continue
            callback = functools.partial(self._acked, report, sid)
            self.delivery.deliver_with_ack(
                eio_sid,
                request.namespace,
                str(request.event),
                request.args,
                callback,
                request.timeout,
            )

    @staticmethod
    def _acked(report: Report, sid: str, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], exceptions.DisconnectedError):
            report("gone", sid)
        elif not (len(args) == 1 and isinstance(args[0], exceptions.GreensioError)):
            report("ack", [sid, list(args)])

    # --- the other nodes' requests ---------------------------------------------------------------
    def _serve_cluster(self, request: ClusterRequest, reply: Report | None) -> None:
        """Another node's request (in a task of its own); ``reply`` answers it."""
        try:
            if request.op == "server_emit":
                values = self._server_event(request)
                if reply is not None:
                    reply("values", values)
            elif request.op == "fetch_sockets" and reply is not None:
                targets = self._targets(request.namespace, request.to)
                infos = [self._socket_info(s, e, request.namespace, True) for s, e in targets]
                reply("sockets", infos)
            elif request.op == "broadcast_call" and reply is not None:
                self._call_here(request, self._call_targets(request, reply), reply)
            elif request.op in ("enter_room", "leave_room", "disconnect"):
                self._act_here(request)
        except Exception:
            self.logger.exception("serving another node's %s failed", request.op)

    # --- helpers ---------------------------------------------------------------------------------
    def _targets(self, namespace: str, to: Any, skip_sid: Any = None) -> list[tuple[str, str]]:
        return list(self.manager.get_targets(namespace, to, skip_sid))

    def _socket_info(
        self, sid: str, eio_sid: str, namespace: str, crossing: bool = False
    ) -> dict[str, Any]:
        client = self.clients.get(eio_sid)
        data = dict(client.user_sessions.get(namespace, {})) if client is not None else {}
        if crossing:
            try:
                json.dumps(data, default=_bytes_only)
            except (TypeError, ValueError) as exc:
                self.logger.warning("%s's session is not JSON (%s): sent as {}", sid, exc)
                data = {}
        rooms = jsonable_rooms(self.manager.get_rooms(sid, namespace))
        info = {"sid": sid, "namespace": namespace, "rooms": rooms, "data": data}
        if crossing:
            info["eio_sid"] = eio_sid  # for another node's get_participants
        return info

    @staticmethod
    def _gathered(gathering: Gathering, timeout: float) -> bool:
        """Wait for ``gathering`` at most ``timeout`` seconds; whether it is complete."""
        try:
            return bool(gathering.done.wait(timeout))
        finally:
            gathering.close()


def _bytes_only(value: Any) -> None:
    """``json.dumps``'s fallback that lets ``bytes`` through (they cross as attachments)."""
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{type(value).__name__} is not JSON")
