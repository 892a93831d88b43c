"""Writes made during one pass of the event loop, sent after it: one system call per
connection per pass (what Node does by writing on the next tick)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

logger = logging.getLogger("greensio.websocket")


class Coalesced(Protocol):
    """A connection whose writes wait for the end of the loop pass (``WebSocketConnection``)."""

    def flush_coalesced(self) -> None:
        """Send what waited, without blocking the caller."""
        ...


class WriteCoalescer:
    """Gathers the writes made during one pass of the event loop and sends each connection's
    in one system call after it: a handler that emits N events to a room of M clients costs M
    sends, not N x M, and several acks ready at once go out together (what Node does by writing
    on the next tick). One short-lived task per loop pass serves every connection."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._dirty: list[Coalesced] = []
        self._scheduled = False

    def add(self, connection: Coalesced) -> None:
        self._dirty.append(connection)
        if not self._scheduled:
            self._scheduled = True
            self.backend.run_soon(self._run)

    def _run(self) -> None:
        try:
            while self._dirty:
                dirty, self._dirty = self._dirty, []
                for connection in dirty:
                    connection.flush_coalesced()
        except Exception:
            logger.exception("websocket write coalescer failed")
        finally:
            self._scheduled = False
