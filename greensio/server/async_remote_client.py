"""The server's record of one connected client (one Engine.IO connection).

Where each fact lives (each is kept once):

- which namespaces the connection has joined, or is joining, and the Socket.IO sid in each: the
  core session (``ServerSession.sids``), the source of truth for what the protocol sends and
  accepts;
- which sids the application sees as connected (from the start of their connect handler until
  their disconnect handler has run), where each lives and its rooms: the manager's registry
  (``Manager.is_connected``; ``pre_disconnect`` marks a sid whose disconnect handler runs);
- the acks the client owes the server: ``acks``; the application's session dicts:
  ``user_sessions``.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin.
"""

from __future__ import annotations

from typing import Any

from greensio.async_acks import AsyncPendingAcks
from greensio.backends.async_tasks import AsyncTaskQueue
from greensio.backends.base import AsyncBackend
from greensio.protocol.socketio.session import ServerSession


class AsyncRemoteClient:
    """One connected client as the server sees it; see the module docstring."""

    __slots__ = ("eio_sid", "session", "environ", "lock", "tasks", "acks", "user_sessions")

    def __init__(
        self,
        eio_sid: str,
        session: ServerSession,
        backend: AsyncBackend,
        environ: dict[str, Any],
        max_pending_acks: int = 1000,
    ) -> None:
        self.eio_sid = eio_sid
        self.session = session
        self.environ = environ
        #: Guards ``session``. Its sections never yield under gevent (where it is free); a
        #: packet's messages stay together on the way out by the Engine.IO socket's own lock.
        self.lock = backend.atomic_lock()
        #: Runs this client's handlers one after another (python-socketio's per-client order).
        self.tasks = AsyncTaskQueue(backend)
        self.acks = AsyncPendingAcks(backend, max_pending_acks)
        #: namespace -> the application's session dict (``Server.get_session``).
        self.user_sessions: dict[str, dict[str, Any]] = {}
