"""The deployment rows' app (tests/interop/test_deployments.py): a small Flask app behind
``WSGIApp``, the same module under every WSGI server.

Module-level ``app`` is for ``gunicorn ... tests.apps.deployment:app`` and ``flask --app
tests.apps.deployment run``; ``build(socketio, **options)`` for tests/support/serve.py and
serve_eventlet.py; ``python -m tests.apps.deployment PORT`` runs ``app.run(threaded=True)``.
The server's ``async_mode`` comes from ``GREENSIO_ASYNC_MODE`` (unset: auto-detection).

Socket.IO events on ``/`` (besides tests/apps/interop.py's, which the JS client scenarios use):
    block       sleeps ``seconds`` with ``time.sleep`` (patched or not: a handler that blocks),
                after emitting ``blocking`` to the sender; acks ``"slept"``
    ask         ``call()``s the sender's ``question`` handler with the data; acks its answer
    ticker      a background task emits ``tick`` 0..count-1 to the sender
HTTP routes: ``/`` (plain text) and ``/api/ping`` (JSON).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import flask

from tests.apps import interop

TICK = 0.02


def build(socketio: Any, async_mode: str | None = None, **options: Any) -> flask.Flask:
    """A fresh Flask app with a Socket.IO server of package ``socketio`` in front of it."""
    sio = socketio.Server(async_mode=async_mode, **options)
    interop._root_handlers(socketio, sio)
    flask_app = flask.Flask(__name__)
    flask_app.wsgi_app = socketio.WSGIApp(sio, flask_app.wsgi_app)  # type: ignore[method-assign]

    @flask_app.get("/")
    def index() -> str:
        return "deployment app"

    @flask_app.get("/api/ping")
    def ping() -> flask.Response:
        return flask.jsonify(pong=True, mode=sio.async_mode)

    @sio.event
    def block(sid: str, seconds: float) -> str:
        sio.emit("blocking", to=sid)
        time.sleep(seconds)
        return "slept"

    @sio.event
    def ask(sid: str, data: Any) -> Any:
        return sio.call("question", data, to=sid, timeout=10)

    def tick(sid: str, count: int) -> None:
        for n in range(count):
            sio.emit("tick", n, to=sid)
            sio.sleep(TICK)

    @sio.event
    def ticker(sid: str, count: int) -> None:
        sio.start_background_task(tick, sid, count)

    return flask_app


def _from_environment() -> flask.Flask:
    import greensio

    options: dict[str, Any] = {"ping_interval": 0.5}  # heartbeats during the tests' checks
    return build(greensio, os.environ.get("GREENSIO_ASYNC_MODE") or None, **options)


app = _from_environment()

if __name__ == "__main__":
    # What python-socketio's Flask examples do: Werkzeug's development server, with threads.
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
