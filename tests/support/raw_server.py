"""A raw TCP server in a thread of the test process that answers exactly as a test scripts it:
for handshakes that no well-behaved server would send (frames glued to the 101, a hang-up, a wrong
accept key, a WebSocket that never opens an Engine.IO session)."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

Script = Callable[[socket.socket], None]


@contextmanager
def raw_servers() -> Iterator[Callable[[Script], int]]:
    """``start(script) -> port``: one connection accepted and handed to ``script`` in a thread."""
    listeners: list[socket.socket] = []

    def start(script: Script) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def run() -> None:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed before anyone came
            with conn:
                script(conn)

        threading.Thread(target=run, daemon=True).start()
        return listener.getsockname()[1]

    try:
        yield start
    finally:
        for listener in listeners:
            listener.close()


def read_request(conn: socket.socket) -> dict[str, str]:
    """Read one HTTP request head; its headers with lower-case names."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.decode("latin-1").split("\r\n")[1:]
    pairs = (line.partition(":") for line in lines if line)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def accept_response(headers: dict[str, str]) -> bytes:
    """The 101 answering a WebSocket request with these headers."""
    key = headers["sec-websocket-key"]
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()


def text_frame(text: str) -> bytes:
    """An unmasked (server-to-client) text frame, for payloads under 126 bytes."""
    payload = text.encode("utf-8")
    assert len(payload) < 126
    return bytes([0x81, len(payload)]) + payload
