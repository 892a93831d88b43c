# Generated from tests/apps/async_recovery.py by scripts/unasync.py: do not edit.
"""An app for connection state recovery and volatile emits (tests/server/test_recovery.py).

A client ``join``\\ s a room (its session dict gets a mark), asks for a ``burst`` of events, and
loses its transport; the disconnect handler then emits to its sid, to its room and a volatile
event (what it misses). ``state`` tells a client what the server knows of it; ``kept`` whether a
pid's session is kept (a second client polls it before the first reconnects).

With ``manager="redis-streams"`` (or ``"redis"``), ``url`` and ``channel``, it is one node of a
cluster on that Redis (tests/server/test_recovery_nodes.py): ``away`` has this node emit to
another node's lost sid and its room (what it misses on this node), and a volatile event.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (tests/apps/recovery.py).
"""

from __future__ import annotations


def _manager(socketio, manager, url, channel):
    if manager == "redis-streams":
        return socketio.RedisStreamsManager(url, channel=channel)
    return socketio.RedisManager(url, channel=channel)


def build(socketio, recovery_window=120, manager=None, url="", channel="socketio", **options):
    if manager is not None:
        options["client_manager"] = _manager(socketio, manager, url, channel)
    sio = socketio.Server(
        connection_state_recovery={"max_disconnection_duration": recovery_window}, **options
    )
    seen: dict[str, dict] = {}

    @sio.use
    def count_middleware(sid, environ, auth):
        seen.setdefault(sid, {}).setdefault("middlewares", 0)
        seen[sid]["middlewares"] += 1

    @sio.event
    def connect(sid, environ, auth):
        seen.setdefault(sid, {})["environ_recovered"] = environ.get("greensio.recovered")

    @sio.event
    def join(sid, room):
        sio.enter_room(sid, room)
        with sio.session(sid) as session:
            session["mark"] = f"joined {room}"
        return "ok"

    @sio.event
    def burst(sid, n):
        for i in range(n):
            sio.emit("e", i, to=sid)
        return n

    @sio.event
    def disconnect(sid, reason):
        seen.setdefault(sid, {})["reasons"] = [*seen.get(sid, {}).get("reasons", []), reason]
        rooms = [r for r in sio.rooms(sid) if r != sid]
        sio.emit("m", "to-sid-1", to=sid)
        for room in rooms:
            sio.emit("m", "to-room", to=room)
        sio.emit("v", "volatile", to=sid, volatile=True)
        sio.emit("m", "to-sid-2", to=sid)

    @sio.event
    def state(sid):
        session = sio.get_session(sid)
        return {
            "sid": sid,
            "rooms": sorted(r for r in sio.rooms(sid) if r != sid),
            "session": session,
            "is_recovered": sio.is_recovered(sid),
            **seen.get(sid, {}),
        }

    @sio.event
    def volatile_burst(sid, to=None):
        to = to or sid  # (another node's sid, through the manager)
        sio.emit("e", 0, to=to)
        sio.emit("v", 1, to=to, volatile=True)
        sio.emit("e", 1, to=to)
        sio.emit("v", 2, to=to, volatile=True)
        sio.emit("done", 3, to=to)

    @sio.event
    def volatile_alone(sid, to=None):
        sio.emit("v", "alone", to=to or sid, volatile=True)

    @sio.event
    def probe(sid, to):
        sio.emit("probe", to=to)

    @sio.event
    def drop_transport(sid):
        """Fail this client's transport from the server side (as a write error would)."""
        sock = sio.eio.sockets[sio.manager.eio_sid_from_sid(sid, "/")]
        with sock.lock:
            events = sock.session.transport_closed(error=True)
            if sock.ws is not None:
                sock.ws.abort()
            sock.wake.set()
        sio.eio.dispatch(sock, events)

    @sio.event
    def away(sid, lost_sid, room):
        sio.emit("m", "b-to-sid", to=lost_sid)
        sio.emit("v", "b-volatile", to=lost_sid, volatile=True)
        sio.emit("m", "b-to-room", to=room)
        sio.emit("m", "b-not-to-it", to=lost_sid, skip_sid=lost_sid)
        return "ok"

    @sio.event
    def kept(sid, pid):
        return sio.recovery.store.is_kept(pid)

    return socketio.WSGIApp(sio)
