"""The soak test's server: a Socket.IO server with the handlers the load exercises, and ``/stats``.

Built as ``build(greensio, **options)`` by ``tests.support.serve`` (gevent's pywsgi).

Events:
    ``echo`` (data)   acked with ``data``
    ``join`` (room)   joins ``room`` and broadcasts ``room_msg`` (the room and a 2 KB filler) there
    ``shout`` (data)  emits ``shout`` to every client of the room the sender last joined

``GET /stats`` answers JSON: ``clients`` (Engine.IO sessions), ``greenlets`` (live greenlets, by a
walk of the garbage collector's objects, less ``parked``: the gevent backend's idle task greenlets,
a pool of at most 256 kept for reuse) and ``connects``/``disconnects`` so far;
``/stats?detail`` adds ``where``: where each greenlet waits.
"""

from __future__ import annotations

import gc
import json
from typing import Any

FILLER = "f" * 2048


def _live_greenlets() -> tuple[list[Any], int]:
    """The live greenlets but the gevent backend's parked task greenlets (a pool it keeps for
    reuse, greensio/backends/gevent.py), and how many of those there are."""
    import gevent
    from greenlet import greenlet

    pool = getattr(gevent.get_hub(), "_greensio_tasks", None)
    parked = {id(g) for g in pool.idle} if pool is not None else set()
    gc.collect()
    live = [o for o in gc.get_objects() if isinstance(o, greenlet) and not o.dead]
    return [g for g in live if id(g) not in parked], len(parked)


def _where(g: Any) -> str:
    """Where a greenlet waits: the functions of its innermost frames."""
    frame, names = g.gr_frame, []
    while frame is not None and len(names) < 6:
        names.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(names) or repr(g)[:80]


def build(greensio: Any, **options: Any) -> Any:
    sio = greensio.Server(async_mode="gevent", **options)
    counts = {"connects": 0, "disconnects": 0}
    rooms: dict[str, str] = {}

    @sio.event
    def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        counts["connects"] += 1

    @sio.event
    def disconnect(sid: str, reason: str) -> None:
        counts["disconnects"] += 1
        rooms.pop(sid, None)

    @sio.on("echo")
    def echo(sid: str, data: Any) -> Any:
        return data

    @sio.on("join")
    def join(sid: str, room: str) -> None:
        sio.enter_room(sid, room)
        rooms[sid] = room
        sio.emit("room_msg", [room, FILLER], to=room)

    @sio.on("shout")
    def shout(sid: str, data: Any) -> None:
        room = rooms.get(sid)
        if room is not None:
            sio.emit("shout", data, to=room)

    def stats(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/stats":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b""]
        live, parked = _live_greenlets()
        body = {"clients": len(sio.eio.sockets), "greenlets": len(live), "parked": parked}
        body.update(counts)
        if "detail" in environ.get("QUERY_STRING", ""):
            body["where"] = sorted(_where(g) for g in live)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return greensio.WSGIApp(sio, stats)
