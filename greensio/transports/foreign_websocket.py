"""A WebSocket that gevent-websocket's handler already accepted, behind the interface of
greensio's own ``WebSocketConnection``."""

from __future__ import annotations

import logging
import struct
from typing import Any

logger = logging.getLogger("greensio.websocket")


class ForeignWebSocket:
    """A WebSocket that gevent-websocket's handler already accepted (``environ['wsgi.websocket']``).

    Same interface as ``WebSocketConnection``. gevent-websocket reads a whole message before
    handing it over, so ``max_size`` is enforced after the fact here; greensio's own framing
    (used whenever this handler is not in front) enforces it from the frame header.
    """

    def __init__(self, ws: Any, lock: Any, max_size: int) -> None:
        self.ws = ws
        self.lock = lock
        self.max_size = max_size
        self.closed = False

    def receive(self) -> str | bytes | None:
        try:
            message = None if self.closed else self.ws.receive()
        except Exception as exc:  # noqa: BLE001 - gevent-websocket raises its own error types
            logger.debug("websocket read failed: %s", exc)
            message = None
        if message is None:
            self.closed = True
            return None
        # The limit is in bytes, as on the wire: a text message counts its UTF-8 length.
        size = len(message.encode("utf-8")) if isinstance(message, str) else len(message)
        if size > self.max_size:
            self.close(1009, "message too big")
            return None
        return bytes(message) if isinstance(message, (bytearray, memoryview)) else message

    def send(self, message: str | bytes) -> bool:
        return self.send_many([message])

    def send_many(self, messages: list[str | bytes]) -> bool:
        with self.lock:
            if self.closed:
                return False
            try:
                for message in messages:
                    self.ws.send(message, binary=isinstance(message, bytes))
            except Exception as exc:  # noqa: BLE001 - a dead peer, whatever the library calls it
                logger.debug("websocket write failed: %s", exc)
                self.closed = True
                return False
            return True

    def close(self, code: int = 1000, reason: str = "") -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            try:
                _close_foreign(self.ws, code, reason)
            except Exception:  # noqa: BLE001 - already gone
                pass


def _close_foreign(ws: Any, code: int, reason: str) -> None:
    """Send a close frame with ``code`` and ``reason`` on a gevent-websocket WebSocket.

    gevent-websocket 0.10's ``close(code, message)`` writes only ``str(message)`` as the close
    payload on Python 3, without the status code (RFC 6455 section 5.5.1 puts the code first), so
    the client would read garbage as the code. The frame is written here instead, and the socket
    marked closed as its ``close()`` would, so that its handler does not send a second one.
    """
    send_frame = getattr(ws, "send_frame", None)
    opcode = getattr(ws, "OPCODE_CLOSE", None)
    if send_frame is None or opcode is None:
        ws.close(code, reason.encode("utf-8"))
        return
    try:
        send_frame(struct.pack("!H", code) + reason.encode("utf-8"), opcode)
    finally:
        ws.closed = True
