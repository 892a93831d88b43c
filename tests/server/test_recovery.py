"""Connection state recovery and volatile emits, with real peers.

The official JS client (``tests/interop/js/recovery_client.js``) against ``tests/apps/recovery.py``
(``Server``, pywsgi) and its asyncio source (``AsyncServer``, uvicorn) on 127.0.0.1; Node's own
socket.io server as the control for the wire format; greensio's client against greensio's server.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request

import pytest

import greensio
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


def run_js(
    server: ServerProcess,
    scenario: str,
    transports: list[str],
    wait_ms: int = 0,
    other: ServerProcess | None = None,
) -> dict:
    """recovery_client.js's observations; with ``other``, the client comes back on that node."""
    node = node_with_packages("socket.io-client")
    argv = [node, str(JS_DIR / "recovery_client.js"), server.url, scenario, json.dumps(transports)]
    if wait_ms or other is not None:
        argv.append(str(wait_ms))
    if other is not None:
        argv.append(other.url)
    env = dict(os.environ, GREENSIO_TEST_UNIT=str(UNIT))
    done = subprocess.run(
        argv, cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=40 * UNIT
    )
    lines = done.stdout.strip().splitlines()
    observed = json.loads(lines[-1]) if lines else {"error": "no output", "stderr": done.stderr}
    logs = (server.log, other.log if other is not None else "")
    assert done.returncode == 0 and "error" not in observed, (observed, done.stderr, logs)
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


def test_the_js_client_recovers_after_the_server_fails_its_transport(server, transports):
    seen = run_js(server, "server_drop", transports)

    assert seen["kept"] is True
    assert seen["second"] == {"id": seen["first"]["id"], "recovered": True}
    assert payloads(seen["after"]) == [("m", "to-sid-1"), ("m", "to-room"), ("m", "to-sid-2")]
    assert seen["state"]["reasons"] == ["transport error"]


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


# --- the wire, against Node's server as the control -----------------------------------------------
class RawPolling:
    """A bare Engine.IO long-polling client (urllib): the wire as it is, no client library."""

    def __init__(self, url: str) -> None:
        self.base = url + "/socket.io/?EIO=4&transport=polling"
        handshake = self.get(self.base)
        assert handshake.startswith("0"), handshake
        self.sid = json.loads(handshake[1:])["sid"]
        self.url = f"{self.base}&sid={self.sid}"

    @staticmethod
    def get(url: str) -> str:
        with urllib.request.urlopen(url, timeout=10 * UNIT) as response:
            return response.read().decode()

    def post(self, body: str) -> None:
        request = urllib.request.Request(self.url, data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10 * UNIT) as response:
            assert response.read() == b"ok"

    def packets(self, want: int) -> list[str]:
        """Socket.IO packets (the Engine.IO ``4`` stripped) until ``want`` came; PINGs answered."""
        got: list[str] = []
        for _ in range(50):
            for packet in self.get(self.url).split("\x1e"):
                if packet == "2":
                    self.post("3")
                elif packet.startswith("4"):
                    got.append(packet[1:])
            if len(got) >= want:
                return got
        raise AssertionError(f"only {got} arrived")


def wire_shape(url: str) -> tuple[list[str], list[str]]:
    """The CONNECT reply's keys and the types of a burst's event arguments."""
    raw = RawPolling(url)
    raw.post("40")
    connect = raw.packets(1)[0]
    assert connect.startswith("0{"), connect
    reply = json.loads(connect[1:])
    assert all(isinstance(value, str) and value for value in reply.values())
    raw.post('42["burst",2]')
    events = [json.loads(p[1:]) for p in raw.packets(2)]
    assert [e[:2] for e in events] == [["e", 0], ["e", 1]]
    assert events[0][2] != events[1][2]
    return sorted(reply), [type(a).__name__ for e in events for a in e]


def test_pid_and_offsets_are_shaped_as_node_sends_them(server):
    node = node_with_packages("socket.io")
    control = ServerProcess([node, str(JS_DIR / "recovery_server.js")]).start()
    try:
        expected = wire_shape(control.url)
    finally:
        control.stop()
    assert expected == (["pid", "sid"], ["str", "int", "str"] * 2)
    assert wire_shape(server.url) == expected


# --- volatile -------------------------------------------------------------------------------------
def test_volatile_is_dropped_while_a_polling_client_has_a_packet_queued_and_no_get(server):
    raw = RawPolling(server.url)
    raw.post("40")
    raw.packets(1)  # the CONNECT reply
    # The handler emits 'e' 0 (queued: no GET takes it before the handler is done), volatile
    # 'v' 1 (dropped), 'e' 1, volatile 'v' 2 (dropped), 'done'.
    raw.post('42["volatile_burst"]')
    got = [json.loads(p[1:]) for p in raw.packets(3)]
    assert [e[:2] for e in got] == [["e", 0], ["e", 1], ["done", 3]]
    # Nothing queued: a volatile emit goes.
    raw.post('42["volatile_alone"]')
    assert [json.loads(p[1:]) for p in raw.packets(1)] == [["v", "alone"]]


# --- greensio's client ---------------------------------------------------------------------------
def test_greensios_client_recovers_after_the_server_fails_its_transport(server, transports):
    events: list[tuple] = []
    connected = threading.Event()
    client = greensio.Client(
        async_mode="threading",
        handle_sigint=False,
        reconnection_delay=2 * UNIT,
        randomization_factor=0,
    )
    client.on("e", lambda value: events.append(("e", value)))
    client.on("m", lambda value: events.append(("m", value)))
    client.on("v", lambda value: events.append(("v", value)))
    client.on("connect", connected.set)
    try:
        client.connect(server.url, transports=transports, wait_timeout=10 * UNIT)
        first_sid = client.get_sid()
        assert client.is_recovered() is False
        assert client.call("join", "r1", timeout=10 * UNIT) == "ok"
        assert client.call("burst", 2, timeout=10 * UNIT) == 2
        deadline = time.monotonic() + 10 * UNIT
        while len(events) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        # The offsets are taken off: handlers get the arguments as the server emitted them.
        assert events == [("e", 0), ("e", 1)]
        connected.clear()
        client.emit("drop_transport")
        assert connected.wait(20 * UNIT), server.log
        assert client.is_recovered() is True
        assert client.get_sid() == first_sid
        state = client.call("state", timeout=10 * UNIT)
        assert state["rooms"] == ["r1"] and state["session"] == {"mark": "joined r1"}
        assert state["is_recovered"] is True
        deadline = time.monotonic() + 10 * UNIT
        while len(events) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert events[2:] == [("m", "to-sid-1"), ("m", "to-room"), ("m", "to-sid-2")]
    finally:
        client.disconnect()
