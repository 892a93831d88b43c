"""Every way python-socketio users deploy, one row each, end to end: the same Flask app behind
``WSGIApp`` (tests/apps/deployment.py) under each WSGI server, with the official JS client (the
upgrade, WebSocket only, polling only) and python-socketio's client as peers.

In every row: a handler that blocks (``time.sleep``) does not stall the other clients, the
server's ``call()`` to a client round-trips, a background task emits, and the Flask routes keep
answering, all while that handler sleeps; the server's ``async_mode`` is the one the row is for.
One server per row serves all of its checks.

The eventlet rows run their server with the pinned environment's python (``make
install-eventlet``: gunicorn 25.3.0 and eventlet 0.41.3, since gunicorn 26 has no eventlet
worker); they skip only when that environment is absent, and ``make install`` creates it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.interop.conftest import IMPL, TRANSPORTS
from tests.interop.test_gunicorn import Gunicorn
from tests.support.deployments import eventlet_python, werkzeug
from tests.support.peers import Peer, PingCounter
from tests.support.servers import UNIT, ServerProcess, python_server

pytestmark = [
    pytest.mark.timeout(60 * UNIT),
    pytest.mark.skipif(IMPL != "greensio", reason="greensio's own deployments"),
]

APP = "tests.apps.deployment"
#: How long the blocking handler sleeps: the other clients' checks must finish well within it.
BLOCK = 2 * UNIT
#: The app's heartbeat (tests/apps/deployment.py): several PINGs while the handler sleeps.
PING_INTERVAL = 0.5
WAIT = 5 * UNIT
THREADING = {"GREENSIO_ASYNC_MODE": "threading"}


#: Each row: (how to start its server, the async_mode it must run).
ROWS: dict[str, tuple[Callable[[], Any], str]] = {
    "gunicorn-gevent": (lambda: Gunicorn(f"{APP}:app").start(), "gevent"),
    "pywsgi": (
        lambda: python_server(f"{APP}:build", ping_interval=PING_INTERVAL).start(),
        "gevent",
    ),
    "geventwebsocket-handler": (
        lambda: python_server(
            f"{APP}:build", server="geventwebsocket", ping_interval=PING_INTERVAL
        ).start(),
        "gevent",
    ),
    "geventwebsocket-worker": (
        lambda: Gunicorn(
            f"{APP}:app", worker="geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
        ).start(),
        "gevent",
    ),
    "gunicorn-eventlet": (
        lambda: Gunicorn(f"{APP}:app", worker="eventlet", python=eventlet_python()).start(),
        "eventlet",
    ),
    "eventlet-wsgi": (
        lambda: ServerProcess(
            [eventlet_python(), "-m", "tests.support.serve_eventlet", "--app", f"{APP}:build"]
            + ["--option", f"ping_interval={PING_INTERVAL}"]
        ).start(),
        "eventlet",
    ),
    "gunicorn-gthread": (
        lambda: Gunicorn(
            f"{APP}:app", worker="gthread", options=("--threads", "8"), env=THREADING
        ).start(),
        "threading",
    ),
    "werkzeug-app-run": (
        lambda: werkzeug(lambda port: [sys.executable, "-m", APP, str(port)]),
        "threading",
    ),
    "flask-run": (
        lambda: werkzeug(
            lambda port: [sys.executable, "-m", "flask", "--app", APP, "run", "--port", str(port)]
        ),
        "threading",
    ),
}


@pytest.fixture(scope="module", params=list(ROWS))
def row(request) -> Iterator[tuple[str, Any]]:
    """One row's server, running for all of that row's checks; (its async_mode, the server)."""
    start, mode = ROWS[request.param]
    server = start()
    try:
        yield mode, server
    finally:
        server.stop()
    assert "Traceback" not in server.log, server.log
    assert "Error on request" not in server.log, server.log  # Werkzeug's failed-request line
    assert "async_mode=" not in server.log, (
        server.log
    )  # no mismatch (greensio/engineio/mismatch.py)


JS_SCENARIOS = {"upgrade": "upgrade", "websocket": "echo", "polling": "echo"}


@pytest.mark.parametrize("how", list(JS_SCENARIOS))
def test_js_client(row, js_client, how) -> None:
    _, server = row
    seen = js_client.run(server, JS_SCENARIOS[how], TRANSPORTS[how])
    if how == "upgrade":
        assert seen["upgraded_to"] == "websocket"
        assert seen["ack"] == ["after upgrade ✓"]
    else:
        assert seen["ack"][0] == "héllo wörld ✓ 日本語 🎉"
        assert seen["transport"] == how


def test_python_socketio_client(row) -> None:
    mode, server = row
    pings: dict[Peer, PingCounter] = {}
    blocked = connect(server.url, None, pings)  # polling, then the upgrade
    others = [connect(server.url, ["polling"], pings), connect(server.url, ["websocket"], pings)]
    try:
        assert blocked.sio.transport() == "websocket"
        assert [peer.sio.transport() for peer in others] == ["polling", "websocket"]
        slept: list[Any] = []
        sleeper = threading.Thread(
            target=lambda: slept.append(blocked.sio.call("block", BLOCK, timeout=BLOCK + WAIT))
        )
        started = time.monotonic()
        sleeper.start()
        blocked.record.wait_for("blocking", WAIT)  # the handler is about to time.sleep()
        for n, peer in enumerate(others):
            assert peer.sio.call("echo", n, timeout=WAIT) == n
            assert peer.sio.call("ask", n, timeout=WAIT) == ["answer", n]  # the server's call()
            peer.sio.emit("ticker", 3)
            peer.record.wait_for("tick", WAIT, count=3)  # from a background task
            assert sorted(peer.record.all("tick")) == [(0,), (1,), (2,)]
        ping = requests.get(server.url + "/api/ping", timeout=WAIT).json()
        assert ping == {"pong": True, "mode": mode}
        assert time.monotonic() - started < BLOCK, "the other clients waited for the blocked one"
        assert sleeper.is_alive()
        sleeper.join(BLOCK + WAIT)
        assert slept == ["slept"]
        # Heartbeats went on meanwhile, the blocked client's too (its handler runs in the task
        # that read its WebSocket, which handed the reading on when it blocked).
        for peer in [blocked, *others]:
            assert pings[peer].wait_for(3, WAIT), f"{pings[peer].pings} PINGs"
        assert blocked.sio.call("ask", "again", timeout=WAIT) == ["answer", "again"]
    finally:
        for peer in [blocked, *others]:
            peer.close()


def connect(url: str, transports: list[str] | None, pings: dict[Peer, PingCounter]) -> Peer:
    """A python-socketio client that answers ``question``, records ``blocking`` and ``tick``,
    and counts the PINGs it gets (into ``pings``)."""
    peer = Peer(events=("blocking", "tick"))
    peer.sio.on("question", lambda data: ["answer", data])
    pings[peer] = PingCounter()
    peer.sio.eio.logger = pings[peer].logger
    return peer.connect(url, transports=transports)
