# Generated from greensio/server/async_admin.py by scripts/unasync.py: do not edit.
"""The admin UI (https://admin.socket.io, ``@socket.io/admin-ui``): ``sio.instrument()``.

An ``Admin`` is an observer (``greensio.server.observers``) of its server and of its
Engine.IO server (``EngineObserver``): it hears of connections, upgrades, rooms, events and
bytes through their hooks (no method is replaced) and reports them in the admin UI's protocol:
``config``, ``server_stats`` every ``server_stats_interval`` seconds (with the
``aggregatedEvents`` the UI's charts read: ``rawConnection``, ``rawDisconnection``,
``packetsIn``/``packetsOut``, ``bytesIn``/``bytesOut``) and, in 'development' mode,
``all_sockets``, ``socket_connected``/``socket_updated``/``socket_disconnected``,
``room_joined``/``room_left`` and ``event_received``/``event_sent``. Unless ``read_only``, the
UI may ``emit``, ``join``, ``leave`` and ``_disconnect`` sockets, cluster-wide.

Across nodes (a message-queue manager), as Node's: every report but the welcome is an emit on
the admin namespace through the manager, so every admin client hears every node, each under its
own ``server_id``; ``all_sockets`` gathers the other nodes' with a server-side call.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from greensio import exceptions
from greensio.exceptions import UsageError
from greensio.protocol.rooms import Room

#: The server-side event by which an admin's node asks the others for their sockets.
HELLO = "admin:hello"

Auth = dict[str, Any] | list[dict[str, Any]] | Callable[[Any], bool] | None


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _bcrypt() -> Any:
    try:
        import bcrypt
    except ImportError:
        raise UsageError(
            "the admin password is a bcrypt hash, which needs the bcrypt package: "
            "pip install greensio[admin]"
        ) from None
    return bcrypt


def _bcrypt_check(password: str, hashed: str) -> bool:
    try:
        return bool(_bcrypt().checkpw(password.encode(), hashed.encode()))
    except ValueError:  # a malformed hash: no password matches it
        return False


def _is_hash(password: Any) -> bool:
    return isinstance(password, str) and password.startswith(("$2a$", "$2b$", "$2y$"))


def _matches(expected: dict[str, Any], given: Any) -> bool:
    if not isinstance(given, dict):
        return False
    password = expected.get("password")
    if _is_hash(password):
        rest = {k: v for k, v in expected.items() if k != "password"}
        if any(given.get(k) != v for k, v in rest.items()):
            return False
        return isinstance(given.get("password"), str) and _bcrypt_check(
            given["password"], str(password)
        )
    return given == expected


class Admin:
    """One server's admin UI instrumentation (``sio.instrument`` makes it)."""

    FEATURES_WRITE = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]

    def __init__(
        self,
        sio: Any,  # the Server (not imported: it imports this module)
        auth: Auth = None,
        mode: str = "development",
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
    ) -> None:
        if mode not in ("development", "production"):
            raise UsageError(f"mode is 'development' or 'production', not {mode!r}")
        if auth is None and not read_only:
            sio.logger.warning("the admin UI at %s takes no credentials (auth=None)", namespace)
        hashes = [auth] if isinstance(auth, dict) else auth if isinstance(auth, list) else []
        if any(_is_hash(a.get("password")) for a in hashes):
            _bcrypt()  # the missing extra is an error now, not at the first login
        self.sio = sio
        self.auth = auth
        self.mode = mode
        #: 'development': sockets, rooms and events are reported one by one (Node's too).
        self.verbose = mode == "development"
        self.read_only = read_only
        self.namespace = namespace
        self.server_id = server_id or f"{socket.gethostname()}#{os.getpid()}"
        self.interval = server_stats_interval
        self.started = time.monotonic()
        self.connected_at: dict[tuple[str, str], float] = {}
        self.counts: dict[tuple[int, str, str | None], int] = {}
        self.stats_task: Any = None
        self.stopped = False
        sio.on("connect", self._admin_connect, namespace=namespace)
        for event, handler in (
            ("emit", self._emit),
            ("join", self._join),
            ("leave", self._leave),
            ("_disconnect", self._disconnect),
        ):
            sio.on(event, handler, namespace=namespace)
        sio.on_server_event(HELLO, self._hello, namespace=namespace)
        sio.manager.observers = sio.listeners.observers
        sio.listeners.observers.add(self)
        sio.eio.observer = self

    # --- reports ---------------------------------------------------------------------------------
    def _report(self, event: str, *args: Any, to: str | None = None) -> None:
        """Queue ``event`` to every admin client of the cluster (``to``: one of this node's)."""
        if to is None:  # (a manager's emit queues, or publishes: it never waits)
            self.sio.manager.emit(event, list(args), namespace=self.namespace)
            return
        delivery = self.sio.delivery
        prepared = delivery.encode_event(self.namespace, event, list(args))
        for _sid, eio_sid in self.sio.manager.get_targets(self.namespace, to):
            delivery.deliver(eio_sid, self.namespace, prepared)

    def _count(self, kind: str, sub_type: str | None = None, n: int = 1) -> None:
        """Add ``n`` to this second's count of ``kind`` (Node's EventBuffer)."""
        key = (int(time.time()) * 1000, kind, sub_type)
        self.counts[key] = self.counts.get(key, 0) + n

    def serialize(self, sid: str, namespace: str) -> dict[str, Any]:
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, namespace) or ""
        environ = self.sio.eio.get_environ(eio_sid) or {} if eio_sid else {}
        headers = {
            k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k[:5] == "HTTP_"
        }
        query = parse_qs(environ.get("QUERY_STRING", ""))
        issued = self.connected_at.get((sid, namespace), time.time())
        try:
            transport = self.sio.eio.transport(eio_sid)
        except Exception:  # noqa: BLE001 - the connection is ending
            transport = "polling"
        return {
            "id": sid,
            "clientId": eio_sid,
            "transport": transport,
            "nsp": namespace,
            "data": {},
            "handshake": {
                "address": headers.get("x-forwarded-for") or environ.get("REMOTE_ADDR", ""),
                "headers": headers,
                "query": {k: v[0] if len(v) == 1 else v for k, v in query.items()},
                "secure": environ.get("wsgi.url_scheme") == "https",
                "url": environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""),
                "issued": int(issued * 1000),
                "time": datetime.fromtimestamp(issued, timezone.utc).isoformat(),
            },
            "rooms": [r for r in self.sio.manager.get_rooms(sid, namespace) if r is not None],
        }

    def all_sockets(self) -> list[dict[str, Any]]:
        manager = self.sio.manager
        return [
            self.serialize(sid, nsp)
            for nsp in manager.get_namespaces()
            for sid, _eio_sid in manager.get_targets(nsp, None)
        ]

    def server_stats(self, drain: bool = True) -> dict[str, Any]:
        """This node's stats; ``drain``: with the counts since the last report (then reset)."""
        counts: dict[tuple[int, str, str | None], int] = {}
        if drain:
            counts, self.counts = self.counts, {}
        clients = list(self.sio.clients)
        polling = 0
        for eio_sid in clients:
            try:
                polling += self.sio.eio.transport(eio_sid) == "polling"
            except Exception:  # noqa: BLE001 - the connection is ending
                pass
        manager = self.sio.manager
        return {
            "serverId": self.server_id,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "uptime": time.monotonic() - self.started,
            "clientsCount": len(clients),
            "pollingClientsCount": polling,
            "aggregatedEvents": [
                {"timestamp": ts, "type": kind, "count": n}
                | ({} if sub is None else {"subType": sub})
                for (ts, kind, sub), n in counts.items()
            ],
            "namespaces": [
                {"name": nsp, "socketsCount": sum(1 for _ in manager.get_targets(nsp, None))}
                for nsp in sorted(set(manager.get_namespaces()) | set(self.sio.handlers))
            ],
        }

    def _start_stats(self) -> None:
        """Report stats from now on (from the first connection, or an admin's on any node)."""
        if self.stats_task is None and not self.stopped:
            self.stats_task = self.sio.start_background_task(self._stats_loop)

    def _stats_loop(self) -> None:
        while not self.stopped:
            self._report("server_stats", self.server_stats())
            self.sio.sleep(self.interval)

    # --- the observer ----------------------------------------------------------------------------
    def socket_connected(self, sid: str, namespace: str) -> None:
        self.connected_at[(sid, namespace)] = time.time()
        if self.verbose:
            self._report("socket_connected", self.serialize(sid, namespace), _now_iso())

    def socket_disconnected(self, sid: str, namespace: str, reason: str) -> None:
        self.connected_at.pop((sid, namespace), None)
        if self.verbose:
            self._report("socket_disconnected", namespace, sid, reason, _now_iso())

    def room_joined(self, sid: str, namespace: str, room: Room) -> None:
        if self.verbose and room is not None and room != sid:
            self._report("room_joined", namespace, room, sid, _now_iso())

    def room_left(self, sid: str, namespace: str, room: Room) -> None:
        if self.verbose and room is not None and room != sid:
            self._report("room_left", namespace, room, sid, _now_iso())

    def event_received(self, sid: str, namespace: str, event: str, args: list[Any]) -> None:
        if namespace != self.namespace and self.verbose:
            self._report("event_received", namespace, sid, [event, *args], _now_iso())

    def event_sent(self, sid: str, namespace: str, event: str, args: list[Any]) -> None:
        if namespace != self.namespace and self.verbose:
            self._report("event_sent", namespace, sid, [event, *args], _now_iso())

    # --- the Engine.IO server's observer: Node's engine listeners --------------------------------
    def engine_connected(self, sid: str) -> None:
        self._count("rawConnection")
        self._start_stats()

    def engine_closed(self, sid: str, reason: str) -> None:
        self._count("rawDisconnection", reason)

    def engine_upgraded(self, sid: str, transport: str) -> None:
        client = self.sio.clients.get(sid)
        if self.verbose and client is not None:
            for namespace, socket_sid in list(client.session.sids.items()):
                update = {"id": socket_sid, "nsp": namespace, "transport": transport}
                self._report("socket_updated", update)

    def engine_received(self, sid: str, data: str | bytes) -> None:
        self._count("packetsIn")
        self._count("bytesIn", None, len(data.encode() if isinstance(data, str) else data))

    def engine_sent(self, sid: str, messages: list[str | bytes]) -> None:
        self._count("packetsOut", None, len(messages))
        size = sum(len(m.encode() if isinstance(m, str) else m) for m in messages)
        self._count("bytesOut", None, size)

    # --- the admin namespace's handlers ----------------------------------------------------------
    def _authenticated(self, given: Any) -> bool:
        auth = self.auth
        if auth is None:
            return True
        if isinstance(auth, dict):
            return _matches(auth, given)
        if isinstance(auth, list):
            return any(_matches(a, given) for a in auth)
        return bool(auth(given))

    def _admin_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if not self._authenticated(auth):
            raise exceptions.ConnectionRefusedError("authentication failed")
        self._start_stats()
        self.sio.start_background_task(self._welcome, sid)

    def _hello(self) -> list[dict[str, Any]]:
        """Another node's admin client connected: report stats, and list this node's sockets."""
        self._start_stats()
        return self.all_sockets() if self.verbose else []

    def _welcome(self, sid: str) -> None:
        """``config``, then ``all_sockets`` of every node (held for ``sid`` until its connect is
        accepted) and this node's stats at once."""
        features = [] if self.read_only else list(self.FEATURES_WRITE)
        features.append("AGGREGATED_EVENTS")
        if self.verbose:
            features.append("ALL_EVENTS")
        self._report("config", {"supportedFeatures": features}, to=sid)
        others: list[Any] = []
        try:
            others = self.sio.server_side_call(
                HELLO, namespace=self.namespace, timeout=self.sio.cluster_timeout
            )
        except UsageError:
            pass  # no cluster-wide operations here: this node's sockets only
        if self.verbose:
            found = self.all_sockets()
            for listed in others:
                found += listed if isinstance(listed, list) else []
            self._report("all_sockets", found, to=sid)
        self._report("server_stats", self.server_stats(drain=False), to=sid)

    def _emit(self, _sid: str, namespace: str, room_filter: Any, event: str, *args: Any) -> None:
        if not self.read_only:
            self.sio.emit(event, args, to=room_filter or None, namespace=namespace)

    def _join(self, _sid: str, namespace: str, room: Room, room_filter: Any = None) -> None:
        if not self.read_only:
            self._act("enter_room", namespace, room_filter, room)

    def _leave(self, _sid: str, namespace: str, room: Room, room_filter: Any = None) -> None:
        if not self.read_only:
            self._act("leave_room", namespace, room_filter, room)

    def _disconnect(
        self, _sid: str, namespace: str, close: Any = False, room_filter: Any = None
    ) -> None:
        if not self.read_only:
            self._act("disconnect", namespace, room_filter)

    def _act(self, op: str, namespace: str, room_filter: Any, room: Room = None) -> None:
        """``op`` on the sockets in ``room_filter`` (None: all), on every node: a cluster-wide
        operation; with a manager that has none (``UsageError``), one by one on this node's
        sockets and on the sid the filter names, wherever it lives."""
        sio, to = self.sio, room_filter or None
        try:
            if op == "disconnect":
                sio.disconnect_sockets(to=to, namespace=namespace)
            elif op == "enter_room":
                sio.sockets_enter_room(room, to=to, namespace=namespace)
            else:
                sio.sockets_leave_room(room, to=to, namespace=namespace)
            return
        except UsageError:
            pass
        sids = [sid for sid, _ in sio.manager.get_targets(namespace, to)]
        if isinstance(to, str) and not sids and sio.manager.is_remote(to, namespace):
            sids = [to]
        for sid in sids:
            if op == "disconnect":
                sio.disconnect(sid, namespace=namespace)
            elif op == "enter_room":
                sio.enter_room(sid, room, namespace=namespace)
            else:
                sio.leave_room(sid, room, namespace=namespace)

    def shutdown(self) -> None:
        """Stop the stats and the hooks (the handlers stay registered)."""
        self.stopped = True
        self.sio.listeners.observers.remove(self)
        if self.sio.eio.observer is self:
            self.sio.eio.observer = None
