"""An ``async_mode`` that does not fit the WSGI server it runs under, told at the first request.

The WSGI server's client socket says what it runs on (``socket_kind``: gevent's, eventlet's, or
a standard one, served by threads). A server whose mode would hang there (gevent's primitives
waited on from threads, say: every client times out and nothing says why) refuses every
Engine.IO request with a 500 naming the fix; a mode that only stalls under load (threads under a
gevent worker, eventlet without monkey-patching) is served on. Either way one ERROR goes to the
server's log, naming the mismatch and the fix.

A thread server holds a thread for each WebSocket while it lasts. When the server's thread
count is known (gunicorn's gthread worker, a server without threads), an ERROR says so once
the WebSockets hold them all: the next client, and every other request, then waits.

``RequestHandler.handle_request`` asks ``DeploymentCheck.check`` first; after the first request
that costs three attribute reads (and a count of the open WebSockets per WebSocket request, on
a thread server of known size only).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from greensio.backends.sockets import eventlet_patched, socket_kind
from greensio.transports import http
from greensio.transports.websocket_server import is_websocket_request

#: The modes checked (a socket's kind is named as the mode that fits it).
_MODES = frozenset({"gevent", "eventlet", "threading"})
_GREEN_SERVERS = {
    "gevent": "gunicorn -k gevent, or gevent's pywsgi after gevent.monkey.patch_all()",
    "eventlet": "gunicorn -k eventlet (gunicorn < 26), or eventlet.wsgi after "
    "eventlet.monkey_patch()",
}


def server_name(environ: dict[str, Any], kind: str) -> str:
    """The WSGI server behind ``environ``, as a person would name it."""
    if "werkzeug.socket" in environ:
        return "Werkzeug's development server (app.run(), flask run)"
    software = str(environ.get("SERVER_SOFTWARE", ""))
    if software.startswith("gunicorn"):
        if kind != "threading":
            return f"gunicorn's {kind} worker"
        return "gunicorn's gthread worker" if environ.get("wsgi.multithread") else "gunicorn"
    if "eventlet.input" in environ:
        return "eventlet.wsgi"
    if software.startswith("gevent"):
        return "gevent's pywsgi"
    return f"this WSGI server ({software or 'unnamed'})"


def diagnose(mode: str, environ: dict[str, Any]) -> tuple[str, bool] | None:
    """What is wrong with serving ``environ``'s request in ``mode``: (the message naming the
    mismatch and the fix, whether requests must be refused); None when nothing is (or the
    server is not one whose socket greensio can see)."""
    if mode not in _MODES:
        return None  # a test backend
    sock = http.raw_socket(environ)
    if sock is None:
        if "wsgi.websocket" not in environ:
            return None
        kind = "gevent"  # gevent-websocket's handler
    else:
        kind = socket_kind(sock)
    server = server_name(environ, kind)
    if kind == mode:
        if mode == "eventlet" and not eventlet_patched():
            return (
                f"async_mode='eventlet' under {server} without eventlet.monkey_patch(): a handler "
                "that blocks (time.sleep, the standard library's sockets) stalls every client. "
                "Fix: call eventlet.monkey_patch() first thing in the entry point "
                "(gunicorn -k eventlet does it itself).",
                False,
            )
        return None
    if mode == "threading":
        return (
            f"async_mode='threading' under {server}, which runs on {kind}: its threads stall "
            f"the server unless the process is monkey-patched. Fix: async_mode='{kind}' (or "
            "None, which picks the server's).",
            False,
        )
    how = "serves each request in a thread of its own" if kind == "threading" else f"runs on {kind}"
    return (
        f"async_mode='{mode}' does not work under {server}, which {how}: {mode}'s waits never "
        f"end there (every client times out). Fix: async_mode='{kind}' (or None, which picks "
        f"the server's), or run under {_GREEN_SERVERS[mode]}.",
        True,
    )


def thread_limit(environ: dict[str, Any]) -> int | None:
    """How many requests a thread server runs at once, where that is known: one without threads,
    and gunicorn's ``--threads`` (read from its worker, the only place it is kept)."""
    if not environ.get("wsgi.multithread"):
        return 1 if "werkzeug.socket" in environ or "gunicorn.socket" in environ else None
    if not str(environ.get("SERVER_SOFTWARE", "")).startswith("gunicorn"):
        return None  # Werkzeug's threaded server: a thread per request, no limit
    frame = sys._getframe(1)
    for _ in range(64):  # up the request's thread to gunicorn's worker (`self.cfg.threads`)
        if frame is None:
            break
        threads = getattr(getattr(frame.f_locals.get("self"), "cfg", None), "threads", None)
        if isinstance(threads, int):
            return threads
        frame = frame.f_back  # type: ignore[assignment]
    return None


class DeploymentCheck:
    """The mismatch check of one Engine.IO server (see the module docstring).

    Args:
        mode: the server's ``async_mode``.
        logger: the server's logger.
        sockets: the server's sessions by sid (their open WebSockets are counted).
    """

    def __init__(self, mode: str, logger: logging.Logger, sockets: dict[str, Any]) -> None:
        self.mode = mode
        self.logger = logger
        self.sockets = sockets
        self.checked = False
        #: The message every request is refused with, after a fatal mismatch.
        self.refusal: str | None = None
        #: The thread server's size, when it is known (None: unknown, or not a thread server).
        self.threads: int | None = None
        self._server = ""
        self._saturated = False

    def check(self, environ: dict[str, Any], start_response: http.StartResponse) -> Any:
        """None to serve the request; else the response refusing it."""
        if not self.checked:
            self._first(environ)
        if self.refusal is not None:
            return http.error(start_response, 500, self.refusal)
        if self.threads is not None and is_websocket_request(environ):
            self._count_threads()
        return None

    def _first(self, environ: dict[str, Any]) -> None:
        self.checked = True
        found = diagnose(self.mode, environ)
        if found is not None:
            message, fatal = found
            self.logger.error("%s", message)
            if fatal:
                self.refusal = message
        if self.mode == "threading":
            self.threads = thread_limit(environ)
            self._server = server_name(environ, "threading")

    def _count_threads(self) -> None:
        held = 1 + sum(
            1
            for sock in list(self.sockets.values())
            if sock.ws is not None and not getattr(sock.ws, "closed", False)
        )
        assert self.threads is not None
        if held < self.threads:
            self._saturated = False
        elif not self._saturated:
            self._saturated = True
            self.logger.error(
                "%d WebSocket connections now hold all %d threads of %s (a thread each, for "
                "as long as it is open): the next client, and every other request, waits for "
                "one to close. Fix: more threads (gunicorn --threads N: N above the number of "
                "clients), or gunicorn -k gevent, where a WebSocket holds no thread.",
                held,
                self.threads,
                self._server,
            )
