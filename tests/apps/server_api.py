# Generated from tests/apps/async_server_api.py by scripts/unasync.py: do not edit.
"""An app exercising ``Server``'s API; each handler reports what it saw through its ack.

Written once, for asyncio; scripts/unasync.py makes the ``Server`` twin (tests/apps/server_api.py),
so that tests/server/test_server.py checks both front-ends with the same app.
"""

from __future__ import annotations

import random
import time


def build(socketio, **options):
    sio = socketio.Server(**options)
    state = {
        "disconnects": [],
        "callbacks": [],
        "calls": [],
        "seq": {},
        "on_disconnect": {},
        "slow": {},
    }

    @sio.event
    def connect(sid, environ, auth):
        if auth and auth.get("room"):
            sio.enter_room(sid, auth["room"])
        if auth and auth.get("slow"):  # the client may leave while this handler runs
            state["slow"][auth["tag"]] = sid
            sio.sleep(auth["slow"])

    @sio.event
    def slow_sid(sid, tag):
        return state["slow"].get(tag)

    @sio.event
    def disconnect(sid, reason):
        state["disconnects"].append([sid, reason])
        # python-socketio lets the disconnect handler still read the session and rooms.
        state["on_disconnect"][sid] = {
            "session": (sio.get_session(sid)).get("value"),
            "rooms": sorted(sio.rooms(sid)),
        }

    @sio.event
    def seen_on_disconnect(sid, other):
        return state["on_disconnect"].get(other)

    @sio.event
    def call_gone(sid, other):
        start = time.monotonic()
        try:
            sio.call("question", "hello?", to=other, timeout=10)
        except socketio.exceptions.DisconnectedError:
            return ["disconnected", time.monotonic() - start]
        return ["answered"]

    @sio.event
    def call_me_back(sid, data):
        return ["answer", sio.call("question", data, to=sid, timeout=5)]

    @sio.event
    def call_timeout(sid, timeout):
        start = time.monotonic()
        try:
            sio.call("unanswered", sid=sid, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            return ["timeout", time.monotonic() - start]
        return ["answered"]

    @sio.event
    def call_room(sid, room):
        return sio.call("question", "to the room", room=room, timeout=2)

    @sio.event
    def call_in_background(sid, timeout):
        """Call ``sid`` from another task and record how it ended (the client will leave)."""

        def task():
            start = time.monotonic()
            try:
                sio.call("leave_now", sid=sid, timeout=timeout)
                outcome = "answered"
            except socketio.exceptions.DisconnectedError:
                outcome = "disconnected"
            except socketio.exceptions.TimeoutError:
                outcome = "timeout"
            state["calls"].append([outcome, time.monotonic() - start])

        sio.start_background_task(task)

    @sio.event
    def join(sid, room):
        sio.enter_room(sid, room)

    @sio.event
    def leave(sid, room):
        sio.leave_room(sid, room)

    @sio.event
    def close(sid, room):
        sio.close_room(room)

    @sio.event
    def my_rooms(sid):
        return sorted(sio.rooms(sid))

    @sio.event
    def to_room(sid, room, message, skip):
        sio.emit("room_message", message, to=room, skip_sid=skip)

    @sio.event
    def to_rooms(sid, rooms, message):
        sio.emit("room_message", message, room=rooms)

    @sio.event
    def save(sid, value):
        sio.save_session(sid, {"value": value})

    @sio.event
    def load(sid):
        return (sio.get_session(sid)).get("value")

    @sio.event
    def bump(sid):
        with sio.session(sid) as session:
            session["count"] = session.get("count", 0) + 1
        return (sio.get_session(sid))["count"]

    @sio.event
    def whoami(sid):
        environ = sio.get_environ(sid)
        return {"transport": sio.transport(sid), "path": environ["PATH_INFO"]}

    @sio.event
    def kick(sid):
        sio.disconnect(sid)

    @sio.event
    def disconnects(sid):
        return state["disconnects"]

    @sio.event
    def background(sid, delay):
        def task():
            sio.sleep(delay)
            sio.emit("background_done", delay, to=sid)

        sio.start_background_task(task)

    @sio.event
    def send_me(sid, data):
        sio.send(data, to=sid)

    @sio.event
    def emit_with_timeout(sid, timeout):
        sio.emit(
            "unanswered",
            to=sid,
            callback=lambda *args: state["callbacks"].append(
                [type(a).__name__ if isinstance(a, Exception) else a for a in args]
            ),
            timeout=timeout,
        )

    @sio.event
    def emit_with_callback(sid):
        sio.emit(
            "question", "cb", to=sid, callback=lambda *args: state["callbacks"].append(list(args))
        )

    @sio.event
    def callbacks(sid):
        return state["callbacks"]

    @sio.event
    def calls(sid):
        return state["calls"]

    @sio.event
    def seq(sid, i):
        sio.sleep(random.random() * 0.01)  # yields: later events must still wait
        state["seq"].setdefault(sid, []).append(i)

    @sio.event
    def get_seq(sid):
        return state["seq"].get(sid, [])

    @sio.event
    def burst(sid, tasks, per_task, size):
        def task(t):
            for i in range(per_task):
                sio.emit(
                    "blob",
                    {"t": t, "i": i, "data": bytes([t % 256]) * size, "tail": b"\xff"},
                    to=sid,
                )
                if i % 3 == 0:
                    sio.sleep(0)

        for t in range(tasks):
            sio.start_background_task(task, t)

    @sio.on("*")
    def any_event(event, sid, *args):
        return ["caught", event, list(args)]

    @sio.on("connect", namespace="*")
    def any_connect(namespace, sid, environ):
        return namespace != "/forbidden"

    @sio.on("where", namespace="*")
    def where(namespace, sid):
        return namespace

    @sio.on("*", namespace="*")
    def anything_anywhere(event, namespace, sid, *args):
        return ["anywhere", event, namespace]

    return socketio.WSGIApp(sio)
