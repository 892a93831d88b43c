"""greensio.transports.websocket over real sockets: framing, limits and close codes, on the wire.

The server is ``tests.apps.engineio_echo`` (a bare ``EngineIOServer`` that echoes every message)
in a child process, under gevent's pywsgi with greensio's own framing, and again with
gevent-websocket's handler in front (``environ['wsgi.websocket']``, adapted by
``ForeignWebSocket``). The client is ``websocket-client`` driven frame by frame (``ABNF``), so
fragmentation, control frames in the middle of a message and bad payloads are exactly what the
test writes.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import time

import pytest
import websocket
from websocket import ABNF

from tests.support.servers import UNIT, python_server

APP = "tests.apps.engineio_echo:build"
#: The servers' max_http_buffer_size: the largest WebSocket message they accept, in bytes.
LIMIT = 1000
#: Heartbeats far beyond the test's length, so that no Engine.IO PING interleaves with the echoes.
OPTIONS = {"max_http_buffer_size": LIMIT, "ping_interval": 60, "ping_timeout": 60}
WAIT = 2 * UNIT

#: Close codes (RFC 6455 section 7.4.1).
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007
MESSAGE_TOO_BIG = 1009
NO_STATUS = 1005
ABNORMAL = 1006

pytestmark = pytest.mark.timeout(30 * UNIT)


@pytest.fixture(scope="module", params=["pywsgi", "geventwebsocket"])
def server(request):
    """The echo server, once with greensio's framing and once behind gevent-websocket's handler."""
    proc = python_server(APP, server=request.param, **OPTIONS).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def pywsgi_server():
    """A server of its own for the log check: no other test's connections write to its log."""
    proc = python_server(APP, **OPTIONS).start()
    yield proc
    proc.stop()


@pytest.fixture
def connect():
    """``connect(server) -> WebSocket`` past the Engine.IO OPEN packet; closed after the test."""
    opened: list[websocket.WebSocket] = []

    def open_one(target) -> websocket.WebSocket:
        url = target.url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = websocket.create_connection(url, timeout=WAIT)
        opened.append(ws)
        opcode, data = ws.recv_data()
        assert opcode == ABNF.OPCODE_TEXT and data.startswith(b"0{"), data
        assert json.loads(data[1:])["maxPayload"] == LIMIT
        return ws

    yield open_one
    for ws in opened:
        try:
            ws.close(timeout=0.1 * UNIT)
        except Exception:  # noqa: BLE001 - a socket the test (or the server) already broke
            pass


def behind_gevent_websocket(server) -> bool:
    return "geventwebsocket" in server.argv


def frame(data: bytes | str, opcode: int, fin: bool = True) -> ABNF:
    """One client frame (websocket-client masks it on send)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return ABNF(fin=int(fin), opcode=opcode, data=data)


def send_fragments(ws: websocket.WebSocket, parts: list[bytes], opcode: int) -> None:
    """One message in ``len(parts)`` frames: ``opcode``, then continuations, FIN on the last."""
    for index, part in enumerate(parts):
        kind = opcode if index == 0 else ABNF.OPCODE_CONT
        ws.send_frame(frame(part, kind, fin=index == len(parts) - 1))


def receive(ws: websocket.WebSocket) -> tuple[int, bytes]:
    """The next frame as ``(opcode, payload)``, control frames included."""
    opcode, data = ws.recv_data(control_frame=True)
    return opcode, bytes(data)


def close_code(ws: websocket.WebSocket, timeout: float = WAIT) -> int:
    """Read until the server closes; its close code (1005: empty close frame, 1006: none)."""
    ws.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            opcode, data = receive(ws)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return ABNORMAL
        if opcode == ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big") if len(data) >= 2 else NO_STATUS
        assert opcode not in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY), (
            f"unexpected message {data[:40]!r}"
        )
    raise AssertionError(f"the server did not close within {timeout} s")


def assert_echo(ws: websocket.WebSocket, text: str = "4still here") -> None:
    ws.send(text)
    assert receive(ws) == (ABNF.OPCODE_TEXT, text.encode("utf-8"))


# -- messages --------------------------------------------------------------------------------------


def test_text_and_binary_messages_echo(connect, server):
    ws = connect(server)
    assert_echo(ws, "4hello €")
    ws.send_binary(b"\x00\x01\xff")
    assert receive(ws) == (ABNF.OPCODE_BINARY, b"\x00\x01\xff")


def test_fragmented_text_is_reassembled(connect, server):
    ws = connect(server)
    # Cut inside the three bytes of '€': the message is valid UTF-8 only once reassembled.
    data = "4h€llo".encode()
    send_fragments(ws, [data[:3], data[3:4], data[4:]], ABNF.OPCODE_TEXT)
    assert receive(ws) == (ABNF.OPCODE_TEXT, data)


def test_fragmented_binary_is_reassembled(connect, server):
    ws = connect(server)
    data = bytes(range(256))
    send_fragments(ws, [data[:100], data[100:101], b"", data[101:]], ABNF.OPCODE_BINARY)
    assert receive(ws) == (ABNF.OPCODE_BINARY, data)


def test_ping_inside_a_fragmented_message_is_answered(connect, server):
    """RFC 6455 section 5.4: control frames may come between the fragments of a message."""
    ws = connect(server)
    ws.send_frame(frame("4frag", ABNF.OPCODE_TEXT, fin=False))
    ws.ping("inside")
    ws.send_frame(frame("mented", ABNF.OPCODE_CONT))
    assert receive(ws) == (ABNF.OPCODE_PONG, b"inside")
    assert receive(ws) == (ABNF.OPCODE_TEXT, b"4fragmented")


def test_pings_are_answered_with_their_payload(connect, server):
    ws = connect(server)
    for payload in (b"", b"one", b"\x00\xff" * 20):
        ws.ping(payload)
        assert receive(ws) == (ABNF.OPCODE_PONG, payload)
    assert_echo(ws)


def test_message_at_the_limit_passes(connect, server):
    ws = connect(server)
    text = "4" + "x" * (LIMIT - 1)
    assert_echo(ws, text)
    ws.send_binary(b"\x01" * LIMIT)
    assert receive(ws) == (ABNF.OPCODE_BINARY, b"\x01" * LIMIT)


def test_server_closes_tcp_after_the_closing_handshake(connect, server):
    """RFC 6455 section 7.1.1: once close frames have crossed, the server closes the TCP connection
    first, so a client that waits for it (as browsers and Node's ``ws`` may) is not left hanging."""
    ws = connect(server)
    send_raw(ws, frame(b"\x03\xe8", ABNF.OPCODE_CLOSE).format())
    reply = ws.recv_frame()  # the frame only: websocket-client would answer it with another close
    assert reply.opcode == ABNF.OPCODE_CLOSE
    # gevent-websocket echoes the close frame without its status code (its close() drops it).
    assert reply.data == (b"" if behind_gevent_websocket(server) else b"\x03\xe8")
    wait_eof(ws)


# -- bad input closes that connection only ---------------------------------------------------------


def test_invalid_utf8_closes_with_1007(connect, server):
    bystander = connect(server)
    ws = connect(server)
    ws.send_frame(frame(b"4\xff\xfe", ABNF.OPCODE_TEXT))
    # gevent-websocket validates UTF-8 itself and answers with an empty close frame; the message
    # never reaches greensio, which has no say in the code there.
    expected = NO_STATUS if behind_gevent_websocket(server) else INVALID_DATA
    assert close_code(ws) == expected
    assert_echo(bystander)


def test_invalid_utf8_across_fragments_closes(connect, server):
    ws = connect(server)
    # Each fragment alone could be the start or end of a character; together they are not UTF-8.
    send_fragments(ws, [b"4\xe2\x82", b"x"], ABNF.OPCODE_TEXT)
    expected = NO_STATUS if behind_gevent_websocket(server) else INVALID_DATA
    assert close_code(ws) == expected


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("4" + "x" * LIMIT, id="text"),
        # Over the limit in UTF-8 bytes, though its length in characters is a third of that.
        pytest.param("4" + "€" * (LIMIT // 3 + 1), id="multibyte-text"),
        pytest.param(b"\x00" * (LIMIT + 1), id="binary"),
    ],
)
def test_message_over_the_limit_closes_with_1009(connect, server, message):
    bystander = connect(server)
    ws = connect(server)
    if isinstance(message, str):
        ws.send(message)
    else:
        ws.send_binary(message)
    assert close_code(ws) == MESSAGE_TOO_BIG
    assert_echo(bystander)


def test_fragmented_message_over_the_limit_closes_with_1009(connect, server):
    """Every fragment is under the limit; their total is not."""
    bystander = connect(server)
    ws = connect(server)
    part = b"x" * (LIMIT // 3)
    send_fragments(ws, [b"4" + part, part, part, part], ABNF.OPCODE_TEXT)
    assert close_code(ws) == MESSAGE_TOO_BIG
    assert_echo(bystander)


# -- many frames in one read (greensio reads plain frames itself, the rest through websockets) ----


def frames(*parts: tuple[bytes | str, int]) -> bytes:
    """Client frames as bytes, for one write: each ``(payload, opcode)`` complete, FIN set."""
    return b"".join(frame(data, opcode).format() for data, opcode in parts)


def test_frames_in_one_write_echo_in_order(connect, server):
    ws = connect(server)
    texts = [f"4m{i}" + "é" * i * 20 for i in range(8)]  # 7- and 16-bit lengths, multibyte
    blobs = [bytes([i]) * (50 + i * 40) for i in range(3)]
    send_raw(
        ws,
        frames(*[(t, ABNF.OPCODE_TEXT) for t in texts], *[(b, ABNF.OPCODE_BINARY) for b in blobs]),
    )
    got = [receive(ws) for _ in range(len(texts) + len(blobs))]
    assert got == [(ABNF.OPCODE_TEXT, t.encode()) for t in texts] + [
        (ABNF.OPCODE_BINARY, b) for b in blobs
    ]


def test_control_frames_and_fragments_between_plain_frames(connect, server):
    ws = connect(server)
    fragments = [
        frame("4frag", ABNF.OPCODE_TEXT, fin=False).format(),
        frame(b"-ment", ABNF.OPCODE_CONT).format(),
    ]
    send_raw(
        ws,
        frames(("4one", ABNF.OPCODE_TEXT), (b"hi", ABNF.OPCODE_PING))
        + b"".join(fragments)
        + frames(("4two", ABNF.OPCODE_TEXT)),
    )
    got = [receive(ws) for _ in range(4)]
    # The PONG may come first: the framing layer answers while the messages go to the handler.
    assert (ABNF.OPCODE_PONG, b"hi") in got
    assert [m for m in got if m[0] == ABNF.OPCODE_TEXT] == [
        (ABNF.OPCODE_TEXT, b"4one"),
        (ABNF.OPCODE_TEXT, b"4frag-ment"),
        (ABNF.OPCODE_TEXT, b"4two"),
    ]


def test_a_frame_split_across_writes(connect, server):
    ws = connect(server)
    data = frames(("4first", ABNF.OPCODE_TEXT), ("4second" + "z" * 300, ABNF.OPCODE_TEXT))
    for cut in (3, 9, len(data) - 5):  # in a header, in the first payload, in the second
        send_raw(ws, data[:cut])
        time.sleep(0.02 * UNIT)
        send_raw(ws, data[cut:])
        assert receive(ws) == (ABNF.OPCODE_TEXT, b"4first")
        assert receive(ws) == (ABNF.OPCODE_TEXT, b"4second" + b"z" * 300)


def test_a_bad_frame_behind_good_ones_in_the_same_write_closes(connect, server):
    """The good frames are read (their echo may or may not make it out before the close)."""
    bystander = connect(server)
    ws = connect(server)
    send_raw(ws, frames(("4ok", ABNF.OPCODE_TEXT), (b"4\xff", ABNF.OPCODE_TEXT)))
    ws.settimeout(WAIT)
    opcode, data = receive(ws)
    if opcode == ABNF.OPCODE_TEXT:
        assert data == b"4ok"
        opcode, data = receive(ws)
    assert opcode == ABNF.OPCODE_CLOSE
    code = int.from_bytes(data[:2], "big") if len(data) >= 2 else NO_STATUS
    assert code == (NO_STATUS if behind_gevent_websocket(server) else INVALID_DATA)
    assert_echo(bystander)


def test_unmasked_client_frame_is_a_protocol_error(connect, server):
    bystander = connect(server)
    ws = connect(server)
    payload = b"4bare"
    send_raw(ws, bytes([0x81, len(payload)]) + payload)  # RFC 6455 5.1: clients must mask
    if behind_gevent_websocket(server):
        assert receive(ws) == (ABNF.OPCODE_TEXT, payload)  # gevent-websocket lets it pass
    else:
        assert close_code(ws) == PROTOCOL_ERROR
    assert_echo(bystander)


# -- the WSGI server after a WebSocket session -----------------------------------------------------

#: What pywsgi writes when it reads a request line (or a traceback) where it should not.
BAD_LOG = re.compile(r"Traceback|Invalid HTTP method|Error", re.IGNORECASE)


def send_raw(ws: websocket.WebSocket, data: bytes) -> None:
    """Write bytes as they are, in one call (frames from ``frame(...).format()``, or anything)."""
    ws.sock.sendall(data)


def pipelined_session(target, early: bytes) -> None:
    """Open a WebSocket over a plain TCP socket with ``early`` written in the same call as the
    upgrade request; once the OPEN packet is in, close it with a close frame and read to the end."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", target.port), timeout=WAIT) as sock:
        sock.sendall(request.encode() + early)
        received = b""
        while b'"maxPayload"' not in received:
            chunk = sock.recv(65536)
            assert chunk, f"closed before the OPEN packet: {received!r}"
            received += chunk
        assert received.startswith(b"HTTP/1.1 101"), received
        sock.sendall(frame(b"\x03\xe8", ABNF.OPCODE_CLOSE).format())
        deadline = time.monotonic() + WAIT
        while sock.recv(65536):
            assert time.monotonic() < deadline, "the server kept the connection open"


def wait_eof(ws: websocket.WebSocket, timeout: float = WAIT) -> None:
    """Read the raw socket until the server ends the TCP connection."""
    raw = ws.sock
    raw.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while raw.recv(65536):
            assert time.monotonic() < deadline, "the server kept the connection open"
    except ConnectionError:
        pass  # a reset ends it too
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open for {timeout} s") from None


def test_pywsgi_does_not_read_websocket_bytes_as_http(pywsgi_server, connect):
    """After the upgrade, whatever is left on the connection is WebSocket data: pywsgi must not
    take it for the next HTTP request (``Invalid HTTP method: '\\x81\\x86...'`` and a traceback
    in the log)."""
    # The client closes: its close frame is the last thing it sends.
    ws = connect(pywsgi_server)
    assert_echo(ws)
    ws.close()
    # The server closes (message too big) with more frames, and even a well-formed HTTP request,
    # behind the oversized one in the same write.
    ws = connect(pywsgi_server)
    send_raw(
        ws,
        frame("4" + "x" * LIMIT, ABNF.OPCODE_TEXT).format()
        + frame("4after the limit", ABNF.OPCODE_TEXT).format()
        + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    assert close_code(ws) == MESSAGE_TOO_BIG
    wait_eof(ws)
    # The server closes (invalid UTF-8) with more bytes still unread.
    ws = connect(pywsgi_server)
    send_raw(
        ws, frame(b"4\xff", ABNF.OPCODE_TEXT).format() + frame("4x", ABNF.OPCODE_TEXT).format()
    )
    assert close_code(ws) == INVALID_DATA
    wait_eof(ws)
    # A client that sends frames right behind its upgrade request, without waiting for the 101
    # (RFC 6455 section 4.1 forbids it): they sit in pywsgi's read buffer, where greensio's reads
    # of the raw socket do not look, and must not be parsed as the next request either.
    pipelined_session(pywsgi_server, frame("4early", ABNF.OPCODE_TEXT).format())
    # The client drops the TCP connection halfway through a frame.
    ws = connect(pywsgi_server)
    send_raw(ws, frame("4" + "y" * 500, ABNF.OPCODE_TEXT).format()[:100])
    ws.sock.close()
    # A fresh client still works; by the time it has its echo the server is done with the others.
    assert_echo(connect(pywsgi_server))
    time.sleep(0.2 * UNIT)
    bad = [line for line in pywsgi_server.output if BAD_LOG.search(line)]
    assert not bad, pywsgi_server.log
