"""Connection state recovery and volatile emits, with real peers.

The official JS client (``tests/interop/js/recovery_client.js``) against ``tests/apps/recovery.py``
(``Server``, pywsgi) and its asyncio source (``AsyncServer``, uvicorn) on 127.0.0.1; Node's own
socket.io server as the control for the wire format; greensio's client against greensio's server.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support.node import JS_DIR, node_with_packages
from tests.support.servers import UNIT, ServerProcess, python_server

pytestmark = pytest.mark.timeout(60 * UNIT)

FRONT_ENDS = {
    "Server": ("tests.apps.recovery:build", "pywsgi"),
    "AsyncServer": ("tests.apps.async_recovery:build", "uvicorn"),
}
#: The short window of the "past the window" server, in seconds.
SHORT_WINDOW = 1.0


@pytest.fixture(scope="module", params=list(FRONT_ENDS))
def front_end(request) -> tuple[str, str]:
    return FRONT_ENDS[request.param]


@pytest.fixture(scope="module")
def server(front_end):
    app, web_server = front_end
    server = python_server(app, server=web_server, ping_interval=2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def short_server(front_end):
    app, web_server = front_end
    server = python_server(
        app, server=web_server, ping_interval=2, recovery_window=SHORT_WINDOW * UNIT
    ).start()
    yield server
    server.stop()


@pytest.fixture(params=[["polling"], ["websocket"]], ids=["polling", "websocket"])
def transports(request) -> list[str]:
    return request.param


def run_js(server: ServerProcess, scenario: str, transports: list[str], wait_ms: int = 0) -> dict:
    node = node_with_packages("socket.io-client")
    argv = [node, str(JS_DIR / "recovery_client.js"), server.url, scenario, json.dumps(transports)]
    if wait_ms:
        argv.append(str(wait_ms))
    env = dict(os.environ, GREENSIO_TEST_UNIT=str(UNIT))
    done = subprocess.run(
        argv, cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=40 * UNIT
    )
    lines = done.stdout.strip().splitlines()
    observed = json.loads(lines[-1]) if lines else {"error": "no output", "stderr": done.stderr}
    assert done.returncode == 0 and "error" not in observed, (observed, done.stderr, server.log)
    return observed


def payloads(events: list[list]) -> list:
    """(event, first argument) of each event, the offset (the last argument) left out."""
    return [(event[0], event[1]) for event in events]


def test_the_js_client_recovers_its_session_and_missed_events(server, transports):
    seen = run_js(server, "recover", transports)

    first, second = seen["first"], seen["second"]
    assert first["recovered"] is False and isinstance(first["pid"], str) and first["pid"]
    # Every event carries its offset, a string, as its last argument (Node's format).
    assert [e[0:2] for e in seen["events"][:3]] == [["e", 0], ["e", 1], ["e", 2]]
    assert all(isinstance(e[-1], str) and len(e) == 3 for e in seen["events"][:3])
    assert seen["offset"] == seen["events"][2][-1]
    assert seen["kept"] is True
    assert second == {"id": first["id"], "recovered": True}
    # The missed events, in order, exactly once; the volatile one not replayed.
    assert payloads(seen["after"]) == [("m", "to-sid-1"), ("m", "to-room"), ("m", "to-sid-2")]
    assert seen["events_before"] == 3
    state = seen["state"]
    assert state["sid"] == first["id"]
    assert state["rooms"] == ["r1"]
    assert state["session"] == {"mark": "joined r1"}
    assert state["is_recovered"] is True
    assert state["environ_recovered"] is True
    assert state["middlewares"] == 1  # skip_middlewares: only the first connection ran them
    assert len(state["reasons"]) == 1


def test_past_the_window_the_js_client_gets_a_fresh_session(short_server, transports):
    seen = run_js(short_server, "late", transports, wait_ms=int(3 * SHORT_WINDOW * UNIT * 1000))

    assert seen["second"]["recovered"] is False
    assert seen["second"]["id"] != seen["first"]["id"]
    assert seen["after"] == []
    state = seen["state"]
    assert state["rooms"] == [] and state["session"] == {} and state["is_recovered"] is False
    assert state["environ_recovered"] is False


def test_a_client_disconnect_keeps_nothing(server, transports):
    seen = run_js(server, "leave", transports)

    assert seen["disconnect_reason"] == "io client disconnect"
    assert seen["second"]["recovered"] is False
    assert seen["second"]["id"] != seen["first"]["id"]
    assert seen["after"] == []
    assert seen["state"]["rooms"] == [] and seen["state"]["is_recovered"] is False
