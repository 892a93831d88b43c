# Generated from tests/apps/async_admin_app.py by scripts/unasync.py: do not edit.
"""An app instrumented for the admin UI (``sio.instrument``), for tests/server/test_admin.py.

``admin`` (a dict of ``instrument`` arguments) is taken out of the options; ``"hash": True`` in
it makes the credentials admin / s3cret, the password given as a bcrypt hash (``HASHED``).
``redis`` ({"url", "channel"}) makes it a node of a cluster over that Redis (a message-queue
manager). '/' has ``hello`` (joins room 'r1', answers ``reply``), ``rooms`` (acks the sid's
rooms) and ``close`` (closes the room it names).

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (tests/apps/admin_app.py).
"""

from __future__ import annotations

#: bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4))
HASHED = "$2b$04$uwSGwfbCQE.6Se/jJ97GL.i1vXNKCz93gz8gF9GUdPLnJmG7nxiLm"


def build(socketio, admin=None, redis=None, **options):
    if redis:
        manager = socketio.RedisManager(redis["url"], channel=redis["channel"])
        options["client_manager"] = manager
    sio = socketio.Server(**options)
    admin = dict(admin or {})
    if admin.pop("hash", False):
        admin["auth"] = {"username": "admin", "password": HASHED}
    sio.instrument(**admin)

    @sio.on("hello")
    def hello(sid, data):
        sio.enter_room(sid, "r1")
        sio.emit("reply", {"got": data}, to=sid)

    @sio.on("rooms")
    def rooms(sid):
        return sorted(str(r) for r in sio.rooms(sid))

    @sio.on("close")
    def close(sid, room):
        sio.close_room(room)
        return True

    return socketio.WSGIApp(sio)
