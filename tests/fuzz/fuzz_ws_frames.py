"""The fast path of WebSocket frame reading, ``greensio.transports.frames.parse_plain_frames``,
checked against the ``websockets`` library's parser: every message the fast path takes from the
start of a read is exactly what the library makes of those bytes, and it stops at a frame
boundary (where the library then carries on)."""

from __future__ import annotations

from websockets.frames import Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from greensio.transports.frames import parse_plain_frames

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = (
    "greensio.transports.frames",
    "websockets.frames",
    "websockets.protocol",
    "websockets.streams",
)

MAX_SIZE = 1000


def _library_messages(data: bytes) -> list[str | bytes]:
    protocol = ServerProtocol(state=State.OPEN, max_size=MAX_SIZE)
    protocol.receive_data(data)
    result: list[str | bytes] = []
    for frame in protocol.events_received():
        assert frame.fin and frame.opcode in (Opcode.TEXT, Opcode.BINARY)
        result.append(frame.data.decode() if frame.opcode is Opcode.TEXT else bytes(frame.data))
    assert protocol.parser_exc is None
    assert not protocol.reader.buffer  # the fast path ended on a frame boundary
    return result


def one_input(data: bytes) -> None:
    out: list[str | bytes] = []
    rest = parse_plain_frames(data, MAX_SIZE, out)
    assert data.endswith(rest)
    taken = data[: len(data) - len(rest)]
    assert sum(len(m) for m in out) <= len(taken)
    assert out == _library_messages(taken)
    assert bool(out) == bool(taken)
