"""``logger=True`` (or the application's own Logger) tells what happened, at python-socketio's level
of detail: each connect with its namespace and transport, each event received and emitted, each
ack, each disconnect with its reason; refusals too. On a threading server of this process, with
python-socketio's client as the peer; the log records are asserted."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time

import pytest
import socketio

import greensio
from tests.support.peers import STEP
from tests.support.servers import UNIT
from tests.support.threaded_server import serving

pytestmark = pytest.mark.timeout(30 * UNIT)

MINE = "tests.server.logging.mine"


@pytest.fixture
def url(caplog):
    caplog.set_level(logging.INFO, logger=MINE)
    sio = greensio.Server(async_mode="threading", logger=logging.getLogger(MINE))

    @sio.event
    def connect(sid, environ, auth):
        if auth == {"refuse": True}:
            raise greensio.exceptions.ConnectionRefusedError("go away")

    @sio.event
    def hello(sid, name):
        sio.emit("greeting", f"hi {name}", to=sid)
        return sio.call("question", name, to=sid, timeout=STEP)

    with serving(greensio.WSGIApp(sio)) as address:
        yield address
    sio.shutdown()


def mine(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == MINE]


def test_one_connect_emit_ack_disconnect(url, caplog):
    client = socketio.Client()
    got = []
    client.on("greeting", got.append)
    client.on("question", lambda name: f"{name}!")
    client.connect(url, transports=["websocket"])
    sid = client.get_sid("/")
    assert client.call("hello", "ada", timeout=STEP) == "ada!"
    client.disconnect()
    deadline = time.monotonic() + STEP  # the disconnect line comes from the server's own task
    while not any("disconnected" in line for line in mine(caplog)):
        assert time.monotonic() < deadline, mine(caplog)
        time.sleep(0.05 * UNIT)
    lines = mine(caplog)
    assert lines[:4] == [
        f"{sid} connected to namespace / (over websocket)",
        f"received event 'hello' from {sid} [/]",
        f"emitting event 'greeting' to {sid} [/]",
        f"received ack 0 from {sid} [/]",
    ]
    # python-socketio's client sends its DISCONNECT and closes at once: either may come first.
    assert re.fullmatch(
        rf"{sid} disconnected from namespace / \((client disconnect|transport close)\)", lines[4]
    )
    assert got == ["hi ada"]


def test_a_refusal_is_logged(url, caplog):
    client = socketio.Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, transports=["websocket"], auth={"refuse": True})
    assert any("refused on namespace /" in line and "go away" in line for line in mine(caplog))


def test_logger_true_prints_without_any_logging_configuration():
    code = (
        "import greensio\n"
        "sio = greensio.Server(async_mode='threading', logger=True)\n"
        "sio.emit('news', 1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20 * UNIT
    )
    assert "emitting event 'news' to all [/]" in done.stderr, done.stderr


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_engineio_logger_gives_the_packet_trace(caplog, transport):
    engine = "tests.server.logging.engine"
    caplog.set_level(logging.INFO, logger=engine)
    sio = greensio.Server(async_mode="threading", engineio_logger=logging.getLogger(engine))
    sio.on("echo", lambda sid, data: data)
    with serving(greensio.WSGIApp(sio)) as address:
        client = socketio.Client()
        client.connect(address, transports=[transport])
        assert client.call("echo", "traced", timeout=STEP) == "traced"
        client.disconnect()
    sio.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == engine]
    eio_sid = lines[0].split(":")[0]
    assert lines[0] == f"{eio_sid}: opened over {transport}"
    if transport == "websocket":
        assert f"""{eio_sid}: received '421["echo","traced"]'""" in lines
        assert f"""{eio_sid}: sent '431["traced"]'""" in lines
    else:
        assert any(
            line.startswith(f"{eio_sid}: received payload ") and "echo" in line for line in lines
        )
        assert any(line.startswith(f"{eio_sid}: sent payload ") and "431" in line for line in lines)
