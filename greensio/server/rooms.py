# Generated from greensio/server/async_rooms.py by scripts/unasync.py: do not edit.
"""Rooms, session dicts and the sid look-ups of ``Server``: a mixin over its ``manager``,
``clients`` and ``logger``.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (``Server``'s).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from greensio import exceptions
from greensio.managers.base import Manager
from greensio.server.remote_client import RemoteClient


class RoomsAndSessions:
    """``enter_room``, ``leave_room``, ``close_room``, ``rooms`` and the session dicts."""

    manager: Manager
    clients: dict[str, RemoteClient]
    logger: logging.Logger

    # --- rooms and sessions ----------------------------------------------------------------------
    def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Put ``sid`` in ``room``."""
        remote = self.manager.is_remote(sid, namespace or "/")
        if remote or self._connected(sid, namespace or "/", "enter_room"):
            self.manager.enter_room(sid, namespace or "/", room)

    def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Take ``sid`` out of ``room``."""
        remote = self.manager.is_remote(sid, namespace or "/")
        if remote or self._connected(sid, namespace or "/", "leave_room"):
            self.manager.leave_room(sid, namespace or "/", room)

    def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Empty ``room`` (an observer hears each member leave it, on every node)."""
        self.manager.close_room(room, namespace or "/")

    def rooms(self, sid: str, namespace: str | None = None) -> list[Any]:
        """The rooms ``sid`` is in, its own room included; with a message-queue manager, on
        whichever node it is connected (on ``Server``: asking the other nodes blocks only the
        calling greenlet, at most ``cluster_timeout`` seconds)."""
        namespace = namespace or "/"
        return self.manager.get_rooms(sid, namespace) or self.manager.remote_rooms(sid, namespace)

    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        """The application's session dict for ``sid`` (kept until it disconnects)."""
        namespace = namespace or "/"
        return self._client(sid, namespace, "get_session").user_sessions.setdefault(namespace, {})

    def save_session(self, sid: str, session: dict[str, Any], namespace: str | None = None) -> None:
        """Replace the session dict for ``sid``."""
        namespace = namespace or "/"
        self._client(sid, namespace, "save_session").user_sessions[namespace] = session

    @contextlib.contextmanager
    def session(self, sid: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """A context manager over ``sid``'s session dict: changes are saved on exit."""
        session = self.get_session(sid, namespace)
        yield session
        self.save_session(sid, session, namespace)

    def _client(self, sid: str, namespace: str, action: str | None = None) -> RemoteClient:
        """``sid``'s client; BadNamespaceError (logged as a warning when ``action`` names the
        API call) when it is not connected to ``namespace``."""
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        client = self.clients.get(eio_sid) if eio_sid is not None else None
        if client is None:
            if action is not None:
                self._connected(sid, namespace, action)
            raise exceptions.BadNamespaceError(f"{sid} is not connected to {namespace}")
        return client

    def _connected(self, sid: str, namespace: str, action: str) -> bool:
        """Whether ``sid`` is connected to ``namespace``; a warning naming both when not."""
        if self.manager.eio_sid_from_sid(sid, namespace) is not None:
            return True
        self.logger.warning("%s: %s is not connected to namespace %s", action, sid, namespace)
        return False
