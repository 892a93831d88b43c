"""``WSGIApp`` (alias ``Middleware``): serve Socket.IO under ``/socket.io/`` and pass every other
request to the wrapped WSGI application (a Flask app's ``wsgi_app``, say) or to static files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greensio.server.static import StaticFiles
from greensio.transports import http


class WSGIApp:
    """WSGI middleware in front of a Socket.IO server (or a bare Engine.IO server).

    Args:
        socketio_app: the ``Server`` (anything with ``handle_request``).
        wsgi_app: the application for every other path; 404 when None.
        static_files: python-socketio's form: ``{url_path: file_path}`` or ``{url_path:
            {'filename': ..., 'content_type': ...}}``, resolved as ``StaticFiles`` says
            (greensio/server/static.py); a path with no such file goes on to ``wsgi_app``.
        socketio_path: where Socket.IO is served ('socket.io').
    """

    def __init__(
        self,
        socketio_app: Any,
        wsgi_app: Callable[..., Any] | None = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str = "socket.io",
    ) -> None:
        self.socketio_app = socketio_app
        self.wsgi_app = wsgi_app
        self.static_files = StaticFiles(static_files)
        self.socketio_path = "/" + socketio_path.strip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == self.socketio_path or path.startswith(self.socketio_path + "/"):
            return self.socketio_app.handle_request(environ, start_response)
        found = self.static_files.find(path)
        if found is not None:
            body, content_type = found
            return http.respond(start_response, 200, body, content_type=content_type)
        # No such static file: the application may still serve the path (as python-engineio does).
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        return http.respond(start_response, 404, b"Not Found")


Middleware = WSGIApp
