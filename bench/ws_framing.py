#!/usr/bin/env python
"""Server-side WebSocket framing micro-benchmark: wsproto vs websockets (sans-I/O).

Usage::

    python bench/ws_framing.py            # full run (well under 60 s on 2 cores)
    python bench/ws_framing.py --quick    # smoke run (fewer rounds)

What is measured (server side, no compression, connection already upgraded):

(a) recv  - client->server MASKED text frames of 32 B, 1 KiB, 64 KiB. N frames are
            concatenated and cut into 16 KiB chunks (outside the timed region);
            the timed loop feeds chunk by chunk through the library's receive
            path and stops at a complete ``str`` message, as a server would:
              * websockets: ``receive_data`` -> ``events_received`` (Frame) ->
                ``data_to_send`` (pongs/close) -> reassemble fragments ->
                ``bytes.decode()``.  The sans-I/O layer does NOT validate UTF-8;
                websockets' own asyncio/sync layers decode in their assembler,
                so the decode is done here, where a server would do it.
              * wsproto: ``receive_data`` -> ``events()`` -> ``TextMessage``
                parts (wsproto streams partial frames, decoding UTF-8
                incrementally) -> join parts until ``message_finished``.
(b) send  - server->client (unmasked) text frames of the same sizes, from a
            ``str`` (the Socket.IO layer produces str):
              * websockets: ``send_text(s.encode())`` + ``data_to_send()``
              * wsproto: ``send(TextMessage(s))`` (encodes internally)
(c) bcast - one 100-byte text message sent to 1000 recipients, each with its
            own OPEN protocol object (the way websockets' own ``broadcast()``
            works: per-connection send_text).  An informational row
            "bcast-shared" encodes the frame once and reuses the bytes for every
            recipient (valid only without permessage-deflate).

Each (case, library) pair runs a fixed message count per round, up to MAX_ROUNDS
rounds, and stops starting new rounds after a per-case deadline; the median
round is reported (min in brackets).  A global watchdog aborts the process if
something goes badly wrong.

It also checks, by small tests, how each library enforces a maximum message size
at the frame level and how it treats invalid UTF-8 in a text frame.
"""

from __future__ import annotations

import faulthandler
import gc
import inspect
import os
import statistics
import sys
import time

import websockets
import wsproto
from websockets.datastructures import Headers as WsHeaders
from websockets.frames import Frame, Opcode
from websockets.http11 import Request as WsRequest
from websockets.protocol import State
from websockets.server import ServerProtocol
from wsproto import WSConnection
from wsproto.connection import ConnectionState, ConnectionType
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    TextMessage,
)
from wsproto.events import (
    Request as WpRequest,
)
from wsproto.frame_protocol import FrameProtocol

try:  # C masking in websockets
    from websockets.speedups import apply_mask as _c_apply_mask  # noqa: F401

    WS_SPEEDUPS = True
except ImportError:  # pragma: no cover
    WS_SPEEDUPS = False

perf_ns = time.perf_counter_ns

CHUNK = 16 * 1024
SIZES = [32, 1024, 64 * 1024]
QUICK = "--quick" in sys.argv
MAX_ROUNDS = 3 if QUICK else 7
CASE_DEADLINE_S = 0.8 if QUICK else 2.5  # no new round starts after this
WATCHDOG_S = 150  # hard abort (prints tracebacks) - should never trigger

# messages per round (fixed counts)
RECV_COUNT = {32: 20_000, 1024: 10_000, 64 * 1024: 400}
SEND_COUNT = {32: 20_000, 1024: 10_000, 64 * 1024: 1_000}
KINDS = ["mixed", "ascii"]  # payload text kinds, see make_text()
BCAST_RECIPIENTS = 1000
BCAST_SIZE = 100
BCAST_COUNT = 10  # broadcasts per round

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 sample key
UPGRADE_HEADERS = [
    ("Host", "localhost"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", KEY),
    ("Sec-WebSocket-Version", "13"),
]


# --------------------------------------------------------------------------
# payloads & frames (outside timed regions)
# --------------------------------------------------------------------------


def make_text(nbytes: int, kind: str = "mixed") -> str:
    """A Socket.IO-ish str whose UTF-8 encoding is exactly ``nbytes`` long.

    kind="mixed": mostly ASCII with 2-byte characters every few chars, so that
    16 KiB chunk boundaries can split a multi-byte sequence (exercises
    incremental decoding) and CPython's ASCII fast paths do not apply.
    kind="ascii": pure ASCII (typical JSON); the codec is then ~memcpy.
    """
    prefix = '42["msg",{"t":"'
    unit = "héllo wörld, ça va? " if kind == "mixed" else "hello world, ca va? "
    filler = unit * (nbytes // 10 + 4)
    raw = (prefix + filler).encode()[: nbytes - 3]
    body = raw.decode("utf-8", errors="ignore")
    s = body + '"}]'
    s = s[:-3] + "x" * (nbytes - len(s.encode())) + '"}]'
    assert len(s.encode()) == nbytes, (len(s.encode()), nbytes)
    return s


def masked_client_frame(payload: bytes, fin: bool = True, opcode=Opcode.TEXT) -> bytes:
    # websockets' own client-side serializer (random mask key per frame).
    return Frame(opcode, payload, fin=fin).serialize(mask=True)


def chunked(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


# --------------------------------------------------------------------------
# connection factories: server-side, after an HTTP upgrade parsed elsewhere
# --------------------------------------------------------------------------


def ws_server(max_size=2**20) -> ServerProtocol:
    # NB: ServerProtocol().accept(req) + send_response(resp) sets state=OPEN but
    # the parser coroutine was started in __init__ while CONNECTING and is still
    # waiting for an HTTP request line, so frames fed afterwards are swallowed
    # as "HTTP" (see check_ws_accept_pitfall).  Working recipe: use accept() on a
    # throw-away protocol to validate the headers / build the 101 response and
    # negotiate extensions, then frame with ServerProtocol(state=State.OPEN).
    hs = ServerProtocol()
    req = WsRequest("/socket.io/?EIO=4&transport=websocket", WsHeaders(UPGRADE_HEADERS))
    resp = hs.accept(req)
    assert resp.status_code == 101, resp
    _wire_101 = resp.serialize()  # what the server would write
    p = ServerProtocol(state=State.OPEN, max_size=max_size)
    p.extensions = hs.extensions  # [] here: no permessage-deflate offered
    p.subprotocol = hs.subprotocol
    return p


def check_ws_accept_pitfall() -> str:
    p = ServerProtocol()
    req = WsRequest("/", WsHeaders(UPGRADE_HEADERS))
    p.send_response(p.accept(req))
    p.data_to_send()
    p.receive_data(masked_client_frame(b"hello"))
    evs = p.events_received()
    return (
        "  websockets accept(Request)+send_response() without feeding the HTTP "
        f"request: state={p.state.name}, then a text frame -> events={evs} "
        f"(parser still expects an HTTP request line) => use ServerProtocol(state=State.OPEN)"
    )


def wp_server() -> WSConnection:
    c = WSConnection(ConnectionType.SERVER)
    c.initiate_upgrade_connection(
        [(k.encode(), v.encode()) for k, v in UPGRADE_HEADERS],
        "/socket.io/?EIO=4&transport=websocket",
    )
    evs = list(c.events())
    assert len(evs) == 1 and isinstance(evs[0], WpRequest), evs
    c.send(AcceptConnection())  # 101 response bytes discarded
    assert c.state is ConnectionState.OPEN
    return c


# --------------------------------------------------------------------------
# the code under test (timed loops)
# --------------------------------------------------------------------------

TEXT = Opcode.TEXT
BINARY = Opcode.BINARY
CONT = Opcode.CONT


def ws_recv(p: ServerProtocol, chunks: list[bytes], sink: list) -> None:
    frags: list = []
    frag_text = False
    receive_data = p.receive_data
    events_received = p.events_received
    data_to_send = p.data_to_send
    append = sink.append
    for chunk in chunks:
        receive_data(chunk)
        for ev in events_received():
            op = ev.opcode
            if op is TEXT:
                if ev.fin:
                    append(ev.data.decode())  # UTF-8 validation
                else:
                    frags = [ev.data]
                    frag_text = True
            elif op is CONT:
                frags.append(ev.data)
                if ev.fin:
                    data = b"".join(frags)
                    append(data.decode() if frag_text else data)
                    frags = []
            elif op is BINARY:
                if ev.fin:
                    append(ev.data)
                else:
                    frags = [ev.data]
                    frag_text = False
            # PING/PONG/CLOSE: handled by the protocol; output below
        data_to_send()  # pongs / close frames a server would write out
    if p.parser_exc is not None:
        raise p.parser_exc


def wp_recv(c: WSConnection, chunks: list[bytes], sink: list) -> None:
    parts: list = []
    receive_data = c.receive_data
    events = c.events
    append = sink.append
    for chunk in chunks:
        receive_data(chunk)
        for ev in events():
            if isinstance(ev, TextMessage):
                if ev.message_finished:
                    if parts:
                        parts.append(ev.data)
                        append("".join(parts))
                        parts = []
                    else:
                        append(ev.data)
                else:
                    parts.append(ev.data)
            elif isinstance(ev, CloseConnection):
                raise RuntimeError(f"wsproto closed: {ev}")
            # BytesMessage/Ping/Pong omitted: not present in this stream


def ws_send(p: ServerProtocol, s: str, n: int) -> int:
    send_text = p.send_text
    data_to_send = p.data_to_send
    total = 0
    for _ in range(n):
        send_text(s.encode())
        for b in data_to_send():
            total += len(b)
    return total


def wp_send(c: WSConnection, s: str, n: int) -> int:
    send = c.send
    total = 0
    for _ in range(n):
        total += len(send(TextMessage(data=s)))
    return total


def ws_bcast(conns: list[ServerProtocol], s: str) -> int:
    b = s.encode()  # once per broadcast
    total = 0
    for p in conns:
        p.send_text(b)
        for out in p.data_to_send():
            total += len(out)
    return total


def wp_bcast(conns: list[WSConnection], s: str) -> int:
    ev = TextMessage(data=s)  # events are immutable; reuse one
    total = 0
    for c in conns:
        total += len(c.send(ev))
    return total


def ws_bcast_shared(conns: list, s: str) -> int:
    wire = Frame(TEXT, s.encode()).serialize(mask=False)
    total = 0
    for out in conns:  # stand-in for per-connection write buffers
        out.append(wire)
        total += len(wire)
    return total


def wp_bcast_shared(conns: list, s: str) -> int:
    # wsproto has no public "serialize a frame" API; FrameProtocol is the
    # (undocumented) frame layer behind WSConnection.
    wire = FrameProtocol(client=False, extensions=[]).send_data(s)
    total = 0
    for out in conns:
        out.append(wire)
        total += len(wire)
    return total


# --------------------------------------------------------------------------
# harness
# --------------------------------------------------------------------------


def run_case(setup, body, per_round: int) -> dict:
    """setup() -> args (untimed); body(*args) timed. Returns ns per unit."""
    results = []
    deadline = time.monotonic() + CASE_DEADLINE_S
    # one untimed warm-up round (also fills caches / specialises bytecode)
    body(*setup())
    for _ in range(MAX_ROUNDS):
        args = setup()
        gc.collect()
        t0 = perf_ns()
        body(*args)
        t1 = perf_ns()
        results.append((t1 - t0) / per_round)
        if time.monotonic() > deadline:
            break
    return {"median": statistics.median(results), "min": min(results), "rounds": len(results)}


def bench_recv(size: int, kind: str) -> tuple[dict, dict]:
    n = RECV_COUNT[size]
    text = make_text(size, kind)
    stream = b"".join(masked_client_frame(text.encode()) for _ in range(n))
    chunks = chunked(stream)

    # correctness first: both must yield exactly n identical messages
    for mk, fn in ((ws_server, ws_recv), (wp_server, wp_recv)):
        sink: list = []
        fn(mk(), chunks, sink)
        assert len(sink) == n and all(m == text for m in sink), (fn.__name__, len(sink))

    def ws_setup():
        return ws_server(), chunks, []

    def wp_setup():
        return wp_server(), chunks, []

    return run_case(ws_setup, ws_recv, n), run_case(wp_setup, wp_recv, n)


def bench_send(size: int, kind: str) -> tuple[dict, dict]:
    n = SEND_COUNT[size]
    text = make_text(size, kind)

    # correctness: identical wire bytes (server frames are unmasked)
    p, c = ws_server(), wp_server()
    p.send_text(text.encode())
    a = b"".join(p.data_to_send())
    b = bytes(c.send(TextMessage(data=text)))
    assert a == b, "wire mismatch"

    return (
        run_case(lambda: (ws_server(), text, n), ws_send, n),
        run_case(lambda: (wp_server(), text, n), wp_send, n),
    )


def bench_bcast() -> tuple[dict, dict]:
    text = make_text(BCAST_SIZE)
    ws_conns = [ws_server() for _ in range(BCAST_RECIPIENTS)]
    wp_conns = [wp_server() for _ in range(BCAST_RECIPIENTS)]

    def ws_body(conns, s):
        for _ in range(BCAST_COUNT):
            ws_bcast(conns, s)

    def wp_body(conns, s):
        for _ in range(BCAST_COUNT):
            wp_bcast(conns, s)

    return (
        run_case(lambda: (ws_conns, text), ws_body, BCAST_COUNT),
        run_case(lambda: (wp_conns, text), wp_body, BCAST_COUNT),
    )


def bench_bcast_shared() -> tuple[dict, dict]:
    text = make_text(BCAST_SIZE)

    def ws_body(s):
        for _ in range(BCAST_COUNT):
            ws_bcast_shared(_OUTS, s)

    def wp_body(s):
        for _ in range(BCAST_COUNT):
            wp_bcast_shared(_OUTS, s)

    def setup():
        for o in _OUTS:
            o.clear()
        return (text,)

    return run_case(setup, ws_body, BCAST_COUNT), run_case(setup, wp_body, BCAST_COUNT)


_OUTS: list[list] = [[] for _ in range(BCAST_RECIPIENTS)]


# --------------------------------------------------------------------------
# behaviour checks: max message size, invalid UTF-8
# --------------------------------------------------------------------------


def _hdr(length: int, fin: bool = True, opcode: int = 0x1) -> bytes:
    """Masked client frame header declaring ``length`` payload bytes."""
    b0 = (0x80 if fin else 0) | opcode
    if length < 126:
        h = bytes([b0, 0x80 | length])
    elif length < 65536:
        h = bytes([b0, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        h = bytes([b0, 0x80 | 127]) + length.to_bytes(8, "big")
    return h + b"\x00\x00\x00\x00"  # zero mask key => payload sent in clear


def _close_code(wire: bytes) -> int | None:
    # unmasked server close frame: 0x88, len, code (2 bytes), reason
    if len(wire) >= 4 and wire[0] == 0x88:
        return int.from_bytes(wire[2:4], "big")
    return None


def check_max_size() -> list[str]:
    out = []
    MiB = 2**20
    huge = 2**40  # declared length: 1 TiB

    # --- websockets -----------------------------------------------------
    sig = inspect.signature(ServerProtocol.__init__).parameters["max_size"]
    out.append(
        f"websockets {websockets.__version__}: ServerProtocol(max_size=...) default={sig.default!r}"
    )

    p = ws_server(max_size=MiB)
    p.receive_data(_hdr(huge))  # header only, no payload
    wire = b"".join(p.data_to_send())
    out.append(
        "  [ws-1] 1 TiB frame header only, max_size=1 MiB -> "
        f"parser_exc={type(p.parser_exc).__name__}, close code sent={_close_code(wire)}, "
        f"state={p.state.name}, events={len(p.events_received())}, "
        f"bytes buffered={len(p.reader.buffer)}  (rejected at the header, before any payload)"
    )

    p = ws_server(max_size=MiB)
    frag = 400 * 1024
    delivered = 0
    fed = 0
    for i, fin in enumerate((False, False, True)):
        op = 0x1 if i == 0 else 0x0
        data = _hdr(frag, fin=fin, opcode=op) + b"a" * frag
        for ch in chunked(data):
            p.receive_data(ch)
            fed += len(ch)
            delivered += len(p.events_received())
            if p.parser_exc:
                break
        if p.parser_exc:
            break
    wire = b"".join(p.data_to_send())
    out.append(
        "  [ws-2] 3 x 400 KiB fragments (1.2 MiB msg), max_size=1 MiB -> "
        f"{delivered} fragment events delivered, then {type(p.parser_exc).__name__} "
        f"on fragment 3's header ('{p.parser_exc}'), close code={_close_code(wire)}; "
        "the message limit counts across fragments (current_size)"
    )

    p = ws_server(max_size=(None, 64 * 1024))
    p.receive_data(_hdr(100 * 1024))
    out.append(
        "  [ws-3] max_size=(None, 64 KiB) tuple form = (message, fragment) limits; "
        f"100 KiB frame header -> {type(p.parser_exc).__name__}"
    )

    p = ws_server(max_size=None)
    p.receive_data(_hdr(huge))
    for _ in range(64):
        p.receive_data(b"a" * CHUNK)
    out.append(
        "  [ws-4] max_size=None, 1 TiB header + 1 MiB payload -> no error, no event, "
        f"reader buffer={len(p.reader.buffer)} B: websockets buffers a whole frame "
        "before emitting it, so max_size is also its memory bound"
    )

    # --- wsproto ----------------------------------------------------------
    params = list(inspect.signature(WSConnection.__init__).parameters)[1:]
    cparams = list(inspect.signature(wsproto.connection.Connection.__init__).parameters)[1:]
    out.append(
        f"wsproto {wsproto.__version__}: WSConnection{tuple(params)}, "
        f"Connection{tuple(cparams)} -> no max-size option anywhere"
    )
    c = wp_server()
    c.receive_data(_hdr(huge))
    evs = list(c.events())
    fb = c.connection._proto._frame_decoder.buffer  # private, for the report only
    out.append(f"  [wp-1] 1 TiB frame header only -> events={evs}, state={c.state.name}: accepted")
    got = 0
    n_ev = 0
    for _ in range(64):
        c.receive_data(b"a" * CHUNK)
        for ev in c.events():
            n_ev += 1
            got += len(ev.data)
    out.append(
        f"  [wp-2] + 1 MiB payload -> {n_ev} partial TextMessage events "
        f"(message_finished=False), {got} chars, internal buffer={len(fb)} B, "
        f"state={c.state.name}: wsproto streams frame pieces as they arrive and "
        "never buffers a message; the application buffers and must enforce the limit"
    )
    # app-level enforcement
    c = wp_server()
    c.receive_data(_hdr(huge))
    limit = MiB
    seen = 0
    closed_at = None
    fed = 0
    while closed_at is None and fed < 4 * MiB:
        c.receive_data(b"a" * CHUNK)
        fed += CHUNK
        for ev in c.events():
            if isinstance(ev, TextMessage):
                seen += len(ev.data)  # chars; bytes would need len(ev.data.encode())
                if seen > limit:
                    wire = c.send(CloseConnection(code=1009))
                    closed_at = fed
                    break
    out.append(
        f"  [wp-3] app-level counter, limit 1 MiB -> close {_close_code(bytes(wire))} sent after "
        f"{closed_at} payload bytes received (the declared 1 TiB length is only "
        "visible via private attributes, so rejection is reactive, not at the header)"
    )
    return out


def check_utf8() -> list[str]:
    out = []
    bad = masked_client_frame(b'42["x","\xff\xfe"]')

    p = ws_server()
    p.receive_data(bad)
    evs = p.events_received()
    try:
        evs[0].data.decode()
        dec = "decoded?!"
    except UnicodeDecodeError as e:
        dec = f"UnicodeDecodeError ({e.reason})"
    out.append(
        f"  websockets: invalid UTF-8 text frame -> protocol emits {len(evs)} Frame "
        f"event, parser_exc={p.parser_exc}, state={p.state.name}; app decode -> {dec}; "
        "the server must then call p.fail(1007) itself (the asyncio/sync layers do this)"
    )

    c = wp_server()
    c.receive_data(bad)
    evs = list(c.events())
    names = [f"{type(e).__name__}(code={int(e.code)})" for e in evs]
    out.append(
        f"  wsproto: invalid UTF-8 text frame -> events={names}"
        " (validated by the library; app must send the close)"
    )
    return out


# --------------------------------------------------------------------------


def fmt_ns(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:9.2f} ms"
    if x >= 1e3:
        return f"{x / 1e3:9.2f} us"
    return f"{x:9.0f} ns"


def main() -> None:
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    t_start = time.monotonic()
    print(
        f"python {sys.version.split()[0]}  websockets {websockets.__version__} "
        f"(speedups={'C' if WS_SPEEDUPS else 'no'})  wsproto {wsproto.__version__}  "
        f"cpus={os.cpu_count()}  chunk={CHUNK} B  rounds<= {MAX_ROUNDS}"
    )
    rows = []
    for kind in KINDS:
        for size in SIZES:
            rows.append((f"(a) recv {kind:5} {size} B", "msg", *bench_recv(size, kind)))
    for kind in KINDS:
        for size in SIZES:
            rows.append((f"(b) send {kind:5} {size} B", "msg", *bench_send(size, kind)))
    rows.append((f"(c) bcast {BCAST_SIZE} B x {BCAST_RECIPIENTS}", "bcast", *bench_bcast()))
    rows.append(
        (f"(c') bcast-shared {BCAST_SIZE} B x {BCAST_RECIPIENTS}", "bcast", *bench_bcast_shared())
    )

    print()
    print("median ns per unit [min]; ratio = wsproto / websockets (>1: websockets faster)")
    hdr = f"{'case':32} {'unit':5} {'websockets':>24} {'wsproto':>24} {'ratio':>6}"
    print(hdr)
    print("-" * len(hdr))
    for name, unit, ws, wp in rows:
        print(
            f"{name:32} {unit:5} {fmt_ns(ws['median'])} [{fmt_ns(ws['min']).strip():>9}] "
            f"{fmt_ns(wp['median'])} [{fmt_ns(wp['min']).strip():>9}] "
            f"{wp['median'] / ws['median']:6.2f}"
        )
    for name, _unit, ws, wp in rows:
        if name.startswith("(c)"):
            print(
                f"  per recipient: websockets {ws['median'] / BCAST_RECIPIENTS:.0f} ns, "
                f"wsproto {wp['median'] / BCAST_RECIPIENTS:.0f} ns"
            )

    print("\nreference, CPython UTF-8 codec alone (included in both libraries' figures):")
    for kind in KINDS:
        parts = []
        for size in SIZES:
            t = make_text(size, kind)
            b = t.encode()
            n = max(50, 2_000_000 // size)
            t0 = perf_ns()
            for _ in range(n):
                b.decode()
            t1 = perf_ns()
            for _ in range(n):
                t.encode()
            t2 = perf_ns()
            dec, enc = fmt_ns((t1 - t0) / n).strip(), fmt_ns((t2 - t1) / n).strip()
            parts.append(f"{size} B: decode {dec}, encode {enc}")
        print(f"  {kind:5} " + "; ".join(parts))

    print("\nmax message size enforcement:")
    for line in check_max_size():
        print(line)
    print("\nwebsockets API note:")
    print(check_ws_accept_pitfall())
    print("\ninvalid UTF-8 in a text frame:")
    for line in check_utf8():
        print(line)
    print(f"\ntotal wall time: {time.monotonic() - t_start:.1f} s")
    faulthandler.cancel_dump_traceback_later()


if __name__ == "__main__":
    main()
