"""One ``AsyncServer`` node of a test cluster, served by uvicorn: ``tests.support.cluster_app``'s
operations (the same ``do`` event and ops) over an asyncio message-queue manager.

``manager``: 'redis' (``AsyncRedisManager``), 'redis-sync' (greensio's ``RedisManager``, the
same object serving an ``AsyncServer``), 'kombu' (``AsyncAioPikaManager``).
"""

from __future__ import annotations

import os


def _manager(socketio, manager: str, url: str, channel: str, options: dict):
    if manager == "redis":
        return socketio.AsyncRedisManager(url, channel=channel, **options)
    if manager == "redis-sync":
        return socketio.RedisManager(url, channel=channel, **options)
    return socketio.AsyncAioPikaManager(url, channel=channel, **options)


def build(
    socketio,
    manager: str = "redis",
    url: str = "",
    channel: str = "socketio",
    manager_options: dict | None = None,
):
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=_manager(socketio, manager, url, channel, manager_options or {}),
    )

    async def run(sid, op):
        kind = op["op"]
        if kind == "emit":
            await sio.emit(
                op["event"], op.get("data"), to=op.get("to"), skip_sid=op.get("skip_sid")
            )
        elif kind == "emit_cb":

            async def answered(*args):
                await sio.emit("cb_result", list(args), to=sid)

            await sio.emit(op["event"], op.get("data"), to=op["to"], callback=answered)
        elif kind == "call":
            return await sio.call(
                op["event"], op.get("data"), to=op["to"], timeout=op.get("timeout", 5)
            )
        elif kind == "enter_room":
            await sio.enter_room(op["sid"], op["room"])
        elif kind == "leave_room":
            await sio.leave_room(op["sid"], op["room"])
        elif kind == "close_room":
            await sio.close_room(op["room"])
        elif kind == "disconnect":
            await sio.disconnect(op["sid"])
        elif kind == "rooms":
            return sorted(str(room) for room in sio.rooms(op.get("sid", sid)))
        elif kind == "sid":
            return sid
        elif kind == "pid":
            return os.getpid()
        return "ok"

    @sio.on("do")
    async def do(sid, op):
        try:
            return await run(sid, op)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            return {"error": type(exc).__name__}

    return socketio.ASGIApp(sio)
