"""Graceful shutdown: the Engine.IO server's ``shutdown()`` steps, and the watch on a gunicorn
worker that runs them when gunicorn tells the worker to stop.

Shutting down: new sessions are refused (503, ``Connection: close``); what is queued for each
client is given up to ``timeout`` seconds to leave; then every session's transport is closed
without an Engine.IO CLOSE (a WebSocket gets its close frame, a pending GET a NOOP and the next
one a 400), as the reference server closes a WebSocket. The JS client reports "transport close"
and python-socketio's client a transport error, and both reconnect; a CLOSE packet or a
Socket.IO DISCONNECT ("io server disconnect") would stop them. The disconnect handlers get
``sio.reason.TRANSPORT_CLOSE``; ``sio.eio.shutting_down`` is True then.

Under gunicorn (``-k gevent``, ``-k eventlet``) nothing calls the application when a worker is
told to stop: SIGTERM (also what SIGHUP's reload sends the old workers) and ``max_requests``
only clear the worker's ``alive`` flag, and the worker then waits up to ``graceful_timeout``
for its requests to end, which WebSocket and long-poll requests never do. So on its first
request from gunicorn the server finds the worker object (the frame of its ``run`` loop, in the
main greenlet) and watches ``alive`` from a task of its own.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

from greensio.transports import asgi, http

#: How often the watch task looks at the gunicorn worker's ``alive`` flag (seconds).
WATCH_INTERVAL = 0.25
#: ``shutdown()``'s default bound on waiting for queued output to leave (seconds); under
#: gunicorn it is kept below the worker's ``graceful_timeout``.
DRAIN_TIMEOUT = 5.0


def refuse_new_session(environ: dict[str, Any], start_response: http.StartResponse) -> Any:
    """The 503 a handshake gets while the server shuts down (None for a known session's
    request, which is served); ``Connection: close`` so the client's retry reaches another
    worker."""
    if "sid=" in environ.get("QUERY_STRING", ""):
        return None
    # No body: python-engineio's asyncio client closes its HTTP session before it reads the
    # body of a refused handshake, and a body not yet received then raises RuntimeError in its
    # reconnect task, which ends it (the client never reconnects). An empty one is read at once.
    return http.respond(start_response, 503, b"", [("Connection", "close")])


async def refuse_new_asgi_session(
    scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send
) -> bool:
    """``refuse_new_session`` for ASGI: True when the request was a handshake, now answered
    with a 503 (a WebSocket handshake too, where the server has the ``websocket.http.response``
    extension, as uvicorn; else it is closed unaccepted: a 403)."""
    if b"sid=" in scope.get("query_string", b""):
        return False
    if scope["type"] != "websocket":
        await asgi.respond(send, 503, b"", [("Connection", "close")])
        return True
    if (await receive())["type"] != "websocket.connect":
        return True  # the client left already
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1013})  # "try again later"
        return True
    headers = [(b"content-length", b"0"), (b"connection", b"close")]
    await send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": b""})
    return True


def find_gunicorn_worker() -> Any:
    """The gunicorn worker object of this process, or None (not under gunicorn, or a worker
    whose run loop is not found in the main greenlet's or main thread's frames)."""
    base = sys.modules.get("gunicorn.workers.base")
    worker_class = getattr(base, "Worker", None)
    if worker_class is None:
        return None
    frames: list[types.FrameType | None] = []
    greenlet = sys.modules.get("greenlet")
    if greenlet is not None:
        current = greenlet.getcurrent()
        while current.parent is not None:
            current = current.parent
        frames.append(current.gr_frame)
    import threading

    main = threading.main_thread().ident
    frames.append(sys._current_frames().get(main) if main is not None else None)
    for frame in frames:
        for _ in range(200):  # bounded walk down the stack
            if frame is None:
                break
            candidate = frame.f_locals.get("self")
            if isinstance(candidate, worker_class):
                return candidate
            frame = frame.f_back
    return None


def graceful_timeout(worker: Any) -> float:
    """The drain bound for ``worker``: ``DRAIN_TIMEOUT``, below its ``graceful_timeout``."""
    limit = float(getattr(getattr(worker, "cfg", None), "graceful_timeout", 30) or 30)
    return max(0.1, min(DRAIN_TIMEOUT, limit * 0.5))


def listening(worker: Any) -> bool:
    """Whether ``worker`` may still accept connections: until its run loop (which looks at
    ``alive`` once a second) has closed its listening sockets."""
    for sock in getattr(worker, "sockets", ()):
        try:
            if sock.fileno() != -1:
                return True
        except OSError:
            pass
    return False


def watch_worker(
    worker: Any, sleep: Callable[[float], Any], stop: Callable[[float, Callable[[], bool]], Any]
) -> None:
    """Runs in a task of its own: ``stop(timeout, hold)`` once ``worker.alive`` turns False;
    ``hold`` answers True while the worker still listens. (A client that reconnected before
    then could reach this worker again, and gunicorn's worker fails a connection it accepted
    just as it closes its listener, with a traceback.)"""
    while getattr(worker, "alive", False):
        sleep(WATCH_INTERVAL)
    stop(graceful_timeout(worker), lambda: listening(worker))
