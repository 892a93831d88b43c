# Generated from tests/support/async_cluster_app.py by scripts/unasync.py: do not edit.
"""One node of a test cluster: a Socket.IO server on a message-queue manager, served by uvicorn
on asyncio and by gevent on greenlets.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin
(tests/support/cluster_app.py). Built as ``build(socketio, manager='redis', url=...,
channel=...)`` by ``tests.support.serve`` (``--impl greensio``, or for the greenlet twin
``--impl socketio``: python-socketio's own managers, the reference), so it uses only the API
both share.

``manager``: 'redis', 'redis-streams' or 'kombu' (RabbitMQ: over kombu on greenlets, in
aio-pika's shape on asyncio); 'redis-sync' is greensio's greenlet ``RedisManager``, which
serves either front-end.

A client drives the node it is connected to with the event ``do`` and a dict ``{"op": ...}``;
the ack is the result (``{"error": "<exception class>"}`` when the operation raised):

    emit        sio.emit(event, data, to=, skip_sid=)
    emit_cb     sio.emit(event, data, to=, callback=): the ack's arguments come back to the
                requester as the event ``cb_result``
    call        sio.call(event, data, to=, timeout=) -> the reply
    enter_room / leave_room   sio.enter_room(sid, room) / leave_room
    close_room  sio.close_room(room)
    disconnect  sio.disconnect(sid)
    rooms       sio.rooms(sid) (this node's view)
    sid         the requester's own sid
    pid         the node's process id
    nodes       how many other greensio nodes the node knows (0 for python-socketio's)
"""

from __future__ import annotations

import os

ASYNC_MODE = "gevent"


def _manager(socketio, manager: str, url: str, channel: str, options: dict):
    # By name: the reference (python-socketio) has only some of them.
    kinds = {
        "redis": "RedisManager",
        "redis-streams": "RedisStreamsManager",
        "redis-sync": "RedisManager",
        # RabbitMQ: over kombu (on asyncio, replaced by aio-pika's shape).
        "kombu": "KombuManager",
    }
    return getattr(socketio, kinds[manager])(url, channel=channel, **options)


def build(
    socketio,
    manager: str = "redis",
    url: str = "",
    channel: str = "socketio",
    manager_options: dict | None = None,
):
    sio = socketio.Server(
        async_mode=ASYNC_MODE,
        client_manager=_manager(socketio, manager, url, channel, manager_options or {}),
    )

    def run(sid, op):
        kind = op["op"]
        if kind == "emit":
            sio.emit(op["event"], op.get("data"), to=op.get("to"), skip_sid=op.get("skip_sid"))
        elif kind == "emit_cb":

            def answered(*args):
                sio.emit("cb_result", list(args), to=sid)

            sio.emit(op["event"], op.get("data"), to=op["to"], callback=answered)
        elif kind == "call":
            return sio.call(op["event"], op.get("data"), to=op["to"], timeout=op.get("timeout", 5))
        elif kind == "enter_room":
            sio.enter_room(op["sid"], op["room"])
        elif kind == "leave_room":
            sio.leave_room(op["sid"], op["room"])
        elif kind == "close_room":
            sio.close_room(op["room"])
        elif kind == "disconnect":
            sio.disconnect(op["sid"])
        elif kind == "rooms":
            return sorted(str(room) for room in sio.rooms(op.get("sid", sid)))
        elif kind == "sid":
            return sid
        elif kind == "pid":
            return os.getpid()
        elif kind == "nodes":  # greensio's: how many other greensio nodes this one knows
            link = getattr(sio.manager, "cluster", None)
            return 0 if link is None else link.count()
        return "ok"

    @sio.on("do")
    def do(sid, op):
        try:
            return run(sid, op)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            return {"error": type(exc).__name__}

    return socketio.WSGIApp(sio)
