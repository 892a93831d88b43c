"""What ``AsyncServer.fetch_sockets`` returns: one socket of the cluster, wherever it lives.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (``Server``'s).
"""

from __future__ import annotations

from typing import Any


class AsyncRemoteSocket:
    """A socket of this node or of another one, as ``fetch_sockets`` found it.

    Attributes:
        sid: its Socket.IO sid. namespace: its namespace.
        rooms: the rooms it was in (its own sid's room included).
        data: a snapshot (a copy) of its session dict on that namespace.
        local: whether it is a client of this node.

    Its methods act through the server, which reaches another node's client through the
    manager: ``emit``, ``enter_room``, ``leave_room``, ``disconnect``.
    """

    __slots__ = ("server", "sid", "namespace", "rooms", "data", "local")

    def __init__(self, server: Any, info: dict[str, Any], local: bool) -> None:
        self.server = server
        self.sid: str = info["sid"]
        self.namespace: str = info["namespace"]
        self.rooms: list[Any] = list(info["rooms"])
        self.data: dict[str, Any] = dict(info["data"])
        self.local = local

    def __repr__(self) -> str:
        where = "here" if self.local else "on another node"
        return f"<RemoteSocket {self.sid} {self.namespace} {where} rooms={self.rooms!r}>"

    async def emit(self, event: str, data: Any = None) -> None:
        """Emit ``event`` to this socket."""
        await self.server.emit(event, data, to=self.sid, namespace=self.namespace)

    async def enter_room(self, room: Any) -> None:
        """Put this socket in ``room``."""
        await self.server.enter_room(self.sid, room, namespace=self.namespace)

    async def leave_room(self, room: Any) -> None:
        """Take this socket out of ``room``."""
        await self.server.leave_room(self.sid, room, namespace=self.namespace)

    async def disconnect(self) -> None:
        """Disconnect this socket from its namespace."""
        await self.server.disconnect(self.sid, namespace=self.namespace)
