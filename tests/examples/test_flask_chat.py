"""examples/flask_chat under each server of the deployment guide (docs/deployment.md), started
exactly as the guide says, with python-socketio's client as the peer.

``gunicorn -k gevent`` itself is tested at length by tests/interop/test_gunicorn.py and in a browser
by tests/interop/test_browser.py; here every other way to serve the same app gets one round:
a client on the upgrade and one on long-polling exchange a message and an acknowledgement, the
Flask route answers, a disconnect is announced, and nothing is logged with a traceback. The
eventlet rows run in the pinned environment ``make install`` builds (``.venv-eventlet``:
gunicorn < 26, whose eventlet worker gunicorn 26 removed).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.test_gunicorn import WAIT, ChatClient, Gunicorn, online
from tests.support.servers import ROOT, UNIT

pytestmark = pytest.mark.timeout(60 * UNIT)

APP = "examples.flask_chat.app:app"
EVENTLET_PYTHON = ROOT / ".venv-eventlet" / "bin" / "python"
GUNICORN = ["-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "--no-control-socket"]


class EntryPoint(Gunicorn):
    """A server started from its command line, on a port the kernel picks, stopped by its PID."""

    # gunicorn's "Listening at: http://…", pywsgi's "chat on http://…", Werkzeug's "Running on …"
    LISTENING = re.compile(r"http://127\.0\.0\.1:([1-9]\d*)")

    def __init__(self, argv: list[str]) -> None:
        super().__init__(APP)
        self.command = argv

    def argv(self) -> list[str]:
        return self.command


ROWS = {
    "pywsgi": [sys.executable, "-m", "examples.flask_chat", "0"],
    "gevent-websocket": [sys.executable, "-m", "examples.flask_chat.serve_geventwebsocket", "0"],
    "gunicorn-gevent-websocket": [
        *[sys.executable, *GUNICORN],
        *["-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", APP],
    ],
    "gunicorn-threads": [sys.executable, *GUNICORN, "--threads", "8", APP],
    "werkzeug-app-run": [sys.executable, "-m", "examples.flask_chat.serve_werkzeug", "0"],
    "flask-run": [sys.executable, "-m", "flask", "--app", APP, "run", "--port", "0"],
    "eventlet-wsgi": [str(EVENTLET_PYTHON), "-m", "examples.flask_chat.serve_eventlet", "0"],
    "gunicorn-eventlet": [str(EVENTLET_PYTHON), *GUNICORN, "-k", "eventlet", APP],
}


@pytest.fixture(params=list(ROWS), scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[EntryPoint]:
    argv = ROWS[request.param]
    if argv[0] == str(EVENTLET_PYTHON) and not Path(argv[0]).exists():
        pytest.skip(".venv-eventlet is missing: make install builds it")
    entry = EntryPoint(argv).start()
    try:
        yield entry
    finally:
        entry.stop()
        # Captured: pytest shows it with a failing test's report, and drops it otherwise.
        print(f"output of {' '.join(argv)}:", *entry.lines, sep="\n")
    assert "Traceback" not in entry.log, entry.log


def test_two_clients_chat(server: EntryPoint) -> None:
    alice = ChatClient("alice-row").connect(server.url, None)  # polling, then the upgrade
    bob = ChatClient("bob-row").connect(server.url, ["polling"])
    try:
        assert alice.sio.transport() == "websocket"
        assert bob.sio.transport() == "polling"
        assert {"alice-row", "bob-row"} <= set(online(server))

        alice.sio.emit("message", "hello")
        bob.expect("message", {"name": "alice-row", "text": "hello"})
        assert bob.sio.call("set_name", "bob2", timeout=WAIT) == {"name": "bob2"}
        alice.expect("renamed", {"old": "bob-row", "new": "bob2"})
        alice.expect("online", lambda data: "bob2" in data["users"])

        # The WebSocket client leaves: its socket's close is seen at once. (python-socketio's
        # client on long-polling sometimes exits before its last POST, the DISCONNECT, goes out;
        # the server then learns of it only when the heartbeat fails, 45 s later.)
        alice.sio.disconnect()
        bob.expect("left", {"name": "alice-row"})
        bob.expect("online", {"users": ["bob2"]})
    finally:
        for client in (alice, bob):
            if client.sio.connected:
                client.sio.disconnect()
