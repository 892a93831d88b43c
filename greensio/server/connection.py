"""One Engine.IO connection as the Socket.IO server sees it: its core session, its ordered task
queue (one client's events are handled one after another), its pending acks and its sessions."""

from __future__ import annotations

from typing import Any

from greensio.acks import PendingAcks
from greensio.backends.base import Backend
from greensio.backends.tasks import TaskQueue
from greensio.protocol.socketio.session import ServerSession


class ClientConnection(TaskQueue):
    def __init__(
        self,
        eio_sid: str,
        session: ServerSession,
        backend: Backend,
        environ: dict[str, Any],
        max_pending_acks: int = 1000,
    ) -> None:
        super().__init__(backend)
        self.eio_sid = eio_sid
        self.session = session
        self.environ = environ
        #: Guards ``session``. Its sections never yield under gevent (where it is free); a
        #: packet's messages stay together on the way out by the Engine.IO socket's own lock.
        self.lock = backend.atomic_lock()
        self.acks = PendingAcks(backend, max_pending_acks)
        #: namespace -> the application's session dict (``Server.get_session``).
        self.user_sessions: dict[str, dict[str, Any]] = {}
        #: (sid, namespace) whose disconnect handler is running (it may call disconnect again).
        self.leaving: set[tuple[str, str]] = set()
