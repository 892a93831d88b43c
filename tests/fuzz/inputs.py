"""How fuzz targets cut one fuzzer input into a sequence of messages or steps.

Chunks are separated by ``SEP``; the first byte of a chunk says what it is (``t``: a text message,
anything else: a binary one, or an operation code for the state-machine targets) and the rest is
its content. Seeds are written in the same form (``join``).
"""

from __future__ import annotations

SEP = b"\x1f\x1f"
#: Most chunks one input is cut into (libFuzzer's -max_len bounds the input anyway).
MAX_CHUNKS = 256


def chunks(data: bytes) -> list[tuple[int, bytes]]:
    """(first byte, rest) of each non-empty chunk."""
    return [(c[0], c[1:]) for c in data.split(SEP, MAX_CHUNKS) if c]


def text(raw: bytes) -> str:
    """The str a WebSocket text frame would carry (always valid UTF-8, as the framing ensures)."""
    return raw.decode("utf-8", "replace")


def messages(data: bytes) -> list[str | bytes]:
    """Engine.IO messages: text for a ``t`` chunk, bytes otherwise."""
    return [text(rest) if kind == ord("t") else rest for kind, rest in chunks(data)]


def join(*parts: str | bytes) -> bytes:
    """A seed: each text part as a ``t`` chunk, each bytes part as given (its own first byte)."""
    return SEP.join(b"t" + p.encode() if isinstance(p, str) else p for p in parts)
