"""WebSocket over a socket taken from the WSGI server, framed by ``websockets``' sans-I/O layer.

Once the opening handshake is done (greensio/transports/websocket_server.py on the server,
websocket_client.py on the client), this module reads and writes the raw socket.
``websockets`` was chosen over ``wsproto`` on the figures in ``bench/README.md``: C-accelerated
unmasking and UTF-8 checks, and a frame-level ``max_size`` that refuses an oversized message from
its header, before its payload is buffered.
"""

from __future__ import annotations

import collections
import errno
import logging
import socket
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import SEND_EOF, Protocol, Side, State

from greensio.backends.sockets import direct_io
from greensio.transports.coalescer import WriteCoalescer
from greensio.transports.frames import parse_plain_frames

logger = logging.getLogger("greensio.websocket")

#: Socket errors that mean "the peer went away": logged at debug, never as errors.
HANGUP_ERRNOS = frozenset(
    {errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EBADF}
)
_READ_SIZE = 65536


class WebSocketConnection:
    """One WebSocket: server side on a taken-over socket, or client side (websocket_client).

    ``receive()`` blocks the calling greenlet for the next message; ``send()`` writes at once.
    Writers are serialised by ``lock`` (from the backend), which the caller may also hold to
    write several messages as one unit.
    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: Protocol,
        lock: Any,
        environ: dict[str, Any] | None = None,
    ) -> None:
        self.sock = sock
        self.environ = environ or {}
        self.protocol = protocol
        self.lock = lock
        self.closed = False
        self.max_size = protocol.max_message_size or 1 << 62
        self._events: collections.deque[Any] = collections.deque()
        self._fragments: list[bytes | bytearray | memoryview] | None = None
        #: Set by the server under gevent: writes wait in ``_out`` until the end of the current
        #: pass of the event loop, then go out in one send (see ``WriteCoalescer``).
        self.coalescer: WriteCoalescer | None = None
        self._out: list[bytes] = []
        #: Bytes written and not yet taken by the kernel: waiting in ``_out`` for the end of the
        #: loop pass or behind a full kernel buffer, in the slow writer's hands (a client that
        #: stopped reading; the server's ``max_outbound_buffer`` bounds it).
        self.unsent = 0
        self._slow_writer = False  # a task is blocked sending to a client that reads slowly
        self._close_when_sent = False
        self._fragment_size = 0
        self._fragment_opcode = Opcode.CONT
        #: A gevent socket's direct calls (greensio/backends/sockets.py): read with a wait
        #: first after a short read, and send without ever blocking.
        self._direct = direct_io(sock)
        self._raw_send = self._direct.send if self._direct is not None else sock.send
        self._drained = False
        #: Complete messages read by the fast path (``parse_plain_frames``), ahead of ``_events``;
        #: taken from ``_ready_pos`` on. (A list and an index: a deque costs 600 bytes per idle
        #: connection, and ``list.pop(0)`` would be quadratic in a read of many tiny frames.)
        self._ready: list[str | bytes] = []
        self._ready_pos = 0
        self._server_side = protocol.side is Side.SERVER
        reader = getattr(protocol, "reader", None)
        self._size_attr = next(
            (a for a in ("current_size", "cur_size") if hasattr(protocol, a)), None
        )
        self._fast_reader = (
            self._server_side
            and self._size_attr is not None
            and isinstance(getattr(reader, "buffer", None), bytearray)
        )

    def queue_events(self, events: list[Any]) -> None:
        """Frames that were read before this object existed (right behind a handshake)."""
        self._events.extend(events)

    # --- reading ---------------------------------------------------------------------------------
    def receive(self) -> str | bytes | None:
        """The next text (str) or binary (bytes) message; None once the connection is closed.

        An oversized, fragmented-wrong or non-UTF-8 message closes the connection (1009, 1002,
        1007) and returns None. Control frames are answered by the framing layer.
        """
        while True:
            frame = self._next_frame()
            if frame is None:
                return None
            if frame is _READY:
                return self._take_ready()
            opcode = frame.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                if self._fragments is not None:
                    self._fail(1002, "new message inside a fragmented one")
                    return None
                if not frame.fin:
                    self._fragments, self._fragment_size = [frame.data], len(frame.data)
                    self._fragment_opcode = opcode
                    continue
                return self._message(opcode, frame.data)
            if opcode is Opcode.CONT:
                if self._fragments is None:
                    self._fail(1002, "continuation without a message")
                    return None
                self._fragments.append(frame.data)
                self._fragment_size += len(frame.data)
                if self._fragment_size > self.max_size:
                    self._fail(1009, "message too big")
                    return None
                if frame.fin:
                    data = b"".join(self._fragments)
                    self._fragments = None
                    return self._message(self._fragment_opcode, data)

    def _message(self, opcode: Opcode, data: bytes | bytearray | memoryview) -> str | bytes | None:
        if opcode is Opcode.BINARY:
            return bytes(data)
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            self._fail(1007, "invalid UTF-8")
            return None

    def _next_frame(self) -> Frame | None:
        while True:
            # ``_ready`` (filled by the fast path from the start of a read) comes before
            # ``_events`` (what the framing library made of the rest of that read).
            if self._ready:
                return _READY
            if self._events:
                return self._events.popleft()
            if self.closed:
                return None
            try:
                data = self._recv()
            except OSError as exc:
                logger.debug("websocket read failed: %s", exc)
                data = b""
            # The fast path reads no state a writer changes (it leaves the library untouched
            # when it takes the whole read), so it needs no lock.
            if data and self._fast_reader and self._between_frames():
                data = parse_plain_frames(data, self.max_size, self._ready)
                if not data:
                    continue
            with self.lock:
                if data:
                    self.protocol.receive_data(data)
                else:
                    self.protocol.receive_eof()
                self._events.extend(self.protocol.events_received())
                self._flush()
                ended = not data or self.protocol.close_expected() or self.protocol.parser_exc
                if ended and not self._events and not self._ready:
                    self._shutdown()
                    return None

    def _between_frames(self) -> bool:
        """Whether the framing library holds nothing: no partial frame, no fragmented message."""
        protocol = self.protocol
        return (
            protocol.state is State.OPEN
            and self._fragments is None
            and not protocol.reader.buffer
            and getattr(protocol, self._size_attr) is None  # type: ignore[arg-type]
            and protocol.parser_exc is None
        )

    def _take_ready(self) -> str | bytes:
        message = self._ready[self._ready_pos]
        self._ready_pos += 1
        if self._ready_pos == len(self._ready):
            self._ready.clear()
            self._ready_pos = 0
        return message

    def _recv(self) -> bytes:
        direct = self._direct
        if direct is None:
            return self.sock.recv(_READ_SIZE)
        while True:
            if self._drained:
                direct.wait_readable()
            try:
                data: bytes = direct.recv(_READ_SIZE)
            except BlockingIOError:
                self._drained = True
                continue
            self._drained = len(data) < _READ_SIZE
            return data

    def _fail(self, code: int, reason: str) -> None:
        logger.debug("closing websocket: %s", reason)
        self.close(code, reason)

    # --- writing ---------------------------------------------------------------------------------
    def send(self, message: str | bytes) -> bool:
        """Write one message; False when the connection is gone."""
        return self.send_many([message])

    def send_many(self, messages: list[str | bytes]) -> bool:
        """Write messages back to back, in one system call when possible; False when the
        connection is gone or closing (the peer's close frame may be read, not yet acted on)."""
        with self.lock:
            if self.closed or self.protocol.state is not State.OPEN:
                return False
            for message in messages:
                if isinstance(message, str):
                    self.protocol.send_text(message.encode("utf-8"))
                else:
                    self.protocol.send_binary(message)
            return self._flush()

    def send_prepared(self, data: bytes) -> bool:
        """Write server frames already serialized by ``prepare_frames`` (unmasked: never on the
        client side, whose frames must be masked); False when the caller must use ``send``.
        The caller holds ``lock``."""
        # ``close_sent`` is set on every way out of OPEN (our close, the peer's close echoed, a
        # parser failure); a plain attribute, where ``state`` is a property.
        if self.closed or not self._server_side or self.protocol.close_sent is not None:
            return False
        return self._write(data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake and shut the socket (idempotent)."""
        with self.lock:
            if self.closed:
                return
            try:
                self.protocol.send_close(code, reason)
            except Exception:  # noqa: BLE001 - already closing: nothing more to say
                pass
            self._flush()
            self._shutdown()

    def _flush(self) -> bool:
        chunks = self.protocol.data_to_send()
        if not chunks or self.closed:
            return not self.closed
        payload = chunks[0] if len(chunks) == 1 else b"".join(c for c in chunks if c)
        if payload and not self._write(payload):
            return False
        if SEND_EOF in chunks:
            # The closing handshake is complete: the server closes the TCP connection first
            # (RFC 6455 section 7.1.1), rather than wait for a client that may wait for it.
            self._shutdown()
            return False
        return True

    def _write(self, payload: bytes) -> bool:
        """Send ``payload`` (``lock`` held): now, or at the end of this loop pass if coalescing."""
        if self.coalescer is None:
            return self._send_now(payload)
        self._out.append(payload)
        self.unsent += len(payload)
        if len(self._out) == 1 and not self._slow_writer:
            self.coalescer.add(self)
        return True

    def _send_now(self, payload: bytes | memoryview) -> bool:
        try:
            # One send() usually takes it all; gevent's sendall() would first ask the kernel for
            # the buffer size (a getsockopt call per write).
            sent = self.sock.send(payload)
            if sent < len(payload):
                self.sock.sendall(memoryview(payload)[sent:])
        except OSError as exc:
            self._write_failed(exc)
            return False
        return True

    def _write_failed(self, exc: OSError) -> None:
        if exc.errno not in HANGUP_ERRNOS:
            logger.info("websocket write failed: %s", exc)
        self._out.clear()
        self.unsent = 0
        self._shutdown(flush=False)

    def abort(self) -> None:
        """Drop what waits to be sent and shut the socket now (``lock`` held): for a client
        that stopped reading. A slow writer blocked on the socket then fails, quietly."""
        self._out.clear()
        self.unsent = 0
        self._close_when_sent = False
        self._shutdown(flush=False)

    def flush_coalesced(self) -> None:
        """Send what waited for the end of the loop pass, without blocking the caller (the
        coalescer's one task for every connection): a client that reads slowly gets a task of
        its own for the rest.

        No lock: with a coalescer (gevent only) nothing blocks on this socket but that slow
        writer, which ``_slow_writer`` marks, and this method never yields.
        """
        if self._slow_writer or not self._out or self.closed:
            return
        data = self._out[0] if len(self._out) == 1 else b"".join(self._out)
        self._out.clear()
        self._send_or_hand_over(data)

    def _send_or_hand_over(self, data: bytes) -> bool:
        """Send without blocking; what the kernel does not take goes to a slow-writer task.
        False when the socket failed."""
        try:
            sent = self._raw_send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._write_failed(exc)
            return False
        self.unsent -= sent
        if sent < len(data):
            self._slow_writer = True
            assert self.coalescer is not None
            self.coalescer.backend.run_soon(self._send_slowly, memoryview(data)[sent:])
        return True

    def _send_slowly(self, rest: memoryview) -> None:
        try:
            while True:
                try:
                    self.sock.sendall(rest)
                except OSError as exc:
                    with self.lock:
                        self._write_failed(exc)
                    return
                with self.lock:
                    if self.closed:  # aborted meanwhile: what was unsent is forgotten
                        self._slow_writer = False
                        return
                    self.unsent -= len(rest)
                    if not self._out:
                        self._slow_writer = False
                        if self._close_when_sent:
                            self._shutdown()
                        return
                    rest = memoryview(b"".join(self._out))
                    self._out.clear()
        except Exception:
            logger.exception("websocket writer failed")

    def _shutdown(self, flush: bool = True) -> None:
        """Close the socket (``lock`` held), after sending what still waits to be coalesced."""
        if self.closed:
            return
        if flush and self._out:
            if self._slow_writer:
                self._close_when_sent = True  # the slow writer closes once it is done
                return
            data = b"".join(self._out)
            self._out.clear()
            if self.coalescer is not None:
                # Never block here: a slow writer sends the rest, then closes.
                if not self._send_or_hand_over(data):
                    return
                if self._slow_writer:
                    self._close_when_sent = True
                    return
            else:
                self._send_now(data)
            if self.closed:
                return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        # gevent's pywsgi reads the next request from this stream unless it is closed; what is
        # left there is WebSocket data, not HTTP.
        stream = self.environ.get("wsgi.input")
        stream = getattr(stream, "rfile", stream)
        if stream is not None and hasattr(stream, "closed") and hasattr(stream, "close"):
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - best effort on a dead connection
                pass


_READY = Frame(Opcode.TEXT, b"")  # sentinel: ``_next_frame`` filled ``_ready``, not ``_events``
