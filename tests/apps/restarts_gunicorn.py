"""A Socket.IO app for tests/interop/test_gunicorn_restarts.py under ``gunicorn -k gevent``: the
``record`` event appends its number to the file named by ``$RESTARTS_LOG`` before it acks (so an
acked emit is on disk whichever worker took it), and each disconnect's reason is appended too.
``slow`` acks after a second (a handler still running when the worker is told to stop); GET /
answers ``<pid> <requests served> <max_requests>`` from gunicorn's worker object (for a test
that drives ``max_requests``)."""

from __future__ import annotations

import os
from typing import Any

import greensio
from greensio.engineio import shutdown

sio = greensio.Server(async_mode="gevent")
_LOG = open(os.environ.get("RESTARTS_LOG", os.devnull), "a", buffering=1)


def _append(line: str) -> None:
    _LOG.write(line + "\n")  # one write(2) per line: O_APPEND keeps workers' lines whole


@sio.on("record")
def record(sid: str, number: int) -> int:
    _append(f"record {number}")
    return number


@sio.on("slow")
def slow(sid: str) -> str:
    sio.sleep(1)
    _append("slow")
    return "slow"


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
    worker = shutdown.find_gunicorn_worker()
    served = f"{os.getpid()} {getattr(worker, 'nr', 0)} {getattr(worker, 'max_requests', 0)}"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [served.encode()]
