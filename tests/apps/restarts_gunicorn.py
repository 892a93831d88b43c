"""A Socket.IO app for tests/interop/test_gunicorn_restarts.py under ``gunicorn -k gevent``: the
``record`` event appends its number to the file named by ``$RESTARTS_LOG`` before it acks (so an
acked emit is on disk whichever worker took it), and each disconnect's reason is appended too."""

from __future__ import annotations

import os
from typing import Any

import greensio

sio = greensio.Server(async_mode="gevent")
_LOG = os.environ.get("RESTARTS_LOG", os.devnull)


def _append(line: str) -> None:
    with open(_LOG, "a") as f:
        f.write(line + "\n")


@sio.on("record")
def record(sid: str, number: int) -> int:
    _append(f"record {number}")
    return number


@sio.on("pid")
def pid(sid: str) -> int:
    return os.getpid()


@sio.on("disconnect")
def disconnect(sid: str, reason: str) -> None:
    _append(f"disconnect {reason}")


_socketio = greensio.WSGIApp(sio)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO", "").startswith("/socket.io"):
        return _socketio(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"restarts"]
