"""The benchmark application, written once against the API greensio shares with python-socketio.

``build(socketio)`` returns the WSGI app of a fresh server; ``node_server.js`` is the same app for
Node's socket.io. Namespace ``/`` only:

    connect     accepts every client
    echo        acknowledges with its own arguments
    join        puts the sender in room ``all``; acknowledges ``True`` (so a client knows it is in)
    broadcast   ``{"n": N, "payload": P}`` from a controller client: emits ``fanout`` ``P`` to room
                ``all`` N times, then acknowledges ``N``

Every other path answers 404, which the driver uses as a readiness probe.
"""

from __future__ import annotations

ROOM = "all"


def build(socketio):
    """The WSGI app of a fresh benchmark server on ``socketio`` (greensio or python-socketio)."""
    sio = socketio.Server(async_mode="gevent")

    @sio.event
    def connect(sid, environ, auth=None):
        return True

    @sio.event
    def echo(sid, *args):
        return args

    @sio.event
    def join(sid, *args):
        sio.enter_room(sid, ROOM)
        return True

    @sio.event
    def broadcast(sid, spec):
        count = int(spec["n"])
        payload = spec["payload"]
        for _ in range(count):
            sio.emit("fanout", payload, to=ROOM)
        return count

    return socketio.WSGIApp(sio)
