"""Connection state recovery across two nodes on one real Redis, with the official JS client.

Two server processes of ``tests/apps/recovery.py`` (``Server``, pywsgi) or its asyncio source
(``AsyncServer``, uvicorn), each with a ``RedisStreamsManager`` (or ``RedisManager``) on one
channel of a real redis-server. The client (``tests/interop/js/recovery_client.js``) connects
to node A, joins a room and loses its transport; node A's disconnect handler and then node B
emit to its sid and its room (and a volatile event each, which is not replayed); the client
comes back on node B.
Volatile emits of one node are volatile on the other: bare long-polling clients
(``RawPolling``) show what node A delivers of node B's emits.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.server.test_recovery import FRONT_ENDS, RawPolling, payloads, run_js
from tests.support.brokers import redis_server
from tests.support.cluster import channel_name
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(90 * UNIT)

#: The short window of the "past the window" cluster, in seconds.
SHORT_WINDOW = 1.0
#: What the client misses on both nodes, in order (the volatile events and the one skipped
#: left out).
MISSED = [
    ("m", "to-sid-1"),
    ("m", "to-room"),
    ("m", "to-sid-2"),
    ("m", "b-to-sid"),
    ("m", "b-to-room"),
]


@pytest.fixture(scope="module")
def redis():
    with redis_server() as server:
        yield server


def cluster(front_end, redis, manager="redis-streams", **options):
    app, web_server = front_end
    channel = channel_name()
    return [
        python_server(
            app,
            server=web_server,
            ping_interval=2,
            manager=manager,
            url=redis.url,
            channel=channel,
            **options,
        ).start()
        for _ in range(2)
    ]


@pytest.fixture(scope="module", params=list(FRONT_ENDS))
def front_end(request):
    return FRONT_ENDS[request.param]


@pytest.fixture(scope="module")
def pair(front_end, redis):
    servers = cluster(front_end, redis)
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture(params=[["polling"], ["websocket"]], ids=["polling", "websocket"])
def transports(request) -> list[str]:
    return request.param


def run_across(pair, scenario: str, transports: list[str], wait_ms: int = 0) -> dict:
    a, b = pair
    return run_js(a, scenario, transports, wait_ms, other=b)


def test_the_js_client_recovers_on_the_other_node(pair, transports):
    seen = run_across(pair, "nodes", transports)
    assert seen["first"]["recovered"] is False
    assert seen["disconnect_reason"] == "forced close"  # (engine.close(), the client says)
    assert seen["kept"] is True  # node B sees the session node A kept
    assert seen["away"] == "ok"
    assert seen["second"] == {"id": seen["first"]["id"], "recovered": True}
    after = seen["after"]
    assert payloads(after) == MISSED  # in order, exactly once, no volatile one
    offsets = [event[-1] for event in after]
    assert all(isinstance(offset, str) for offset in offsets)
    ids = [tuple(int(part) for part in offset.split("-")) for offset in offsets]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # one log, one order
    state = seen["state"]  # asked of node B
    assert state["sid"] == seen["first"]["id"]
    assert state["rooms"] == ["r1"]
    assert state["session"] == {"mark": "joined r1"}
    assert state["is_recovered"] is True
    assert state["environ_recovered"] is True
    assert "middlewares" not in state  # skipped for a recovered connection, as Node


def test_the_js_client_recovers_on_the_other_node_after_a_server_side_failure(pair):
    seen = run_across(pair, "nodes_server_drop", ["websocket"])
    assert seen["disconnect_reason"] == "transport close"
    assert seen["second"] == {"id": seen["first"]["id"], "recovered": True}
    assert payloads(seen["after"]) == MISSED
    assert seen["state"]["rooms"] == ["r1"] and seen["state"]["session"] == {"mark": "joined r1"}


def test_an_unknown_pid_gives_a_fresh_session_on_the_other_node(pair):
    seen = run_across(pair, "nodes_unknown", ["websocket"])
    assert seen["second"]["recovered"] is False
    assert seen["second"]["id"] != seen["first"]["id"]
    assert seen["after"] == []
    state = seen["state"]
    assert state["rooms"] == [] and state["session"] == {}
    assert state["is_recovered"] is False and state["middlewares"] == 1


def test_the_js_client_recovers_on_the_other_node_with_redis_pubsub(front_end, redis):
    servers = cluster(front_end, redis, manager="redis")  # RedisManager: the same store
    try:
        seen = run_across(servers, "nodes", ["websocket"])
    finally:
        for server in servers:
            server.stop()
    assert seen["second"] == {"id": seen["first"]["id"], "recovered": True}
    assert payloads(seen["after"]) == MISSED
    assert seen["state"]["rooms"] == ["r1"] and seen["state"]["session"] == {"mark": "joined r1"}


def test_past_the_window_the_other_node_gives_a_fresh_session(front_end, redis):
    servers = cluster(front_end, redis, recovery_window=SHORT_WINDOW * UNIT)
    try:
        wait_ms = int((SHORT_WINDOW + 0.5) * UNIT * 1000)
        seen = run_across(servers, "nodes", ["websocket"], wait_ms)
    finally:
        for server in servers:
            server.stop()
    assert seen["kept"] is True
    assert seen["second"]["recovered"] is False
    assert seen["second"]["id"] != seen["first"]["id"]
    assert seen["after"] == []
    assert seen["state"]["rooms"] == [] and seen["state"]["is_recovered"] is False


# --- volatile across nodes ------------------------------------------------------------------------
def connected(url: str) -> tuple[RawPolling, str]:
    """A bare long-polling client connected to ``url``'s "/" and its Socket.IO sid."""
    raw = RawPolling(url)
    raw.post("40")
    reply = raw.packets(1)[0]
    assert reply.startswith("0{"), reply
    return raw, json.loads(reply[1:])["sid"]


def events(packets: list[str]) -> list[list]:
    return [json.loads(packet[1:]) for packet in packets if packet.startswith("2")]


def until_reached(raw: RawPolling, sender: RawPolling, sid: str) -> None:
    """Have ``sender``'s node emit ``probe`` to ``sid`` (of ``raw``'s node) until one arrives:
    ``raw``'s node reads the stream (its first read starts at the stream's end)."""
    deadline = time.monotonic() + 10 * UNIT
    while True:
        sender.post(f'42["probe",{json.dumps(sid)}]')
        if any(event[0] == "probe" for event in events(raw.packets(1))):
            return
        assert time.monotonic() < deadline, "node A never got node B's emits"


def test_a_volatile_emit_of_one_node_is_volatile_on_the_other(pair):
    a, b = pair
    raw, sid = connected(a.url)
    sender, _ = connected(b.url)
    until_reached(raw, sender, sid)
    # No GET waiting on node A: 'e' 0 is queued there, so volatile 'v' 1 and 'v' 2 are dropped.
    sender.post(f'42["volatile_burst",{json.dumps(sid)}]')
    time.sleep(UNIT)  # (all five emits reach node A before its client polls)
    got = events(raw.packets(3))
    assert [event[:2] for event in got] == [["e", 0], ["e", 1], ["done", 3]]
    assert all(isinstance(event[-1], str) and len(event) == 3 for event in got)  # B's offsets
    # Nothing queued on node A: a volatile emit of node B goes, without an offset.
    sender.post(f'42["volatile_alone",{json.dumps(sid)}]')
    assert events(raw.packets(1)) == [["v", "alone"]]
