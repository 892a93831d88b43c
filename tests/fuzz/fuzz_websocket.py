"""A server WebSocket reading whatever a client writes: ``greensio.transports.websocket
.WebSocketConnection.receive`` (the fast path and the ``websockets`` protocol behind it: control
frames, fragments, close, bad UTF-8, oversized messages) over a real socket pair, until the
connection ends with a close (and a reason) or the input does."""

from __future__ import annotations

import socket
import threading

from websockets.protocol import State
from websockets.server import ServerProtocol

from greensio.transports.websocket import WebSocketConnection

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.transports.websocket", "greensio.transports.frames", "websockets")

MAX_SIZE = 1000


def one_input(data: bytes) -> None:
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        protocol = ServerProtocol(state=State.OPEN, max_size=MAX_SIZE)
        ws = WebSocketConnection(ours, protocol, threading.Lock())
        total = count = 0
        while True:
            message = ws.receive()
            if message is None:
                break
            assert isinstance(message, (str, bytes))
            assert len(message) <= MAX_SIZE  # (a str counts characters: no more than its bytes)
            total += len(message)
            count += 1
            assert count <= len(data) // 2 + 1
        assert total <= len(data)
        assert ws.closed  # every ending closes the connection
    finally:
        ours.close()
        theirs.close()
