"""The manager side of cluster-wide operations (``Server.fetch_sockets``, ``server_side_emit``,
``server_side_call``, ``broadcast_call``, ``sockets_enter_room`` and the like).

Theory of operation: the server does this node's part itself and hands the manager a
``ClusterRequest`` (``greensio.protocol.cluster_messages``) for every other node, with a
``Gathering`` when it wants replies. The in-memory manager has no other node: the gathering is
told to expect none. A message-queue manager's ``ClusterLink`` publishes the request and routes
the replies (``ClusterReply``, addressed to this node's ``host_id``) into the gathering, which is
complete when every other node it knows of has answered and, for a ``broadcast_call``, every
targeted client has acked or left.

Counting nodes: each greensio node announces itself on the channel with a ``hello`` when it has
subscribed (the others answer ``alive`` at once), then ``alive`` every ``HEARTBEAT`` seconds, and
``bye`` when it closes; a node not heard of for ``3 * HEARTBEAT`` seconds is forgotten. The same
on every broker (Redis, Redis Streams, RabbitMQ), and python-socketio nodes on the channel,
which never answer, are not counted (Redis's ``PUBSUB NUMSUB`` would count them). A node that
died without a ``bye`` is waited for until the request's timeout, for ``3 * HEARTBEAT`` seconds.

On the other side, a request goes to the server's handler (``serve(request, reply)``, in a task
of its own); ``reply(kind, data)`` publishes a ``ClusterReply`` for the requester.

Serving an ``AsyncServer`` (``greensio.managers.loop_bridge``): the heartbeat task stays a
thread (publishing never blocks), but what comes in is handled on the event loop (the bridge
hops each message there), the server's handler runs as a loop task (``serve_backend``), and the
server's gatherings are asyncio Events, set on the loop's thread. Such a node announces itself
only once the bridge knows its loop (``ready``): before that it could not answer.

Membership across nodes (``ClusterMembership``): the rooms of a sid this node does not have,
and ``get_participants`` of a room, ask the other nodes as ``fetch_sockets`` does, waiting at
most the server's ``cluster_timeout``; that wait blocks only the calling greenlet (or thread).
Under an ``AsyncServer`` they are synchronous methods called on the loop, which must not wait:
there they answer with this node's membership only.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from greensio.backends.base import Backend, CoreBackend
from greensio.handlers import ack_value
from greensio.protocol import cluster_messages as cm
from greensio.protocol.rooms import Room

#: Seconds between two ``alive`` heartbeats of a node.
HEARTBEAT = 5.0

#: ``serve(request, reply)``: the server's handler of other nodes' requests; ``reply`` is None
#: when the requester wants no reply.
Serve = Callable[[cm.ClusterRequest, "Callable[[str, Any], None] | None"], Any]


class Gathering:
    """The replies to one request: this node's part (``host_id`` None) and the other nodes'.

    ``done`` (the backend's Event) is set once ``expect`` was called and every node expected has
    answered and every target reported (``targets``) has acked (``replies``) or left.
    """

    def __init__(self, backend: CoreBackend) -> None:
        self.done: Any = backend.event()
        self._lock = backend.atomic_lock()
        self.expected: int | None = None
        self.nodes: set[str] = set()
        self.values: list[Any] = []
        self.sockets: list[dict[str, Any]] = []
        self.targets: set[str] = set()
        self.replies: dict[str, Any] = {}
        self.settled: set[str] = set()
        #: Called once by ``close``: the manager forgets the request.
        self.on_close: Callable[[], Any] | None = None

    def expect(self, nodes: int) -> None:
        """Replies are wanted from ``nodes`` other nodes."""
        with self._lock:
            self.expected = nodes
            self._check()

    def add(self, host_id: str | None, kind: str, data: Any) -> None:
        """A reply of ``kind`` (``cluster_messages.KINDS``) from ``host_id`` (None: this node)."""
        with self._lock:
            if kind in ("sockets", "values", "targets") and host_id is not None:
                if host_id in self.nodes:
                    return  # a node answers once
                self.nodes.add(host_id)
            if kind == "sockets":
                self.sockets.extend(data)
            elif kind == "values":
                self.values.extend(data)
            elif kind == "targets":
                self.targets.update(data)
            elif kind == "ack":
                sid, args = data
                if sid not in self.settled:
                    self.settled.add(sid)
                    self.replies[sid] = ack_value(list(args))
            elif kind == "gone":
                self.settled.add(data)
            self._check()

    def _check(self) -> None:
        if self.expected is None or len(self.nodes) < self.expected:
            return
        if self.targets <= self.settled:
            self.done.set()

    def close(self) -> None:
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            on_close()


class _Node(Protocol):
    """What a ``ClusterLink`` uses of its manager (a ``PubSubManager``)."""

    host_id: str
    logger: logging.Logger
    cluster_serve: Serve | None
    outbox: Any

    def _put(self, address: str | None, body: bytes) -> None: ...


class ClusterLink:
    """A message-queue manager's cluster-wide operations; see the module docstring."""

    def __init__(
        self,
        manager: _Node,
        backend: Backend,
        dumps: Any = None,
        serve_backend: CoreBackend | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.manager = manager
        #: The heartbeat task's (and, for a ``Server``, the handler's) backend.
        self.backend = backend
        #: Where the server's handler of a request runs: the loop's backend for an AsyncServer.
        self.serve_backend: CoreBackend = serve_backend or backend
        #: True when requests are served on an event loop (whose thread must never wait).
        self.on_loop = serve_backend is not None
        #: Whether this node can answer yet (heartbeats go out only then).
        self.ready = ready or (lambda: True)
        self.dumps = dumps
        self.interval = HEARTBEAT
        self.closed = False
        #: host_id -> when last heard of
        self.peers: dict[str, float] = {}
        self._pending: dict[int, Gathering] = {}
        self._ids = itertools.count(1)

    # --- nodes -----------------------------------------------------------------------------------
    def start(self, listener: Any) -> ClusterLink:
        self.backend.spawn(self._beat, listener)
        return self

    def _beat(self, listener: Any) -> None:
        """The heartbeat task: ``hello`` after each (re)subscription, ``alive`` every interval."""
        announced, last = 0, 0.0
        while not self.closed:
            now = self.backend.monotonic()
            ready = listener.subscribed.is_set() and self.ready()
            if ready and listener.subscriptions != announced:
                announced, last = listener.subscriptions, now
                self._heartbeat("hello")
            elif ready and announced and now - last >= self.interval:
                last = now
                self._heartbeat("alive")
            self.backend.sleep(min(0.25, self.interval / 4))

    def count(self) -> int:
        """How many other greensio nodes are alive, as far as this one knows."""
        oldest = self.backend.monotonic() - 3 * self.interval
        for host_id, seen in list(self.peers.items()):
            if seen < oldest:
                self.peers.pop(host_id, None)
        return len(self.peers)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._heartbeat("bye")

    # --- requests --------------------------------------------------------------------------------
    def request(self, request: cm.ClusterRequest, gathering: Gathering | None) -> None:
        """Publish ``request`` for the other nodes; their replies go to ``gathering``."""
        request_id = next(self._ids) if gathering is not None else None
        request = dataclasses.replace(request, host_id=self.manager.host_id, request_id=request_id)
        body = cm.encode(request, self.dumps)  # a caller's non-JSON data raises here
        if gathering is not None and request_id is not None:
            self._pending[request_id] = gathering
            gathering.on_close = functools.partial(self._pending.pop, request_id, None)
            gathering.expect(self.count())
        self.manager._put(None, body)

    def _heartbeat(self, state: str) -> None:
        """Publish a heartbeat, unless the broker is unreachable or the buffer is full: a
        heartbeat must never take the place of an emit in the bounded buffer (and a stale one
        says nothing). ``hello`` goes out again after the next subscription."""
        outbox = self.manager.outbox
        if outbox is not None and (outbox.failures or len(outbox) >= outbox.limit - 1):
            return
        self.publish(cm.Heartbeat(self.manager.host_id, state))

    def publish(self, message: cm.ClusterMessage) -> None:
        self.manager._put(None, cm.encode(message, self.dumps))

    # --- what comes in ---------------------------------------------------------------------------
    def handle(self, message: cm.ClusterMessage) -> None:
        """A message of another node (never this node's own)."""
        host_id = message.host_id
        if isinstance(message, cm.Heartbeat):
            if message.state == "bye":
                self.peers.pop(host_id, None)
                return
            self.peers[host_id] = self.backend.monotonic()
            if message.state == "hello" and not self.closed:
                self._heartbeat("alive")
            return
        self.peers[host_id] = self.backend.monotonic()
        if isinstance(message, cm.ClusterReply):
            gathering = self._pending.get(message.request_id)
            if message.to_host == self.manager.host_id and gathering is not None:
                gathering.add(host_id, message.kind, message.data)
            return
        serve = self.manager.cluster_serve
        if serve is None:
            return
        reply = None
        if message.request_id is not None:
            reply = functools.partial(self._reply, host_id, message.request_id)
        self.serve_backend.spawn(serve, message, reply)

    def _reply(self, to_host: str, request_id: int, kind: str, data: Any) -> None:
        message = cm.ClusterReply(self.manager.host_id, to_host, request_id, kind, data)
        try:
            self.publish(message)
        except (TypeError, ValueError) as exc:
            self.manager.logger.warning(
                "a %s reply for %s cannot cross nodes (not JSON: %s)", kind, to_host, exc
            )


class ClusterMembership:
    """``remote_rooms`` and ``get_participants`` of a message-queue manager, cluster-wide: this
    node's answer, and the other greensio nodes' (python-socketio's nodes do not answer). Not on
    an ``AsyncServer`` (its loop must not wait): there they are this node's."""

    cluster: ClusterLink | None
    delivery: Any

    def remote_rooms(self, sid: str, namespace: str) -> list[Room]:
        """The rooms of ``sid``, connected to another node (``Server.rooms``; ``get_rooms``
        stays this node's view, as the server's own bookkeeping wants)."""
        found = self._ask_others(namespace, sid) if self.is_remote(sid, namespace) else []
        return list(found[0]["rooms"]) if found else []

    def get_participants(self, namespace: str, room: Room) -> list[tuple[str, str]]:
        """``(sid, eio_sid)`` of every member of ``room``, on every node (an eio_sid of another
        node means nothing here: it is that node's)."""
        here: list[tuple[str, str]] = super().get_participants(namespace, room)  # type: ignore[misc]
        local = {sid for sid, _ in here}
        there = [
            (info["sid"], info.get("eio_sid", ""))
            for info in self._ask_others(namespace, room)
            if info["sid"] not in local
        ]
        return here + there

    if TYPE_CHECKING:

        def is_remote(self, sid: str, namespace: str) -> bool: ...

    def _ask_others(self, namespace: str, to: Any) -> list[dict[str, Any]]:
        link = self.cluster
        if link is None or link.closed or link.on_loop or not link.count():
            return []
        gathering = Gathering(link.backend)
        link.request(cm.ClusterRequest("", "fetch_sockets", namespace, to=to), gathering)
        try:
            gathering.done.wait(getattr(self.delivery, "cluster_timeout", 5.0))
        finally:
            gathering.close()
        return list(gathering.sockets)
