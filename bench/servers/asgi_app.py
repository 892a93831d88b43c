"""The benchmark application of ``app.py`` on the asyncio servers (``AsyncServer`` behind
``ASGIApp``), for greensio and python-socketio alike: the same events, the same answers."""

from __future__ import annotations

from app import ROOM


def build(socketio):
    """The ASGI app of a fresh benchmark server on ``socketio`` (greensio or python-socketio)."""
    sio = socketio.AsyncServer(async_mode="asgi")

    @sio.event
    async def connect(sid, environ, auth=None):
        return True

    @sio.event
    async def echo(sid, *args):
        return args

    @sio.event
    async def join(sid, *args):
        await sio.enter_room(sid, ROOM)
        return True

    @sio.event
    async def broadcast(sid, spec):
        count = int(spec["n"])
        payload = spec["payload"]
        for _ in range(count):
            await sio.emit("fanout", payload, to=ROOM)
        return count

    return socketio.ASGIApp(sio)
