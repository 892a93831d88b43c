"""greensio/engineio/mismatch.py: an async_mode that does not fit its WSGI server is told at the
first request, with the fix; a thread server whose threads the WebSockets all hold says so.

In this process (``caplog``): Werkzeug's threaded server in a thread, in front of the check
itself (the mode is a name: nothing here imports gevent or eventlet). In child processes (their
output): the servers of tests/interop/test_deployments.py, run with the wrong mode.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import pytest
import requests
import socketio
from werkzeug.serving import make_server

from greensio.engineio.mismatch import DeploymentCheck, thread_limit
from tests.interop.test_gunicorn import Gunicorn
from tests.support.deployments import eventlet_python, werkzeug
from tests.support.servers import UNIT, ServerProcess
from tests.support.threaded_server import serving

pytestmark = pytest.mark.timeout(30 * UNIT)

WAIT = 5 * UNIT
APP = "tests.apps.deployment"  # the deployment rows' Flask app, run in the wrong mode here
HANDSHAKE = "/socket.io/?EIO=4&transport=polling"
LOGGER = "greensio-tests.mismatch"


def checked_app(mode: str):
    """A WSGI app that asks a ``DeploymentCheck`` for ``mode``, as the Engine.IO server does,
    and answers 200 when it lets the request through."""
    check = DeploymentCheck(mode, logging.getLogger(LOGGER), {})

    def app(environ, start_response):
        refused = check.check(environ, start_response)
        if refused is not None:
            return refused
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"served"]

    return app


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_a_green_mode_under_threads_is_refused_with_the_fix(caplog, mode):
    caplog.set_level(logging.ERROR, LOGGER)
    with serving(checked_app(mode)) as url:
        first = requests.get(url + HANDSHAKE, timeout=WAIT)
        again = requests.get(url + HANDSHAKE, timeout=WAIT)
    assert first.status_code == again.status_code == 500
    message = first.json()["message"]
    assert f"async_mode='{mode}' does not work under Werkzeug's development server" in message
    assert "Fix: async_mode='threading'" in message
    assert [r.getMessage() for r in caplog.records] == [message]  # once, not per request
    assert caplog.records[0].levelno == logging.ERROR


@pytest.mark.parametrize("mode", ["threading", "fake"])
def test_a_fitting_mode_is_served_and_nothing_logged(caplog, mode):
    caplog.set_level(logging.DEBUG, LOGGER)
    with serving(checked_app(mode)) as url:
        assert requests.get(url + HANDSHAKE, timeout=WAIT).text == "served"
    assert [r for r in caplog.records if r.name == LOGGER] == []


@pytest.mark.parametrize(("threaded", "limit"), [(False, 1), (True, None)])
def test_the_thread_limit_of_werkzeug(threaded, limit):
    """Werkzeug without threads serves one request at a time (a WebSocket would hold it all);
    with threads it starts one per request, with no limit to tell."""
    seen = []

    def app(environ, start_response):
        seen.append(thread_limit(environ))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=WAIT)
    finally:
        thread.join(WAIT)
        server.server_close()
    assert seen == [limit]


def errors(server, needle: str) -> list[str]:
    """The lines of ``server``'s output holding ``needle``, once it wrote one (or ``WAIT``)."""
    deadline = time.monotonic() + WAIT
    while not (found := [line for line in server.log.splitlines() if needle in line]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05 * UNIT)
    return found


def test_gevent_mode_under_gthread_is_refused():
    server = Gunicorn(
        f"{APP}:app",
        worker="gthread",
        options=("--threads", "4"),
        env={"GREENSIO_ASYNC_MODE": "gevent"},
    ).start()
    try:
        client = socketio.Client(reconnection=False)
        started = time.monotonic()
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, wait_timeout=WAIT)
        assert time.monotonic() - started < WAIT  # refused, not timed out
        assert requests.get(server.url + "/api/ping", timeout=WAIT).json()["pong"] is True
        found = errors(server, "async_mode='gevent' does not work under gunicorn's gthread worker")
        assert len(found) == 1, server.log
        assert "Fix: async_mode='threading'" in found[0]
    finally:
        server.stop()


def test_threading_mode_under_a_gevent_worker_is_logged():
    server = Gunicorn(f"{APP}:app", env={"GREENSIO_ASYNC_MODE": "threading"}).start()
    try:
        assert requests.get(server.url + HANDSHAKE, timeout=WAIT).status_code == 200
        found = errors(server, "async_mode='threading' under gunicorn's gevent worker")
        assert len(found) == 1, server.log
        assert "Fix: async_mode='gevent'" in found[0]
    finally:
        server.stop()


def test_gevent_mode_under_werkzeug_is_refused():
    server = werkzeug(lambda port: [sys.executable, "-m", APP, str(port)], mode="gevent")
    try:
        response = requests.get(server.url + HANDSHAKE, timeout=WAIT)
        assert response.status_code == 500
        assert "Fix: async_mode='threading'" in response.json()["message"]
        assert len(errors(server, "does not work under Werkzeug's development server")) == 1
    finally:
        server.stop()


def test_eventlet_without_monkey_patching_is_logged():
    argv = [eventlet_python(), "-m", "tests.support.serve_eventlet", "--no-patch"]
    argv += ["--app", f"{APP}:build", "--option", 'async_mode="eventlet"']
    server = ServerProcess(argv).start()
    try:
        assert requests.get(server.url + HANDSHAKE, timeout=WAIT).status_code == 200
        found = errors(server, "without eventlet.monkey_patch()")
        assert len(found) == 1 and found[0].startswith("ERROR"), server.log
        assert "Fix: call eventlet.monkey_patch() first thing in the entry point" in found[0]
    finally:
        server.stop()


def test_websockets_holding_every_gthread_thread_are_logged():
    server = Gunicorn(
        f"{APP}:app",
        worker="gthread",
        options=("--threads", "2"),
        env={"GREENSIO_ASYNC_MODE": "threading"},
    ).start()
    clients = [socketio.Client(reconnection=False) for _ in range(2)]
    try:
        clients[0].connect(server.url, transports=["websocket"], wait_timeout=WAIT)
        assert "threads of" not in server.log  # one of two threads: nothing to say yet
        clients[1].connect(server.url, transports=["websocket"], wait_timeout=WAIT)
        found = errors(server, "2 WebSocket connections now hold all 2 threads of")
        assert len(found) == 1, server.log
        assert "gunicorn's gthread worker" in found[0] and "gunicorn --threads N" in found[0]
    finally:
        for client in clients:
            if client.connected:
                client.disconnect()
        server.stop()
