"""``PubSubManager``: the in-memory manager, plus a pub/sub channel shared by every node.

Theory of operation (python-socketio's ``PubSubManager``, with its JSON messages:
``greensio.protocol.manager_messages``):

- ``emit`` delivers to this node's recipients at once, then publishes the emit for the other
  nodes, which deliver to theirs; a node skips its own messages when they come back. An emit
  whose only recipients are sids of this node (``to=sid``) is not published: no other node has
  them. ``ignore_queue=True`` delivers here only.
- ``enter_room`` / ``leave_room`` of a sid this node does not have, ``disconnect`` of such a sid
  (``Server.disconnect``), and every ``close_room`` are published; the node that has the sid acts.
- ``emit(callback=)`` and ``call()`` to a sid of another node: the emit carries
  ``callback: [to, namespace, id]``, and the ack comes back as a ``callback`` message for this
  node's ``host_id`` (``greensio.managers.remote_acks``).
- Membership (``get_participants``, ``rooms``) and cluster-wide operations (``fetch_sockets``,
  ...): ``greensio.managers.cluster``, hooked into ``_handle``.
- A volatile emit (``volatile=True``, or the ``volatile`` context variable the server sets) is
  published as such; what a node does with another node's message: ``greensio.managers.inbound``.

Publishing never waits on the network: messages go to a bounded ``Outbox`` drained by a publisher
task that reconnects with backoff; the ``Listener`` task subscribes, reconnects and runs the
health check. A malformed message on the channel is logged at warning and skipped.

A ``write_only`` manager serves no server; for ``emit(callback=)`` and ``call()`` it listens on a
channel of its own, ``<channel>.reply.<host_id>`` (``reply_to`` in the emit).

Subclasses provide the broker: ``_publish_raw``, ``_reset_publisher``, ``_subscribe``,
``_recover``, ``_close``.
"""

from __future__ import annotations

import atexit
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any, cast

from greensio import exceptions
from greensio.backends import get_backend
from greensio.backends.base import Backend
from greensio.exceptions import ProtocolError, UsageError
from greensio.handlers import ack_value, args_of
from greensio.managers.base import Manager
from greensio.managers.cluster import ClusterLink, ClusterMembership, Gathering
from greensio.managers.delivery import Delivery, volatile
from greensio.managers.inbound import handle_message
from greensio.managers.listener import Listener, Raw, Subscription
from greensio.managers.loop_bridge import serve_asyncio
from greensio.managers.outbox import DEFAULT_LIMIT, Outbox
from greensio.managers.patching import PATCH, jsonable_rooms, patched_by
from greensio.managers.remote_acks import RemoteAcks
from greensio.protocol import cluster_messages as cm
from greensio.protocol import manager_messages as mm
from greensio.protocol.rooms import Room

default_logger = logging.getLogger("greensio.managers")


class PubSubManager(ClusterMembership, Manager):
    """Base of the message-queue managers. See the module docstring.

    Args:
        channel: the channel every node of the cluster shares.
        write_only: True for an emitter outside any server.
        logger: where to log; ``logging.getLogger('greensio.managers')`` by default.
        json: a module with ``dumps``/``loads`` for the channel's messages (e.g. orjson).
        max_buffer: most messages held while the broker is unreachable; past it the oldest is
            dropped, with a warning.
        health_check_interval: seconds of silence on the subscription before a ping (and as
            long again without an answer before reconnecting).
    """

    name = "pubsub"

    def __init__(
        self,
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        *,
        max_buffer: int = DEFAULT_LIMIT,
        health_check_interval: float = 15.0,
    ) -> None:
        super().__init__()
        if not isinstance(channel, str) or not channel:
            raise UsageError("channel= names the cluster's channel: a non-empty string")
        self.channel = channel
        self.write_only = write_only
        self.host_id = uuid.uuid4().hex
        #: The channel a write-only manager's replies come on.
        self.reply_channel = f"{channel}.reply.{self.host_id}"
        self.logger = logger or default_logger
        self._dumps = json.dumps if json is not None else None
        self._loads = json.loads if json is not None else None
        self.max_buffer = max_buffer
        self.health_check_interval = health_check_interval
        self.backend: Backend | None = None
        self.outbox: Outbox | None = None
        self.acks: RemoteAcks | None = None
        #: The listener task's state (None until it starts).
        self.listener: Listener | None = None
        #: Cluster-wide operations (``greensio.managers.cluster``), once serving a server.
        self.cluster: ClusterLink | None = None

    # --- start and stop --------------------------------------------------------------------------
    def set_server(self, server: Delivery) -> None:
        """Serve ``server``'s node: start the publisher and the listener on its backend."""
        if self.write_only:
            raise UsageError("a write_only manager serves no server: pass write_only=False")
        if server.backend.name == "asgi":  # AsyncServer: broker threads, hopping into its loop
            return serve_asyncio(self, server)
        super().set_server(server)
        self._start(cast(Backend, server.backend))  # a blocking backend, checked above
        listener = self._listen_on(self.channel)
        self.cluster = ClusterLink(self, self._start(), self._dumps).start(listener)

    def _start(self, backend: Backend | None = None) -> Backend:
        if self.backend is not None:
            return self.backend
        # Outside a server (write-only): greenlets where sockets are cooperative, else threads.
        backend = backend or get_backend(patched_by() or "threading")
        if backend.name in PATCH and patched_by() != backend.name:
            raise UsageError(
                f"{type(self).__name__} under {backend.name} needs cooperative sockets: call "
                f"{PATCH[backend.name]} first in your entry point"
            )
        self.backend = backend
        if self.write_only:
            atexit.register(self.flush)
        self.acks = RemoteAcks(backend, self.logger)
        self.outbox = Outbox(
            backend,
            self._publish_raw,
            self._reset_publisher,
            self.logger,
            recover=self._recover,
            limit=self.max_buffer,
            name=f"{self.name} channel {self.channel!r}",
        )
        return backend

    def _listen_on(self, address: str) -> Listener:
        if self.listener is None:
            assert self.backend is not None
            self.listener = Listener(
                self.backend,
                address,
                self._subscribe,
                self._dispatch,
                self.logger,
                self.health_check_interval,
            ).start()
        return self.listener

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what was emitted so far is published, at most ``timeout`` seconds;
        whether it all was. (A write-only manager does this at interpreter exit too.)"""
        return self.outbox is None or self.outbox.drain(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Publish what is waiting (at most ``timeout`` seconds), then stop the listener and
        the publisher."""
        if self.cluster is not None:
            self.cluster.close()  # its bye goes out with the rest
        self.flush(timeout)
        if self.listener is not None:
            self.listener.closed = True
        if self.outbox is not None:
            self.outbox.stop()
        if self.acks is not None:
            self.acks.stop()
        self._close()

    # --- what the server calls -------------------------------------------------------------------
    def emit(
        self,
        event: str,
        args: Any,
        namespace: str | None = None,
        room: Room | Iterable[Room] | None = None,
        skip_sid: str | Iterable[str] | None = None,
        callback: Callable[..., Any] | None = None,
        timeout: float | None = None,
        except_rooms: Room | Iterable[Room] | None = None,
        ignore_queue: bool = False,
        to: Room | Iterable[Room] | None = None,
        **_kwargs: Any,
    ) -> None:
        """Emit to ``room`` (a sid, a room, a list; None: everyone) on every node.

        Served by a ``Server``, ``args`` is the list of arguments it passes; on a ``write_only``
        manager it is the data, as ``Server.emit`` takes it (a tuple for several arguments).
        ``callback`` gets the first ack a client of another node sends back (and each ack of
        this node's recipients); with ``timeout``, ``callback(TimeoutError)`` when none came.
        """
        namespace = namespace or "/"
        room = to if to is not None else room
        args = args_of(args) if self.write_only else list(args)
        if ignore_queue or (not self.write_only and self._all_local(room, namespace)):
            super().emit(event, args, namespace, room, skip_sid, callback, timeout, except_rooms)
            return
        remote_callback = reply_to = None
        if callback is not None:
            if room is None or isinstance(room, (list, tuple, set, frozenset)):
                raise UsageError("emit(callback=) across nodes needs to= a sid or one room")
            remote_callback = (room, namespace, self._register_ack(callback, timeout))
            reply_to = self.reply_channel if self.write_only else None
        message = mm.EmitMessage(
            self.host_id,
            event,
            args,
            namespace,
            jsonable_rooms(room),
            jsonable_rooms(skip_sid),
            remote_callback,  # type: ignore[arg-type]
            reply_to,
            jsonable_rooms(except_rooms),
            bool(_kwargs.get("volatile")) or volatile.get(),
        )
        body = mm.encode_message(message, self._dumps)  # a caller's non-JSON data raises here
        if not self.write_only:
            super().emit(event, args, namespace, room, skip_sid, callback, timeout, except_rooms)
        self._put(None, body)

    def _all_local(self, room: Any, namespace: str) -> bool:
        """Whether ``room`` names only sids of this node (sids are unique in the cluster)."""
        rooms = room if isinstance(room, (list, tuple, set, frozenset)) else [room]
        eio_sid = self.registry.eio_sid
        return bool(rooms) and all(
            isinstance(r, str) and eio_sid(namespace, r) is not None for r in rooms
        )

    def _register_ack(self, callback: Callable[..., Any], timeout: float | None) -> int:
        self._start()
        if self.write_only:
            if not self._listen_on(self.reply_channel).subscribed.wait(10.0):
                self.logger.warning(
                    "not subscribed to %s yet: an ack may be lost", self.reply_channel
                )
        assert self.acks is not None
        return self.acks.add(callback, timeout)

    def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float = 60,
    ) -> Any:
        """Emit to one sid of the cluster and wait for its ack (a write-only manager's ``call``).

        Returns None, the single value, or a tuple for several.

        Raises:
            TimeoutError: no ack within ``timeout`` seconds.
        """
        target = sid if sid is not None else to
        if not isinstance(target, str):
            raise UsageError("call() needs to= (or sid=) one sid")
        return self.call_remote(event, args_of(data), target, namespace or "/", timeout)

    def call_remote(
        self, event: str, args: list[Any], sid: str, namespace: str, timeout: float
    ) -> Any:
        """``Server.call`` to a sid this node does not have: through the channel."""
        backend = self._start()
        done = backend.event()
        replies: list[list[Any]] = []

        def got(*reply: Any) -> None:
            replies.append(list(reply))
            done.set()

        data = tuple(args) if self.write_only else args
        self.emit(event, data, namespace, room=sid, callback=got)
        if not done.wait(timeout):
            raise exceptions.TimeoutError(f"no ack from {sid} within {timeout} s")
        return ack_value(replies[0])

    def is_remote(self, sid: str, namespace: str) -> bool:
        """Whether ``sid``, not connected here, is to be reached through the channel."""
        return self.registry.eio_sid(namespace, sid) is None

    def disconnect_remote(self, sid: str, namespace: str) -> None:
        """Ask the node that has ``sid`` to disconnect it from ``namespace``."""
        self._send(mm.DisconnectMessage(self.host_id, sid, namespace))

    def disconnect(self, sid: str, namespace: str | None = None, **kwargs: Any) -> None:
        """The server's: forget ``sid``'s membership. A write-only manager's: disconnect
        ``sid`` wherever it is."""
        if self.write_only:
            self.disconnect_remote(sid, namespace or "/")
        else:
            super().disconnect(sid, namespace or "/")

    def enter_room(
        self, sid: str, namespace: str | None, room: Room, eio_sid: str | None = None
    ) -> None:
        namespace = namespace or "/"
        if eio_sid is not None or not self.is_remote(sid, namespace):
            super().enter_room(sid, namespace, room, eio_sid)
        else:
            self._send(mm.EnterRoomMessage(self.host_id, sid, namespace, room))  # type: ignore[arg-type]

    def leave_room(self, sid: str, namespace: str | None, room: Room) -> None:
        namespace = namespace or "/"
        if not self.is_remote(sid, namespace):
            super().leave_room(sid, namespace, room)
        else:
            self._send(mm.LeaveRoomMessage(self.host_id, sid, namespace, room))  # type: ignore[arg-type]

    def close_room(self, room: Room, namespace: str | None = None) -> None:
        namespace = namespace or "/"
        super().close_room(room, namespace)
        self._send(mm.CloseRoomMessage(self.host_id, namespace, room))  # type: ignore[arg-type]

    # --- publishing ------------------------------------------------------------------------------
    def _send(self, message: mm.ManagerMessage, address: str | None = None) -> None:
        self._put(address, mm.encode_message(message, self._dumps))

    def _put(self, address: str | None, body: bytes) -> None:
        self._start()
        assert self.outbox is not None
        self.outbox.put(address, body)

    # --- listening -------------------------------------------------------------------------------
    def _dispatch(self, raw: Raw) -> None:
        """Act on one message from the channel; a malformed one is logged and skipped."""
        try:
            message = cm.decode(raw, self._loads)
        except ProtocolError as exc:
            self.logger.warning("skipping a malformed message on %r: %s", self.channel, exc)
            return
        if isinstance(message, mm.CallbackMessage):
            if message.host_id == self.host_id and self.acks is not None:
                self.acks.resolve(message.id, message.args)
            return
        if message.host_id == self.host_id or self.delivery is None:
            return
        try:
            self._handle(message)
        except Exception:
            self.logger.exception("handling a %s message failed", type(message).__name__)

    def _handle(self, message: mm.ManagerMessage | cm.ClusterMessage) -> None:
        handle_message(self, message)

    def cluster_request(self, request: cm.ClusterRequest, gather: Gathering | None = None) -> None:
        if self.cluster is None:
            raise UsageError("cluster-wide operations need a manager that serves a server")
        self.cluster.request(request, gather)

    # --- the broker (subclasses) -----------------------------------------------------------------
    def _publish_raw(self, address: str | None, body: bytes) -> None:
        """Publish ``body`` on the channel (``address`` None) or on a reply channel."""
        raise NotImplementedError

    def _reset_publisher(self) -> None:
        """Drop the publisher's connection after a failure (the next publish makes a new one)."""
        raise NotImplementedError

    def _subscribe(self, address: str) -> Subscription:
        """A new subscription to ``address``, subscribed when returned."""
        raise NotImplementedError

    def _recover(self) -> None:
        """Called before the first publish after an outage."""

    def _close(self) -> None:
        """Release the broker connections."""
