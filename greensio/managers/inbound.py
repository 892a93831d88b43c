"""What a node does with another node's message (``PubSubManager._handle``).

- An emit is delivered to this node's recipients (``Manager.emit``), volatile when the emitter's
  was (``EmitMessage.volatile``: the ``volatile`` context variable is set around the delivery,
  as the emitting server sets it around its own); with a ``callback``, each ack goes back to the
  emitting node as a ``CallbackMessage`` (to its reply channel for a write-only emitter).
- A disconnect, a room entered or left, acts on a sid of this node only; a room is closed here.
- A cluster-wide operation goes to the manager's ``ClusterLink``.
"""

from __future__ import annotations

import functools
from typing import Any

from greensio.managers.base import Manager
from greensio.managers.delivery import volatile
from greensio.protocol import cluster_messages as cm
from greensio.protocol import manager_messages as mm


def handle_message(manager: Any, message: mm.ManagerMessage | cm.ClusterMessage) -> None:
    """Act on ``message`` (not this node's own) for ``manager``, a ``PubSubManager``."""
    delivery = manager.delivery
    assert delivery is not None
    if isinstance(message, mm.EmitMessage):
        _emit(manager, message)
    elif isinstance(message, mm.DisconnectMessage):
        if not manager.is_remote(message.sid, message.namespace):
            delivery.disconnect(message.sid, message.namespace)  # in a task of its own
    elif isinstance(message, mm.EnterRoomMessage):
        if not manager.is_remote(message.sid, message.namespace):
            Manager.enter_room(manager, message.sid, message.namespace, message.room)
    elif isinstance(message, mm.LeaveRoomMessage):
        if not manager.is_remote(message.sid, message.namespace):
            Manager.leave_room(manager, message.sid, message.namespace, message.room)
    elif isinstance(message, mm.CloseRoomMessage):
        Manager.close_room(manager, message.room, message.namespace)
    elif manager.cluster is not None and isinstance(message, cm.CLUSTER):
        manager.cluster.handle(message)


def _emit(manager: Any, message: mm.EmitMessage) -> None:
    callback = None
    if message.callback is not None:
        target, namespace, ack_id = message.callback
        callback = functools.partial(
            return_ack, manager, message.host_id, message.reply_to, target, namespace, ack_id
        )
    token = volatile.set(True) if message.volatile else None
    try:
        Manager.emit(
            manager,
            message.event,
            message.args,
            message.namespace,
            message.room,
            message.skip_sid,
            callback,
            except_rooms=message.except_rooms,
        )
    finally:
        if token is not None:
            volatile.reset(token)


def return_ack(
    manager: Any,
    host_id: str,
    reply_to: str | None,
    target: mm.RoomName,
    namespace: str,
    ack_id: int,
    *args: Any,
) -> None:
    """A client acked an emit from ``host_id``: send the ack back there."""
    message = mm.CallbackMessage(host_id, target, namespace, ack_id, list(args))
    try:
        manager._send(message, reply_to)
    except (TypeError, ValueError) as exc:
        manager.logger.warning("an ack for %s cannot cross nodes (not JSON: %s)", host_id, exc)
