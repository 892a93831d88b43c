"""A ``RedisManager`` app for ``gunicorn -w 3 -k gevent`` without sticky sessions
(tests/interop/test_gunicorn_no_sticky.py): replies name the worker (its pid) and how many
requests it forwarded to other workers."""

from __future__ import annotations

import os
from typing import Any

import greensio

sio = greensio.Server(
    async_mode="gevent",
    client_manager=greensio.RedisManager(
        os.environ.get("GREENSIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        channel=os.environ.get("GREENSIO_TEST_CHANNEL", "socketio"),
    ),
    cors_allowed_origins="*",
    ping_interval=5,
)


def _forwarded() -> int:
    forwarding = sio.eio.forwarding
    return forwarding.forwarded if forwarding is not None else 0


def _tunnelled() -> int:
    forwarding = sio.eio.forwarding
    return forwarding.tunnelled if forwarding is not None else 0


@sio.event
def whoami(sid: str) -> dict[str, Any]:
    return {"pid": os.getpid(), "sid": sid, "transport": sio.transport(sid)}


@sio.event
def stats(sid: str) -> dict[str, Any]:
    return {"pid": os.getpid(), "forwarded": _forwarded()}


@sio.event
def echo(sid: str, data: Any) -> Any:
    sio.emit("echoed", data, to=sid)
    return data


@sio.event
def join(sid: str, room: str) -> str:
    sio.enter_room(sid, room)
    return room


@sio.event
def shout(sid: str, room: str, data: Any) -> bool:
    sio.emit("shouted", data, room=room)
    return True


@sio.event
def ask(sid: str, target: str, data: Any) -> Any:
    """A ``call()`` from this worker to ``target``, wherever it is connected."""
    return sio.call("question", data, to=target, timeout=15)


_app = greensio.WSGIApp(sio)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO", "").startswith("/socket.io"):
        return _app(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{os.getpid()} {_forwarded()} {_tunnelled()}".encode()]


print("WORKER READY", os.getpid(), flush=True)
