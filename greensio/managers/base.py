"""The in-memory client manager: who is connected, in which rooms, and fan-out of emits.

Its interface (``connect``, ``pre_disconnect``, ``disconnect``, ``is_connected``, ``enter_room``,
``leave_room``, ``close_room``, ``get_rooms``, ``get_participants``, ``emit``, python-socketio's
names) is the one message-queue managers implement. It reaches the server only through the
``Delivery`` it is handed (``greensio.managers.delivery``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from greensio.exceptions import DisconnectedError, UsageError
from greensio.managers.delivery import Delivery
from greensio.protocol.rooms import Room, RoomRegistry

if TYPE_CHECKING:
    from greensio.managers.cluster import Gathering, Serve
    from greensio.protocol.cluster_messages import ClusterRequest
    from greensio.protocol.socketio.recovery import RecoveryOptions, RecoveryStore


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


class Manager:
    """Keeps membership in one ``RoomRegistry`` and delivers packets through a ``Delivery``.

    The registry is the source of truth for which Socket.IO sids the application sees as
    connected (from the start of their connect handler until their disconnect handler has run),
    where each one lives (its Engine.IO sid) and its rooms.
    """

    def __init__(self) -> None:
        self.registry = RoomRegistry()
        self.delivery: Delivery | None = None
        #: The server's handler of other nodes' requests (``greensio.managers.cluster``).
        self.cluster_serve: Serve | None = None
        #: The server's ``greensio.server.observers.Observers`` once an observer is added.
        self.observers: Any = None

    def set_server(self, server: Delivery) -> None:
        """python-socketio's name: the server hands over how to deliver to its clients."""
        self.delivery = server

    def recovery_store(self, options: RecoveryOptions) -> RecoveryStore | None:
        """Where connection state recovery keeps its log and lost sessions, when this manager
        shares one between the nodes (the Redis managers); None: in the server's memory."""
        return None

    # --- membership ------------------------------------------------------------------------------
    def connect(self, eio_sid: str, namespace: str, sid: str) -> str:
        self.registry.connect(namespace, sid, eio_sid)
        return sid

    def pre_disconnect(self, sid: str, namespace: str) -> bool:
        """``sid`` is leaving: from now on not connected, its rooms still readable until
        ``disconnect``. True the first time only (its disconnect handler is to run)."""
        return self.registry.begin_leave(namespace, sid)

    def disconnect(self, sid: str, namespace: str) -> None:
        self.registry.disconnect(namespace, sid)

    def is_connected(self, sid: str, namespace: str) -> bool:
        return self.registry.is_connected(namespace, sid)

    def can_disconnect(self, sid: str, namespace: str) -> bool:
        return self.is_connected(sid, namespace)

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        return self.registry.eio_sid(namespace, sid)

    def enter_room(self, sid: str, namespace: str, room: Room, eio_sid: str | None = None) -> None:
        eio_sid = eio_sid or self.registry.eio_sid(namespace, sid)
        if eio_sid is not None:
            self.registry.enter(namespace, room, sid, eio_sid)
            if self.observers:
                self.observers.joined(sid, namespace, room)

    def leave_room(self, sid: str, namespace: str, room: Room) -> None:
        if self.observers:
            self.observers.left(sid, namespace, room)
        self.registry.leave(namespace, room, sid)

    def close_room(self, room: Room, namespace: str) -> None:
        if self.observers:  # each member of this node leaves it (a remote close_room too)
            for sid in [sid for sid, _ in self.registry.participants(namespace, [room])]:
                self.observers.left(sid, namespace, room)
        self.registry.close_room(namespace, room)

    def get_rooms(self, sid: str, namespace: str) -> list[Room]:
        return self.registry.rooms_of(namespace, sid)

    def get_participants(self, namespace: str, room: Room) -> list[tuple[str, str]]:
        return list(self.registry.participants(namespace, [room]))

    def get_namespaces(self) -> list[str]:
        return self.registry.namespaces()

    # --- sids of other nodes (message-queue managers override these) -----------------------------
    def is_remote(self, sid: str, namespace: str) -> bool:
        """Whether ``sid``, not connected here, may live on another node (never, in memory)."""
        return False

    def remote_rooms(self, sid: str, namespace: str) -> list[Room]:
        """The rooms of ``sid`` on another node (none, in memory)."""
        return []

    def call_remote(
        self, event: str, args: list[Any], sid: str, namespace: str, timeout: float
    ) -> Any:
        """``Server.call`` to a sid of another node (``is_remote``)."""
        raise DisconnectedError(f"{sid} is not connected to {namespace}")

    def disconnect_remote(self, sid: str, namespace: str) -> None:
        """``Server.disconnect`` of a sid of another node (``is_remote``)."""

    # --- cluster-wide operations (greensio.managers.cluster) ------------------------------------
    def serve_cluster(self, serve: Serve) -> None:
        """The server's handler of the other nodes' cluster-wide requests."""
        self.cluster_serve = serve

    def cluster_request(self, request: ClusterRequest, gathering: Gathering | None = None) -> None:
        """Send ``request`` to every other node, their replies to ``gathering``: in memory
        there is no other node, so none is expected."""
        if gathering is not None:
            gathering.expect(0)

    # --- delivery --------------------------------------------------------------------------------
    def get_targets(
        self,
        namespace: str,
        room: Room | Iterable[Room] | None,
        skip_sid: str | Iterable[str] | None = None,
        except_rooms: Room | Iterable[Room] | None = None,
    ) -> Iterator[tuple[str, str]]:
        """(sid, eio_sid) of every recipient: ``room`` is a sid, a room, a list, or None (all);
        the members of ``except_rooms`` (a room or a list) are left out."""
        return self.registry.participants(
            namespace, _as_list(room), _as_list(skip_sid) or (), _as_list(except_rooms) or ()
        )

    def emit(
        self,
        event: str,
        args: list[Any],
        namespace: str,
        room: Room | Iterable[Room] | None = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callable[..., Any] | None = None,
        timeout: float | None = None,
        except_rooms: Room | Iterable[Room] | None = None,
        **_kwargs: Any,
    ) -> None:
        """Send an event to everyone in ``room`` (a sid, a room, a list; None = everyone) but
        the members of ``except_rooms``.

        The packet is encoded once for all recipients unless a callback needs an ack id each.
        (Other keyword arguments, python-socketio's ``ignore_queue``, are for message-queue
        managers.)
        """
        delivery = self.delivery
        if delivery is None:
            raise UsageError("the manager has no server yet (set_server)")
        targets = self.get_targets(namespace, room, skip_sid, except_rooms)
        if callback is None:
            prepared = delivery.encode_event(namespace, event, args)
            deliver = delivery.deliver
            for _sid, eio_sid in targets:
                deliver(eio_sid, namespace, prepared)
            return
        for _sid, eio_sid in targets:
            delivery.deliver_with_ack(eio_sid, namespace, event, args, callback, timeout)


class AsyncManager(Manager):
    """python-socketio's name for the in-memory manager of ``AsyncServer``: the same one. Its
    methods never wait (delivery queues), so they are plain functions under asyncio too."""
