"""The benchmark application, written once against the API greensio shares with python-socketio.

``build(socketio)`` returns the WSGI app of a fresh server; ``node_server.js`` is the same app for
Node's socket.io. Namespace ``/`` only:

    connect     accepts every client
    echo        acknowledges with its own arguments
    join        puts the sender in room ``all``; acknowledges ``True`` (so a client knows it is in)
    broadcast   ``{"n": N, "payload": P}`` from a controller client: emits ``fanout`` ``P`` to room
                ``all`` N times, then acknowledges ``N``
    relay       ``(target_sid, P)``: ``call("echo", P, to=target_sid)`` (on the cluster rows
                ``target_sid`` is a client of the other node, so the call and its ack cross Redis),
                then acknowledges with the target's answer

With ``BENCH_REDIS_URL`` set, the server is a node of a cluster: ``client_manager`` is the
implementation's ``RedisManager`` on that URL (channel ``BENCH_REDIS_CHANNEL``, default
``socketio``).

Every other path answers 404, which the driver uses as a readiness probe.
"""

from __future__ import annotations

import os

ROOM = "all"


def build(socketio):
    """The WSGI app of a fresh benchmark server on ``socketio`` (greensio or python-socketio)."""
    options = {}
    redis_url = os.environ.get("BENCH_REDIS_URL")
    if redis_url:
        channel = os.environ.get("BENCH_REDIS_CHANNEL", "socketio")
        options["client_manager"] = socketio.RedisManager(redis_url, channel=channel)
    sio = socketio.Server(async_mode="gevent", **options)

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

    @sio.event
    def relay(sid, target, payload):
        return sio.call("echo", payload, to=target, timeout=10)

    return socketio.WSGIApp(sio)
