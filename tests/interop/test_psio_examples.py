"""python-socketio's WSGI examples (app.py, latency.py, fiddle.py) on greensio: our own app making
their calls (tests/apps/psio_examples.py), run as theirs run — by its own ``__main__`` (Werkzeug's
``app.run(threaded=True)``, as ``async_mode=None`` picks threading in a plain process) and under
``gunicorn -k gevent`` — with python-socketio's client as the peer."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
import requests
import socketio

from tests.interop.test_gunicorn import Gunicorn
from tests.support.deployments import werkzeug
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(60 * UNIT)

APP = "tests.apps.psio_examples"
ENV = {"GREENSIO_EXAMPLE_TICK": "0.3"}


@pytest.fixture(scope="module", params=["__main__", "gunicorn -k gevent"])
def example(request):
    if request.param == "gunicorn -k gevent":
        server = Gunicorn(f"{APP}:app", env=ENV).start()
        yield server, "gevent"
        server.stop()
        return
    os.environ.update(ENV)  # (read by the child process, which ServerProcess gives os.environ)
    try:
        server = werkzeug(lambda port: [sys.executable, "-m", APP, str(port)])
    finally:
        for key in ENV:
            del os.environ[key]
    yield server, "threading"
    server.stop()


class Peer:
    def __init__(self, url: str, auth=None) -> None:
        self.sio = socketio.Client()
        self.seen: list[tuple[str, object]] = []
        self.changed = threading.Condition()
        for event in ("my_response", "pong_from_server", "hello"):
            self.sio.on(event, self._recorder(event))
        self.sio.connect(url, transports=["websocket"], auth=auth)

    def _recorder(self, event: str):
        def record(*args):
            with self.changed:
                self.seen.append((event, args[0] if len(args) == 1 else args))
                self.changed.notify_all()

        return record

    def wait_for(self, item, timeout: float = 5 * UNIT) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while item not in self.seen:
                left = deadline - time.monotonic()
                assert left > 0, f"{item} not in {self.seen}"
                self.changed.wait(left)


def response(data, **extra):
    return ("my_response", {"data": data, **extra})


def test_the_examples_calls(example):
    server, mode = example
    assert requests.get(server.url + "/", timeout=5 * UNIT).text == f"examples on {mode}"
    ada, bob = Peer(server.url), Peer(server.url, auth={"name": "bob"})
    ada.wait_for(response("Connected", count=0))
    bob.wait_for(("hello", (1, 2, {"hello": "bob"})))  # fiddle.py's emit of three arguments
    ada.sio.emit("my_event", {"data": "to me"})
    ada.wait_for(response("to me"))
    ada.sio.emit("my_broadcast_event", {"data": "to all"})
    bob.wait_for(response("to all"))
    bob.sio.emit("join", {"room": "r"})
    bob.wait_for(response("Entered room: r"))
    ada.sio.emit("my_room_event", {"data": "in r", "room": "r"})
    bob.wait_for(response("in r"))
    bob.sio.emit("close_room", {"room": "r"})
    bob.wait_for(response("Room r closing"))
    ada.sio.emit("my_room_event", {"data": "after close", "room": "r"})
    bob.sio.emit("join", {"room": "s"})
    bob.wait_for(response("Entered room: s"))
    bob.sio.emit("leave", {"room": "s"})
    bob.wait_for(response("Left room: s"))
    ada.sio.emit("ping_from_client")  # latency.py
    ada.wait_for(("pong_from_server", ()))
    ada.wait_for(response("Server generated event", count=1))  # the background task (0.3 s)
    assert response("after close") not in bob.seen
    bob.sio.emit("disconnect_request")
    deadline = time.monotonic() + 5 * UNIT
    while bob.sio.connected:
        assert time.monotonic() < deadline, "the server did not disconnect bob"
        time.sleep(0.05)
    ada.sio.disconnect()


def test_the_examples_admin_ui(example):
    """app.py's ``sio.instrument(auth=admin_login)``: the admin namespace answers the UI's
    credentials (python-socketio's client in its place) with ``config`` and stats, and refuses
    others."""
    server, _mode = example
    admin = socketio.Client()
    seen: list[tuple[str, object]] = []
    admin.on("*", lambda event, *args: seen.append((event, args)), namespace="/admin")
    admin.connect(
        server.url,
        namespaces=["/admin"],
        transports=["websocket"],
        auth={"username": "admin", "password": "python"},
    )
    try:
        deadline = time.monotonic() + 10 * UNIT
        while not {"config", "all_sockets", "server_stats"} <= {e for e, _ in seen}:
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
        config = next(args[0] for e, args in seen if e == "config")
        assert "EMIT" in config["supportedFeatures"] and "ALL_EVENTS" in config["supportedFeatures"]
    finally:
        admin.disconnect()
    intruder = socketio.Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        intruder.connect(
            server.url,
            namespaces=["/admin"],
            transports=["websocket"],
            auth={"username": "admin", "password": "java"},
            wait_timeout=5 * UNIT,
        )
