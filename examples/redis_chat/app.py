"""The Flask chat (examples/flask_chat) on several processes: each is a node of one service,
joined through Redis by ``greensio.RedisManager``.

Run it under gunicorn's gevent worker, which monkey-patches the workers (the manager's sockets
must be cooperative), with as many workers as you like; every worker is a node::

    REDIS_URL=redis://127.0.0.1:6379/0 gunicorn -k gevent -w 2 -b 127.0.0.1:5000 \\
        examples.redis_chat.app:app

A broadcast made on any worker reaches the WebSocket clients of every worker. Long-polling clients
still need to stay on their worker (sticky sessions). ``examples/redis_chat/emitter.py`` emits to
the service from outside it.
"""

from __future__ import annotations

import os

import flask

import greensio

mgr = greensio.RedisManager(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
sio = greensio.Server(async_mode="gevent", client_manager=mgr)
app = flask.Flask(__name__)
app.wsgi_app = greensio.WSGIApp(sio, app.wsgi_app)


@app.get("/")
def index() -> str:
    return f"redis chat node {os.getpid()}"


@sio.event
def message(sid: str, text: object) -> None:
    if isinstance(text, str) and text.strip():
        sio.emit("message", {"text": text[:1000]}, skip_sid=sid)  # every node's clients


@sio.event
def whoami(sid: str) -> dict:
    return {"sid": sid, "pid": os.getpid()}
