"""An app exercising ``AsyncServer``'s API; each handler reports what it saw through its ack.

Written once, for asyncio; scripts/unasync.py makes the ``Server`` twin (tests/apps/server_api.py),
so that tests/server/test_server.py checks both front-ends with the same app.
"""

from __future__ import annotations

import random
import time


def build(socketio, **options):
    sio = socketio.AsyncServer(**options)
    state = {
        "disconnects": [],
        "callbacks": [],
        "calls": [],
        "seq": {},
        "on_disconnect": {},
        "slow": {},
    }

    @sio.event
    async def connect(sid, environ, auth):
        if auth and auth.get("room"):
            await sio.enter_room(sid, auth["room"])
        if auth and auth.get("slow"):  # the client may leave while this handler runs
            state["slow"][auth["tag"]] = sid
            await sio.sleep(auth["slow"])

    @sio.event
    async def slow_sid(sid, tag):
        return state["slow"].get(tag)

    @sio.event
    async def disconnect(sid, reason):
        state["disconnects"].append([sid, reason])
        # python-socketio lets the disconnect handler still read the session and rooms.
        state["on_disconnect"][sid] = {
            "session": (await sio.get_session(sid)).get("value"),
            "rooms": sorted(sio.rooms(sid)),
        }

    @sio.event
    async def seen_on_disconnect(sid, other):
        return state["on_disconnect"].get(other)

    @sio.event
    async def call_gone(sid, other):
        start = time.monotonic()
        try:
            await sio.call("question", "hello?", to=other, timeout=10)
        except socketio.exceptions.DisconnectedError:
            return ["disconnected", time.monotonic() - start]
        return ["answered"]

    @sio.event
    async def call_me_back(sid, data):
        return ["answer", await sio.call("question", data, to=sid, timeout=5)]

    @sio.event
    async def call_timeout(sid, timeout):
        start = time.monotonic()
        try:
            await sio.call("unanswered", sid=sid, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            return ["timeout", time.monotonic() - start]
        return ["answered"]

    @sio.event
    async def call_room(sid, room):
        return await sio.call("question", "to the room", room=room, timeout=2)

    @sio.event
    async def call_in_background(sid, timeout):
        """Call ``sid`` from another task and record how it ended (the client will leave)."""

        async def task():
            start = time.monotonic()
            try:
                await sio.call("leave_now", sid=sid, timeout=timeout)
                outcome = "answered"
            except socketio.exceptions.DisconnectedError:
                outcome = "disconnected"
            except socketio.exceptions.TimeoutError:
                outcome = "timeout"
            state["calls"].append([outcome, time.monotonic() - start])

        sio.start_background_task(task)

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)

    @sio.event
    async def leave(sid, room):
        await sio.leave_room(sid, room)

    @sio.event
    async def close(sid, room):
        await sio.close_room(room)

    @sio.event
    async def my_rooms(sid):
        return sorted(sio.rooms(sid))

    @sio.event
    async def to_room(sid, room, message, skip):
        await sio.emit("room_message", message, to=room, skip_sid=skip)

    @sio.event
    async def to_rooms(sid, rooms, message):
        await sio.emit("room_message", message, room=rooms)

    @sio.event
    async def save(sid, value):
        await sio.save_session(sid, {"value": value})

    @sio.event
    async def load(sid):
        return (await sio.get_session(sid)).get("value")

    @sio.event
    async def bump(sid):
        async with sio.session(sid) as session:
            session["count"] = session.get("count", 0) + 1
        return (await sio.get_session(sid))["count"]

    @sio.event
    async def whoami(sid):
        environ = sio.get_environ(sid)
        return {"transport": sio.transport(sid), "path": environ["PATH_INFO"]}

    @sio.event
    async def kick(sid):
        await sio.disconnect(sid)

    @sio.event
    async def disconnects(sid):
        return state["disconnects"]

    @sio.event
    async def background(sid, delay):
        async def task():
            await sio.sleep(delay)
            await sio.emit("background_done", delay, to=sid)

        sio.start_background_task(task)

    @sio.event
    async def send_me(sid, data):
        await sio.send(data, to=sid)

    @sio.event
    async def emit_with_timeout(sid, timeout):
        await sio.emit(
            "unanswered",
            to=sid,
            callback=lambda *args: state["callbacks"].append(
                [type(a).__name__ if isinstance(a, Exception) else a for a in args]
            ),
            timeout=timeout,
        )

    @sio.event
    async def emit_with_callback(sid):
        await sio.emit(
            "question", "cb", to=sid, callback=lambda *args: state["callbacks"].append(list(args))
        )

    @sio.event
    async def callbacks(sid):
        return state["callbacks"]

    @sio.event
    async def calls(sid):
        return state["calls"]

    @sio.event
    async def seq(sid, i):
        await sio.sleep(random.random() * 0.01)  # yields: later events must still wait
        state["seq"].setdefault(sid, []).append(i)

    @sio.event
    async def get_seq(sid):
        return state["seq"].get(sid, [])

    @sio.event
    async def burst(sid, tasks, per_task, size):
        async def task(t):
            for i in range(per_task):
                await sio.emit(
                    "blob",
                    {"t": t, "i": i, "data": bytes([t % 256]) * size, "tail": b"\xff"},
                    to=sid,
                )
                if i % 3 == 0:
                    await sio.sleep(0)

        for t in range(tasks):
            sio.start_background_task(task, t)

    @sio.on("*")
    async def any_event(event, sid, *args):
        return ["caught", event, list(args)]

    @sio.on("connect", namespace="*")
    async def any_connect(namespace, sid, environ):
        return namespace != "/forbidden"

    @sio.on("where", namespace="*")
    async def where(namespace, sid):
        return namespace

    @sio.on("*", namespace="*")
    async def anything_anywhere(event, namespace, sid, *args):
        return ["anywhere", event, namespace]

    return socketio.ASGIApp(sio)
