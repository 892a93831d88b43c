"""What the transports may know of the sockets that WSGI servers and gevent hand them.

The private attributes read here (gevent's socket internals, the socket behind a WSGI input
stream) stay in ``greensio/backends/`` (DESIGN.md, "Layers"): the transports ask these functions
and never look inside a socket themselves. Nothing here imports gevent or eventlet: a socket is
recognised by what it has.
"""

from __future__ import annotations

import functools
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DirectIO:
    """A gevent socket's calls on its non-blocking OS socket, without gevent's try-then-wait.

    A WebSocket reader uses them to wait *before* reading when its last read drained the socket
    (a client that waits for an answer has sent nothing more: trying first would only fail with
    EAGAIN, a wasted system call and exception per message), and a writer to send without ever
    blocking the calling task.
    """

    #: ``recv(n)``: raises BlockingIOError when nothing is there.
    recv: Callable[[int], bytes]
    #: ``send(data)``: never blocks; may take less than all, or raise BlockingIOError.
    send: Callable[[Any], int]
    #: Parks the calling task until the socket is readable.
    wait_readable: Callable[[], None]


def direct_io(sock: Any) -> DirectIO | None:
    """``sock``'s direct calls when it is a plain gevent socket; None for any other socket (a
    standard one, or a TLS one, whose OS socket carries ciphertext)."""
    read_event = getattr(sock, "_read_event", None)
    raw = getattr(sock, "_sock", None)
    wait = getattr(sock, "_wait", None)
    if read_event is None or raw is None or wait is None or hasattr(sock, "_sslobj"):
        return None
    return DirectIO(raw.recv, raw.send, functools.partial(wait, read_event))


def input_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The client socket behind a WSGI request's input stream when that stream reads a
    ``socket.makefile()`` (gevent's pywsgi, whose ``Input`` wraps it; wsgiref); None elsewhere."""
    stream = environ.get("wsgi.input")
    stream = getattr(stream, "rfile", stream)
    raw = getattr(stream, "raw", None)
    return getattr(raw, "_sock", None)


def socket_kind(sock: object) -> str:
    """Whose socket ``sock`` is, by its class's module: ``'gevent'``, ``'eventlet'`` or
    ``'threading'`` (a standard socket, or anything else). A WSGI server's client socket says
    which concurrency the server runs on (greensio/engineio/mismatch.py)."""
    module = type(sock).__module__ or ""
    for kind in ("gevent", "eventlet"):
        if module == kind or module.startswith(kind + "."):
            return kind
    return "threading"


def eventlet_patched() -> bool:
    """Whether eventlet is imported and has monkey-patched the socket module (eventlet is never
    imported here: when it is not in ``sys.modules``, nothing is patched)."""
    patcher = sys.modules.get("eventlet.patcher")
    return patcher is not None and bool(patcher.is_monkey_patched("socket"))
