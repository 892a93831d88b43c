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
        static_files: python-socketio's form: ``{url_path: file_path}`` or ``{url_path:
            {'filename': ..., 'content_type': ...}}``. A key matches its exact path and, when
            it names a directory, every path under it (with or without a trailing '/': '/' maps
            the whole site). A path that reaches a directory serves its index: the file named
            under the key ``''`` (a name, or a dict with ``filename`` and ``content_type``), else
            ``index.html``. An exact path wins over a directory, a longer directory over a
            shorter one; a path with no such file goes on to ``wsgi_app``.
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
            response = self._serve_file(static, start_response)
            if response is not None:
                return response
        # No such static file: the application may still serve the path (as python-engineio does).
        if self.wsgi_app is not None:
            return self.wsgi_app(environ, start_response)
        return http.respond(start_response, 404, b"Not Found")

    def _serve_file(self, spec: dict[str, str], start_response: Any) -> Any:
        """The file's response; None (nothing sent) when there is no such file."""
        filename = spec["filename"]
        if os.path.isdir(filename):
            index = _spec(self.static_files.get("", "index.html"))
            filename = os.path.join(filename, index["filename"])
            spec = {**spec, **{k: v for k, v in index.items() if k == "content_type"}}
        try:
            with open(filename, "rb") as fh:
                body = fh.read()
        except OSError:
            return None
        content_type = spec.get("content_type") or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        return http.respond(start_response, 200, body, content_type=content_type)

    def _static(self, path: str) -> dict[str, str] | None:
        """The static file for ``path``: an exact entry first, else under the longest directory
        prefix, whatever the order of ``static_files``; None when nothing (safe) matches."""
        if path and path in self.static_files:
            return _spec(self.static_files[path])
        prefix = max((p for p in self.static_files if _is_under(path, p)), key=len, default=None)
        if prefix is None:
            return None
        parts = _safe_parts(path[len(prefix) :])
        if parts is None:
            return None
        spec = _spec(self.static_files[prefix])
        return {**spec, "filename": os.path.join(spec["filename"], *parts)}


def _is_under(path: str, prefix: str) -> bool:
    """Whether ``prefix`` (a key of ``static_files``) maps a directory that holds ``path``:
    '/static' and '/static/' both hold '/static/app.js' (and '/static/'), not '/staticx'."""
    if not prefix or prefix == path:
        return False  # '' names the index file; an exact key is matched before
    if prefix.endswith("/"):
        return path.startswith(prefix) or path == prefix[:-1]
    return path.startswith(prefix + "/")


def _spec(target: str | dict[str, str]) -> dict[str, str]:
    return target if isinstance(target, dict) else {"filename": target}


def _safe_parts(rest: str) -> list[str] | None:
    """The path segments of ``rest`` to join under a static directory; None if one would leave it.

    Empty and '.' segments are dropped, so that no segment is absolute: '/static//etc/passwd' leaves
    '/etc/passwd', which ``os.path.join`` would take instead of the directory. '..', and separators
    or a drive name inside a segment, are refused.
    """
    parts = [part for part in rest.split("/") if part not in ("", ".")]
    for part in parts:
        if (
            part == ".."
            or os.sep in part
            or (os.altsep is not None and os.altsep in part)
            or os.path.splitdrive(part)[0]
        ):
            return None
    return parts


Middleware = WSGIApp
