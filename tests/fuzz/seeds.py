"""Writes the seed corpora in ``tests/fuzz/corpus/<target>/`` from the protocol specs' examples
(engine.io-protocol and socket.io-protocol, "Examples"; RFC 6455 section 5.7):
``python -m tests.fuzz.seeds``. The files are committed; rerun after changing a seed here."""

from __future__ import annotations

import hashlib
import os
import struct

from greensio.protocol.socketio.msgpack import MsgPackCodec
from greensio.protocol.socketio.packets import Packet, PacketType
from tests.fuzz.harness import CORPUS
from tests.fuzz.inputs import SEP, join

PLACEHOLDER = '{"_placeholder":true,"num":0}'

EIO_PACKETS = [
    '0{"sid":"lv_VI97HAXpY6yYWAAAC"}',
    "1",
    "2",
    "2probe",
    "3",
    "3probe",
    "4hello",
    "4€",
    "5",
    "6",
]
SIO_PACKETS = [
    "0",
    '0{"token":"123"}',
    "0/admin,",
    '0/admin,{"token":"123"}',
    "1/admin,",
    '2["hello",1]',
    '2/admin,456["project:delete",123]',
    "3/admin,456[]",
    '312["ok",{"a":[1,2.5e3,null,true]}]',
    '4{"message":"Not authorized"}',
    '2["x","\\u00e9\\"\\\\",-0.0,1e400]',
]


def mask_frame(first: int, payload: bytes, key: bytes = b"\x37\xfa\x21\x3d") -> bytes:
    """A client frame (masked), RFC 6455 section 5.2."""
    n = len(payload)
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, n)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def _seeds() -> dict[str, list[bytes]]:
    msgpack = MsgPackCodec()

    def mp(*args: object) -> bytes:
        (encoded,) = msgpack.encode(Packet(*args))  # type: ignore[arg-type]
        assert isinstance(encoded, bytes)
        return encoded

    text_frames = [mask_frame(0x81, p.encode()) for p in EIO_PACKETS]
    head = "GET /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    post = (
        "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 13\r\n\r\n4hello\x1e4world"
    )
    return {
        "eio_payload": [
            p.encode()
            for p in ["4hello\x1e4world", "4€\x1ebAQIDBA==", "2\x1e3\x1e6", "1", "bAQID", "4"]
        ],
        "eio_packet": [join(*EIO_PACKETS), join("4x", b"\x00\x01\x02\x03")],
        "sio_text": [join(p) for p in SIO_PACKETS]
        + [
            join(f'51-["hello",{PLACEHOLDER}]', b"b\x01\x02\x03"),
            join(f"61-/admin,456[{PLACEHOLDER}]", b"b\x03\x02\x01"),
            b"o" + join('2["orjson",{"k":[]}]'),
        ],
        "sio_msgpack": [
            mp(PacketType.CONNECT, "/", None),
            mp(PacketType.CONNECT, "/admin", {"token": "123"}),
            mp(PacketType.EVENT, "/", ["hello", 1, b"\x01\x02"], 7),
            mp(PacketType.ACK, "/admin", [], 456),
            mp(PacketType.DISCONNECT, "/admin"),
        ],
        "routing": [
            bytes([s]) + q.encode()
            for s, q in [
                (0xC0, "EIO=4&transport=polling&t=N8hyd6w"),
                (0xC5, "EIO=4&transport=websocket"),
                (0xDA, "EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC"),
                (0x90, "EIO=4&transport=polling&sid=a%20b&j=0"),
                (0x80, "EIO=3&transport=polling;b=1"),
                (0x81, "EIO=4&transport=polling&sid=x+y"),
            ]
        ],
        "keepalive_head": [
            (head + "\r\n").encode(),
            post.encode(),
            (head + "Connection: keep-alive\r\n\r\n" + post).encode(),
            (head + "Transfer-Encoding: chunked\r\n\r\n").encode(),
            # found by review of this target: the header regex backtracked in cubic time on it
            (head + "X-Pad:" + " \t" * 300 + "a\x01\r\n\r\n").encode(),
        ],
        "ws_frames": [
            b"".join(text_frames),
            mask_frame(0x82, b"\x01\x02\x03") + mask_frame(0x81, b"x" * 200),
            mask_frame(0x81, b"4hello") + mask_frame(0x89, b"ping"),
        ],
        "websocket": [
            b"".join(text_frames) + mask_frame(0x88, b"\x03\xe8bye"),
            mask_frame(0x01, b"4hel") + mask_frame(0x89, b"") + mask_frame(0x80, b"lo"),
            mask_frame(0x82, b"\x00" * 300) + mask_frame(0x81, b"\xff\xfe"),
            mask_frame(0x8A, b"pong") + mask_frame(0x81, b"4" * 2000),
        ],
        # op chunks (tests/fuzz/fuzz_eio_session.py): 0 POST, 1 GET, 2 answer it, 4/5 WebSocket
        # message (own / probe), 6 attach a probe, 7 WebSocket closed, 8 timer, 9 send, 11 close,
        # 12 advance the clock.
        "eio_session": [
            b"p" + SEP.join([b"\x01", b"\x00" + b"4hello\x1e2", b"\x09hi", b"\x02", b"\x0c\xff"]),
            b"p"
            + SEP.join(
                [b"\x01", b"\x06", b"\x052probe", b"\x02", b"\x055", b"\x04" + b"4up", b"\x02"]
            ),
            b"w" + SEP.join([b"\x044hi", b"\x043", b"\x0c\x30", b"\x08", b"\x041", b"\x0b"]),
            b"p" + SEP.join([b"\x01", b"\x01", b"\x00" + b"4x", b"\x02", b"\x07"]),
        ],
        # op chunks (tests/fuzz/fuzz_sio_session.py): 0 message from the client, 1 begin the
        # connect, 2 accept it, 3 refuse it, 4 server disconnect, 5 emit, 6 ack, 7 timer.
        "sio_session": [
            SEP.join([b"\x00" + b"0", b"\x01\x00", b"\x02\x00", b"\x00" + b'2["hi"]']),
            SEP.join(
                [
                    b"\x000/admin,",
                    b"\x01\x01",
                    b"\x05\x01",
                    b"\x02\x01",
                    b"\x001/admin,",
                    b"\x00" + f'51-/admin,3["b",{PLACEHOLDER}]'.encode(),
                    b"\x00\x00\x01",
                ]
            ),
            SEP.join([b"\x07\xff", b"\x00" + b'2["early"]']),
        ],
    }


def main() -> None:
    for name, items in _seeds().items():
        directory = CORPUS / name
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
        for item in items:
            (directory / hashlib.sha1(item).hexdigest()[:16]).write_bytes(item)
        print(f"{name}: {len(items)} seeds in {os.path.relpath(directory)}")


if __name__ == "__main__":
    main()
