# Generated from tests/apps/async_cluster_api.py by scripts/unasync.py: do not edit.
"""An app exercising the cluster-wide operations (``fetch_sockets``, ``server_side_emit``,
``broadcast_call``, ...); a client drives it with the event ``do`` and a dict ``{"op": ...}``,
the ack being the result (``{"error": "<exception class>", "replies": ...}`` when it raised).

Written once, for asyncio; scripts/unasync.py makes the ``Server`` twin
(tests/apps/cluster_api.py). Either may run on a message-queue manager (``manager='redis'``,
``'redis-streams'`` or ``'kombu'``, ``url``, ``channel``): a node of a test cluster. On asyncio
they are the asyncio managers (RabbitMQ's in aio-pika's shape); ``'redis-sync'`` is
greensio's greenlet ``RedisManager``, which serves either front-end.

    fetch          fetch_sockets(to=) -> [{sid, rooms, data, local}] sorted by sid
    fetch_act      fetch_sockets(to=), then on each: emit(event, data) / enter_room(room) /
                   leave_room(room) / disconnect() (``action``)
    enter / leave  sockets_enter_room(room, to=) / sockets_leave_room(room, to=)
    disconnect     disconnect_sockets(to=)
    server_emit    server_side_emit(event, data)
    server_call    server_side_call(event, data, timeout=) -> the list
    bcall          broadcast_call(event, data, to=, skip_sid=, timeout=) -> {sid: reply}
    emit           emit(event, data, to=)
    session        save {"value": data} as the requester's session
    rooms          rooms(sid) (``sid``: the requester's by default), wherever it is connected
    participants   the sids of manager.get_participants('/', room), on every node
    sid            the requester's sid; pid: the node's
    nodes          how many other greensio nodes it knows; close_manager: manager.close()
    heard          the server-side events this node's handlers got
"""

from __future__ import annotations

import os


def _manager(socketio, manager, url, channel, options):
    if manager is None:
        return None
    kinds = {
        "redis": socketio.RedisManager,
        "redis-streams": socketio.RedisStreamsManager,
        "redis-sync": socketio.RedisManager,
        "kombu": socketio.KombuManager,
    }
    return kinds[manager](url, channel=channel, **options)


def _info(socket):
    rooms = sorted(str(room) for room in socket.rooms)
    return {"sid": socket.sid, "rooms": rooms, "data": socket.data, "local": socket.local}


def build(socketio, manager=None, url="", channel="socketio", manager_options=None, **options):
    client_manager = _manager(socketio, manager, url, channel, manager_options or {})
    sio = socketio.Server(client_manager=client_manager, **options)
    heard = []

    @sio.on_server_event("news")
    def news(*args):
        heard.append(list(args))

    @sio.on_server_event("whoami")
    def whoami(*args):
        heard.append(list(args))
        return {"pid": os.getpid(), "args": list(args)}

    @sio.on_server_event("broken")
    def broken(*args):
        raise RuntimeError("this handler fails on purpose")

    def fetch_act(op):
        sockets = sio.fetch_sockets(to=op.get("to"))
        for socket in sockets:
            if op["action"] == "emit":
                socket.emit(op["event"], op.get("data"))
            elif op["action"] == "enter_room":
                socket.enter_room(op["room"])
            elif op["action"] == "leave_room":
                socket.leave_room(op["room"])
            else:
                socket.disconnect()
        return sorted(socket.sid for socket in sockets)

    def run(sid, op):
        kind = op["op"]
        if kind == "fetch":
            sockets = sio.fetch_sockets(to=op.get("to"), namespace=op.get("namespace"))
            return sorted((_info(socket) for socket in sockets), key=lambda info: info["sid"])
        if kind == "fetch_act":
            return fetch_act(op)
        if kind == "enter":
            sio.sockets_enter_room(op["room"], to=op.get("to"))
        elif kind == "leave":
            sio.sockets_leave_room(op["room"], to=op.get("to"))
        elif kind == "disconnect":
            sio.disconnect_sockets(to=op.get("to"))
        elif kind == "server_emit":
            sio.server_side_emit(op["event"], op.get("data"))
        elif kind == "server_call":
            return sio.server_side_call(op["event"], op.get("data"), timeout=op["timeout"])
        elif kind == "bcall":
            return sio.broadcast_call(
                op.get("event", "ask"),
                op.get("data"),
                to=op.get("to"),
                skip_sid=op.get("skip_sid"),
                timeout=op.get("timeout", 10),
            )
        elif kind == "emit":
            sio.emit(op["event"], op.get("data"), to=op.get("to"))
        elif kind == "session":
            sio.save_session(sid, {"value": op.get("data")})
        elif kind == "rooms":
            return sorted(str(room) for room in sio.rooms(op.get("sid", sid)))
        elif kind == "participants":
            return sorted(s for s, _ in sio.manager.get_participants("/", op["room"]))
        elif kind == "sid":
            return sid
        elif kind == "nodes":
            link = getattr(sio.manager, "cluster", None)
            return 0 if link is None else link.count()
        elif kind == "close_manager":
            sio.manager.close()
        elif kind == "pid":
            return os.getpid()
        elif kind == "heard":
            return heard
        return "ok"

    @sio.on("do")
    def do(sid, op):
        try:
            return run(sid, op)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            return {"error": type(exc).__name__, "replies": getattr(exc, "replies", None)}

    return socketio.WSGIApp(sio)
