"""Small HTTP helpers for the WSGI side: query strings, CORS, plain responses."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from greensio.backends.sockets import input_socket

Response = list[bytes]
StartResponse = Callable[..., Any]

_REASONS = {
    200: "200 OK",
    400: "400 BAD REQUEST",
    401: "401 UNAUTHORIZED",
    403: "403 FORBIDDEN",
    404: "404 NOT FOUND",
    413: "413 PAYLOAD TOO LARGE",
    500: "500 INTERNAL SERVER ERROR",
}


def raw_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The client socket behind a WSGI request, for the servers greensio knows (gunicorn,
    werkzeug, gevent's pywsgi); None elsewhere."""
    for key in ("gunicorn.socket", "gunicorn.sock", "werkzeug.socket"):
        if key in environ:
            return environ[key]
    return input_socket(environ)


def set_no_delay(environ: dict[str, Any]) -> None:
    """Turn Nagle off for this request's connection.

    gevent's pywsgi writes a response's headers and body in two sends; with Nagle on, the body
    waits for the client's delayed ACK of the headers (~40 ms per long-poll on Linux).
    """
    if "gunicorn.socket" in environ or "gunicorn.sock" in environ:
        # gunicorn sets TCP_NODELAY on its listening socket, which accepted sockets inherit: a
        # setsockopt per request would only cost a system call.
        return
    sock = raw_socket(environ)
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass


def query(environ: dict[str, Any]) -> dict[str, str]:
    text = environ.get("QUERY_STRING", "")
    if "%" in text or "+" in text or ";" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    # The common case (Engine.IO's own ASCII parameters): what parse_qsl gives, without its cost.
    result = {}
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            result[name] = value
    return result


class CorsPolicy:
    """Which browser origins may talk to the server (DESIGN.md: same-origin unless configured).

    ``allowed`` is None (same origin only), ``'*'`` (any), an iterable of origins, or an empty
    list (CORS handling off: no check and no headers, as python-engineio). Requests without an
    Origin header (non-browser clients) are always allowed.
    """

    def __init__(self, allowed: str | Iterable[str] | None, credentials: bool = True) -> None:
        if isinstance(allowed, str) and allowed != "*":
            allowed = [allowed]
        if allowed is not None and not isinstance(allowed, str):
            allowed = list(allowed)
        self.disabled = allowed == []
        self.any = allowed == "*"
        self.origins = frozenset() if allowed is None or self.any else frozenset(allowed)
        self.same_origin_only = allowed is None
        self.credentials = credentials

    def allows(self, environ: dict[str, Any]) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or self.any or self.disabled:
            return True
        if origin in self.origins:
            return True
        if self.same_origin_only or not self.origins:
            # A chain of proxies lists one scheme each ("https, http"); the first is the browser's.
            forwarded = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
            scheme = forwarded or environ.get("wsgi.url_scheme", "http")
            host = environ.get("HTTP_HOST", "")
            return bool(host) and origin in (f"{scheme}://{host}", f"{_ws_twin(scheme)}://{host}")
        return False

    def headers(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        """Access-Control headers for an allowed request (none when it sent no Origin)."""
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or self.disabled:
            return []
        result = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if self.credentials:
            result.append(("Access-Control-Allow-Credentials", "true"))
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            result.append(("Access-Control-Allow-Methods", "OPTIONS, GET, POST"))
            wanted = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            if wanted:
                result.append(("Access-Control-Allow-Headers", wanted))
        return result


def _ws_twin(scheme: str) -> str:
    return {"http": "ws", "https": "wss"}.get(scheme, scheme)


def respond(
    start_response: StartResponse,
    status: int,
    body: bytes | str = b"",
    headers: list[tuple[str, str]] | None = None,
    content_type: str = "text/plain; charset=UTF-8",
) -> Response:
    """A complete response in one body chunk (one write, no Nagle stall)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    all_headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    if headers:
        all_headers += headers
    start_response(_REASONS.get(status, f"{status} ERROR"), all_headers)
    return [body]


def error(
    start_response: StartResponse,
    status: int,
    message: str,
    code: int = 0,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """An Engine.IO-style JSON error (``{"code": n, "message": ...}``, as the reference server)."""
    body = json.dumps({"code": code, "message": message})
    return respond(start_response, status, body, headers, "application/json")


def cookie_headers(cookie: str | dict[str, Any] | None, sid: str) -> list[tuple[str, str]]:
    """The Set-Cookie header carrying a new session's sid, for python-engineio's ``cookie``
    option: a cookie name, or a dict of attributes with the name under ``"name"``."""
    if not cookie:
        return []
    attrs = {"name": cookie} if isinstance(cookie, str) else dict(cookie)
    name = attrs.pop("name", "io")
    attrs.setdefault("path", "/")
    attrs.setdefault("SameSite", "Lax")
    parts = [f"{name}={sid}"] + [
        k if v is True else f"{k}={v}" for k, v in attrs.items() if v not in (None, False)
    ]
    return [("Set-Cookie", "; ".join(parts))]


def read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body, or None when it is (or turns out to be) longer than ``limit``.

    The declared Content-Length is checked before anything is read; a chunked body is read
    in bounded steps and abandoned as soon as it passes the limit.
    """
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text.isdigit():
        length = int(length_text)
        if length > limit:
            return None
        return stream.read(length) if length else b""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None
