"""Werkzeug's threaded development server (``app.run(threaded=True)``, ``flask run``) in front of
greensio, with python-socketio's client (websocket-client) and the official JS client as peers.

Werkzeug adds ``Connection: close`` to every response it starts and drains what is left of a
request once the application returns; both used to break the WebSocket takeover (a client-side
"Invalid WebSocket Header", and ``Error on request: ValueError: read of closed file`` logged for
every closed WebSocket). Each test therefore waits for Werkzeug to be done with every connection
it accepted, then asserts that nothing was logged at error level.
"""

from __future__ import annotations

import sys
import time

import pytest

from tests.interop.conftest import IMPL, PING_INTERVAL
from tests.support.peers import STEP, InOrderClient
from tests.support.servers import UNIT, ServerProcess

pytestmark = pytest.mark.timeout(30 * UNIT)

TRANSPORTS = {"websocket": ["websocket"], "upgrade": ["polling", "websocket"]}


@pytest.fixture(scope="module")
def werkzeug_server():
    argv = [sys.executable, "-m", "tests.support.serve_werkzeug", "--impl", IMPL]
    argv += ["--app", "tests.apps.interop:build", "--option", f"ping_interval={PING_INTERVAL}"]
    server = ServerProcess(argv).start()
    yield server
    server.stop()


@pytest.fixture
def server(werkzeug_server: ServerProcess):
    """The running server; after the test, every connection is closed and none logged an error."""
    start = len(werkzeug_server.output)
    yield werkzeug_server
    lines = settled(werkzeug_server, start)
    errors = [line for line in lines if line.startswith(("ERROR", "CRITICAL", "Traceback"))]
    assert not errors, "".join(lines)


def settled(server: ServerProcess, start: int) -> list[str]:
    """The server's output from ``start`` on, once every connection it opened is closed."""
    deadline = time.monotonic() + STEP
    while True:
        lines = server.output[start:]
        text = "".join(lines)
        if text.count("CONNECTION-OPEN") == text.count("CONNECTION-CLOSED"):
            return lines
        assert time.monotonic() < deadline, "connections still open:\n" + "".join(lines)
        time.sleep(0.02 * UNIT)


@pytest.mark.parametrize("transports", list(TRANSPORTS.values()), ids=list(TRANSPORTS))
def test_python_socketio_client(server, transports):
    client = InOrderClient(reconnection=False, request_timeout=5 * UNIT)
    client.connect(server.url, transports=transports, wait_timeout=5 * UNIT)
    try:
        assert client.transport() == "websocket"  # upgraded, or WebSocket from the start
        assert client.call("echo", ("héllo ✓", 42), timeout=STEP) == ("héllo ✓", 42)
    finally:
        client.disconnect()


@pytest.mark.parametrize("transports", list(TRANSPORTS.values()), ids=list(TRANSPORTS))
def test_js_client(js_client, server, transports):
    seen = js_client.run(server, "upgrade", transports)

    assert seen["upgraded_to"] == "websocket"  # at once when WebSocket-only
    assert seen["ack"] == ["after upgrade ✓"]
    assert seen["transport"] == "websocket"
