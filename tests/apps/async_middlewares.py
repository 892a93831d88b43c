"""An app exercising ``sio.use``, ``on_any``, ``on_any_outgoing`` and ``except_rooms``.

What the middlewares and listeners saw is kept by client: by the ``tag`` in the auth for the
middlewares (a refused client has no sid to ask with), by sid for the listeners; clients read it
back with the ``report`` and ``order`` events. ``/gated`` and ``/quiet`` have listeners that
``open_gate``/``close_gate`` and ``mute``/``unmute`` (on '/') take off and put back.

Written once, for asyncio (middlewares and handlers are coroutine functions, listeners plain
ones); scripts/unasync.py makes the greenlet twin (tests/apps/middlewares.py).
"""

from __future__ import annotations


def build(socketio, **options):
    sio = socketio.AsyncServer(**options)
    order: dict[str, list[str]] = {}
    incoming: dict[str, list[list]] = {}
    outgoing: dict[str, list[list]] = {}

    def tagged(auth, step):
        order.setdefault((auth or {}).get("tag", "?"), []).append(step)

    @sio.use
    async def first(sid, environ, auth):
        tagged(auth, "first")
        auth = auth or {}
        if auth.get("refuse"):
            raise socketio.exceptions.ConnectionRefusedError(
                "not allowed", {"code": 4, "why": auth["refuse"]}
            )
        if auth.get("crash"):
            raise RuntimeError("this middleware crashed")
        for room in auth.get("rooms", ()):
            await sio.enter_room(sid, room)

    async def second(sid, environ, auth):
        tagged(auth, "second")

    sio.use(second)

    @sio.event
    async def connect(sid, environ, auth):
        tagged(auth, "connect")
        await sio.emit("welcome", {"sid": sid}, to=sid)

    def any_in(event, sid, *args):
        incoming.setdefault(sid, []).append(["any", event, list(args)])

    def any_out(event, sid, *args):
        outgoing.setdefault(sid, []).append([event, list(args)])

    def fragile(event, sid, *args):
        if event == "boom":
            raise ValueError("this listener failed")

    sio.on_any(any_in)
    sio.on_any(fragile)
    sio.on_any_outgoing(any_out)

    @sio.event
    async def boom(sid):
        return "still handled"

    @sio.event
    async def hello(sid, *args):
        incoming.setdefault(sid, []).append(["handler", "hello"])
        return ["hi", *args]

    @sio.event
    async def report(sid, what):
        return {"incoming": incoming.get(sid, []), "outgoing": outgoing.get(sid, [])}.get(what)

    @sio.on("order")
    async def get_order(sid, tag):
        return order.get(tag)

    @sio.event
    async def broadcast(sid, data):
        await sio.emit("news", data["data"], to=data["to"], except_rooms=data["except"])
        await sio.emit("done", data["to"])  # to everyone: after "news", if it came
        return True

    @sio.event
    async def send_me(sid, text):
        await sio.send(text, to=sid)
        return await sio.call("question", text, to=sid, timeout=5)

    # --- listeners taken off and put back --------------------------------------------------------
    async def gate(sid, environ, auth):
        raise socketio.exceptions.ConnectionRefusedError("gate closed")

    sio.use(gate, namespace="/gated")
    sio.on("connect", lambda sid, environ: None, namespace="/gated")

    @sio.event
    async def open_gate(sid):
        sio.remove_middleware(gate, namespace="/gated")

    @sio.event
    async def close_gate(sid):
        sio.use(gate, namespace="/gated")

    sio.on_any(any_in, namespace="/quiet")
    sio.on_any_outgoing(any_out, namespace="/quiet")

    @sio.on("echo", namespace="/quiet")
    async def quiet_echo(sid, data):
        await sio.emit("echoed", data, to=sid, namespace="/quiet")
        return data

    @sio.on("report", namespace="/quiet")
    async def quiet_report(sid, what):
        return await report(sid, what)

    @sio.event
    async def mute(sid):
        sio.off_any(namespace="/quiet")
        sio.off_any_outgoing(any_out, namespace="/quiet")

    @sio.event
    async def unmute(sid):
        sio.on_any(any_in, namespace="/quiet")
        sio.on_any_outgoing(any_out, namespace="/quiet")

    return socketio.ASGIApp(sio)
