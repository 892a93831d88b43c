"""WebSocket frames greensio reads and writes itself, around the ``websockets`` library.

The library (``greensio.transports.websocket``) handles the protocol. These two functions cover
the frames that make up nearly all traffic, at a fraction of its per-frame cost (no Frame object,
no generator-based parser): the plain data frames a client sends, and a server's unmasked frames,
built once per broadcast for every recipient (RFC 6455 section 5.2 for both), and
``PreparedMessages``, which holds a broadcast's messages with those frames.
"""

from __future__ import annotations

import struct

from websockets.frames import apply_mask  # C-accelerated unmasking

from greensio.protocol.engineio.packets import message_frames


def parse_plain_frames(data: bytes, max_size: int, out: list[str | bytes]) -> bytes:
    """Append the messages of the plain frames at the start of ``data`` to ``out``; return the
    rest (from the first frame that is anything else), for the framing library.

    Plain: a complete, masked, unfragmented text or binary frame with no extension bits, at most
    ``max_size`` bytes long, whose text is valid UTF-8: what every client sends. Anything else
    (control frames, fragments, 64-bit lengths, a partial frame, an error) is left to the library,
    which is then at a frame boundary, as here. Call only when the library holds no partial frame
    and no fragmented message.
    """
    pos, end_of_data = 0, len(data)
    while end_of_data - pos >= 6:
        first, second = data[pos], data[pos + 1]
        if (first != 0x81 and first != 0x82) or not second & 0x80:
            break
        length = second & 0x7F
        start = pos + 6
        if length == 126:
            start = pos + 8
            if start > end_of_data:
                break
            length = (data[pos + 2] << 8) | data[pos + 3]
        elif length == 127:
            break
        end = start + length
        if end > end_of_data or length > max_size:
            break
        payload = apply_mask(data[start:end], data[start - 4 : start])
        if first == 0x81:
            try:
                out.append(payload.decode("utf-8"))
            except UnicodeDecodeError:
                break
        else:
            out.append(payload)
        pos = end
    return data[pos:] if pos else data


def server_frame(first_byte: int, payload: bytes) -> bytes:
    """One unmasked, unfragmented frame: its header, then ``payload``."""
    n = len(payload)
    if n < 126:
        return bytes((first_byte, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", first_byte, 126, n) + payload
    return struct.pack("!BBQ", first_byte, 127, n) + payload


_TEXT, _BINARY = 0x81, 0x82  # FIN + opcode


def prepare_frames(messages: list[str | bytes]) -> bytes:
    """Serialize server-to-client (unmasked, uncompressed) frames once, for many sockets."""
    if len(messages) == 1:
        m = messages[0]
        return (
            server_frame(_TEXT, m.encode("utf-8"))
            if isinstance(m, str)
            else server_frame(_BINARY, m)
        )
    return b"".join(
        server_frame(_TEXT, m.encode("utf-8")) if isinstance(m, str) else server_frame(_BINARY, m)
        for m in messages
    )


class PreparedMessages:
    """One packet's messages going to many connections: encoded once, framed once (lazily)."""

    __slots__ = ("messages", "_websocket_bytes")

    def __init__(self, messages: list[str | bytes]) -> None:
        self.messages = messages
        self._websocket_bytes: bytes | None = None

    def websocket_bytes(self) -> bytes:
        """The messages as Engine.IO MESSAGE packets in server WebSocket frames, built once."""
        if self._websocket_bytes is None:
            self._websocket_bytes = prepare_frames(message_frames(self.messages))
        return self._websocket_bytes
