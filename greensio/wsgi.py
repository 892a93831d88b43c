"""``WSGIApp`` (alias ``Middleware``): serve Socket.IO under ``/socket.io/`` and pass every other
request to the wrapped WSGI application (a Flask app's ``wsgi_app``, say) or to static files."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from typing import Any

from greensio.transports import http


class WSGIApp:
    """WSGI middleware in front of a Socket.IO server (or a bare Engine.IO server).

    Args:
        socketio_app: the ``Server`` (anything with ``handle_request``).
        wsgi_app: the application for every other path; 404 when None.
        static_files: ``{url_path: file_path}`` or ``{url_path: {'filename': ...,
            'content_type': ...}}``; a path ending in '/' maps a directory.
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
        self.static_files = static_files or {}
        self.socketio_path = "/" + socketio_path.strip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == self.socketio_path or path.startswith(self.socketio_path + "/"):
            return self.socketio_app.handle_request(environ, start_response)
        static = self._static(path)
        if static is not None:
            return self._serve_file(static, start_response)
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        return http.respond(start_response, 404, b"Not Found")

    def _static(self, path: str) -> dict[str, str] | None:
        for prefix, target in self.static_files.items():
            spec = target if isinstance(target, dict) else {"filename": target}
            if path == prefix:
                return spec
            if prefix.endswith("/") and path.startswith(prefix):
                rest = path[len(prefix) :]
                if ".." in rest.split("/"):
                    return None
                return {**spec, "filename": os.path.join(spec["filename"], rest)}
        return None

    def _serve_file(self, spec: dict[str, str], start_response: Any) -> Any:
        filename = spec["filename"]
        if os.path.isdir(filename):
            filename = os.path.join(filename, "index.html")
        content_type = spec.get("content_type") or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        try:
            with open(filename, "rb") as fh:
                body = fh.read()
        except OSError:
            return http.respond(start_response, 404, b"Not Found")
        return http.respond(start_response, 200, body, content_type=content_type)


Middleware = WSGIApp
