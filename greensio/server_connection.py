"""One Engine.IO connection as the Socket.IO server sees it: its core session, its ordered task
queue (one client's events are handled one after another), its pending acks and its sessions."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from typing import Any

from greensio.acks import PendingAcks
from greensio.backends.base import Backend
from greensio.protocol.socketio_session import ServerSession

logger = logging.getLogger("greensio.server")


class ClientConnection:
    def __init__(
        self,
        eio_sid: str,
        session: ServerSession,
        backend: Backend,
        environ: dict[str, Any],
        max_pending_acks: int = 1000,
    ) -> None:
        self.eio_sid = eio_sid
        self.session = session
        self.backend = backend
        self.environ = environ
        self.lock = backend.lock()
        self.acks = PendingAcks(backend, max_pending_acks)
        #: namespace -> the application's session dict (``Server.get_session``).
        self.user_sessions: dict[str, dict[str, Any]] = {}
        self._tasks: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque()
        )
        self._running = False

    def run_in_order(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after every task queued before it, in a worker task."""
        with self.lock:
            self._tasks.append((fn, args))
            if self._running:
                return
            self._running = True
        self.backend.spawn(self._drain)

    def run_now(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in a task of its own (handlers configured as concurrent)."""
        self.backend.spawn(_guarded, fn, args)

    def _drain(self) -> None:
        while True:
            with self.lock:
                if not self._tasks:
                    self._running = False
                    return
                fn, args = self._tasks.popleft()
            _guarded(fn, args)


def _guarded(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        fn(*args)
    except Exception:
        logger.exception("handler failed")
