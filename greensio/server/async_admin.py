"""The admin UI (https://admin.socket.io, ``@socket.io/admin-ui``): ``sio.instrument()``.

An ``AsyncAdmin`` is an observer (``greensio.server.observers``) of its server: it hears of
connections, rooms and events through the server's hooks (no method is replaced) and reports
them to the clients of its namespace ('/admin') in the admin UI's protocol: ``config``,
``server_stats`` every ``server_stats_interval`` seconds and, in 'development' mode,
``all_sockets``, ``socket_connected``/``socket_disconnected``, ``room_joined``/``room_left``
and ``event_received``/``event_sent``. Unless ``read_only``, the UI may ``emit``,
``join``, ``leave`` and ``_disconnect`` sockets.

Reports go to this node's admin clients only (``server_id`` tells nodes apart); aggregating
stats across nodes is for a cluster-wide emit to carry them (``_report`` is the one place).
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


class AsyncAdmin:
    """One server's admin UI instrumentation (``sio.instrument`` makes it)."""

    FEATURES_WRITE = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]

    def __init__(
        self,
        sio: Any,  # the AsyncServer (not imported: it imports this module)
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
        self.counts: dict[tuple[int, str], int] = {}
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
        sio.manager.observers = sio.listeners.observers
        sio.listeners.observers.add(self)

    # --- reports ---------------------------------------------------------------------------------
    def _report(self, event: str, *args: Any, to: str | None = None) -> None:
        """Queue ``event`` to this node's admin clients (``to``: one of them)."""
        delivery = self.sio.delivery
        prepared = delivery.encode_event(self.namespace, event, list(args))
        for _sid, eio_sid in self.sio.manager.get_targets(self.namespace, to):
            delivery.deliver(eio_sid, self.namespace, prepared)

    def _count(self, kind: str) -> None:
        key = (int(time.time()) * 1000, kind)
        self.counts[key] = self.counts.get(key, 0) + 1

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

    def server_stats(self) -> dict[str, Any]:
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
                {"timestamp": ts, "type": kind, "count": n} for (ts, kind), n in counts.items()
            ],
            "namespaces": [
                {"name": nsp, "socketsCount": sum(1 for _ in manager.get_targets(nsp, None))}
                for nsp in sorted(set(manager.get_namespaces()) | set(self.sio.handlers))
            ],
        }

    async def _stats_loop(self) -> None:
        while not self.stopped:
            await self.sio.sleep(self.interval)
            self._report("server_stats", self.server_stats())

    # --- the observer ----------------------------------------------------------------------------
    def socket_connected(self, sid: str, namespace: str) -> None:
        self.connected_at[(sid, namespace)] = time.time()
        self._count("connection")
        if self.verbose:
            self._report("socket_connected", self.serialize(sid, namespace), _now_iso())

    def socket_disconnected(self, sid: str, namespace: str, reason: str) -> None:
        self.connected_at.pop((sid, namespace), None)
        self._count("disconnection")
        if self.verbose:
            self._report("socket_disconnected", namespace, sid, reason, _now_iso())

    def room_joined(self, sid: str, namespace: str, room: Room) -> None:
        if self.verbose and room is not None and room != sid:
            self._report("room_joined", namespace, room, sid, _now_iso())

    def room_left(self, sid: str, namespace: str, room: Room) -> None:
        if self.verbose and room is not None and room != sid:
            self._report("room_left", namespace, room, sid, _now_iso())

    def event_received(self, sid: str, namespace: str, event: str, args: list[Any]) -> None:
        if namespace != self.namespace:
            self._count("packetsIn")
            if self.verbose:
                self._report("event_received", namespace, sid, [event, *args], _now_iso())

    def event_sent(self, sid: str, namespace: str, event: str, args: list[Any]) -> None:
        if namespace != self.namespace:
            self._count("packetsOut")
            if self.verbose:
                self._report("event_sent", namespace, sid, [event, *args], _now_iso())

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

    async def _admin_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if not self._authenticated(auth):
            raise exceptions.ConnectionRefusedError("authentication failed")
        if self.stats_task is None:
            self.stats_task = self.sio.start_background_task(self._stats_loop)
        self.sio.start_background_task(self._welcome, sid)

    async def _welcome(self, sid: str) -> None:
        """``config`` then ``all_sockets`` (held for ``sid`` until its connect is accepted)."""
        features = [] if self.read_only else list(self.FEATURES_WRITE)
        features.append("AGGREGATED_EVENTS")
        if self.mode == "development":
            features.append("ALL_EVENTS")
        self._report("config", {"supportedFeatures": features}, to=sid)
        if self.mode == "development":
            self._report("all_sockets", self.all_sockets(), to=sid)
        self._report("server_stats", self.server_stats(), to=sid)

    def _targets(self, namespace: str, room_filter: Any) -> list[str]:
        return [sid for sid, _ in self.sio.manager.get_targets(namespace, room_filter or None)]

    async def _emit(
        self, _sid: str, namespace: str, room_filter: Any, event: str, *args: Any
    ) -> None:
        if not self.read_only:
            await self.sio.emit(event, args, to=room_filter or None, namespace=namespace)

    async def _join(self, _sid: str, namespace: str, room: Room, room_filter: Any = None) -> None:
        if not self.read_only:
            for sid in self._targets(namespace, room_filter):
                await self.sio.enter_room(sid, room, namespace=namespace)

    async def _leave(self, _sid: str, namespace: str, room: Room, room_filter: Any = None) -> None:
        if not self.read_only:
            for sid in self._targets(namespace, room_filter):
                await self.sio.leave_room(sid, room, namespace=namespace)

    async def _disconnect(
        self, _sid: str, namespace: str, close: Any = False, room_filter: Any = None
    ) -> None:
        if not self.read_only:
            for sid in self._targets(namespace, room_filter):
                await self.sio.disconnect(sid, namespace=namespace)

    def shutdown(self) -> None:
        """Stop the stats and the hooks (the handlers stay registered)."""
        self.stopped = True
        self.sio.listeners.observers.remove(self)
