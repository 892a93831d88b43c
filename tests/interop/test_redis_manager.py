"""Golden tests against python-socketio's ``RedisManager`` (PyPI, 5.18) on a real Redis.

- The channel's bytes: the same emit, published by python-socketio's write-only manager and by
  greensio's, is the same JSON object (but ``host_id``), binary attachments included.
- A python-socketio node and a greensio node share one channel, in both directions: broadcasts,
  rooms, binary, ``enter_room`` and ``disconnect`` of the other's sids, callbacks and ``call()``.
- python-socketio's write-only emitter reaches greensio's clients; greensio's write-only emitter
  reaches python-socketio's clients; the official JS client on the greensio node answers a
  python-socketio node's ``call()``.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import redis as redis_py
import socketio

import greensio
from tests.support.brokers import redis_server
from tests.support.cluster import channel_name, members, node, nodes
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def redis():
    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def mixed(redis):
    """A python-socketio node and a greensio node on one channel."""
    channel = channel_name()
    with nodes(
        node("socketio", "redis", redis.url, channel), node("greensio", "redis", redis.url, channel)
    ) as (ps, gs):
        yield ps, gs, channel


class Tap:
    """A raw subscriber on a channel: every message published there, decoded from JSON."""

    def __init__(self, url: str, channel: str) -> None:
        self.client = redis_py.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)
        assert self.pubsub.get_message(timeout=5 * UNIT) is None or True

    def next(self) -> dict:
        for _ in range(50):
            message = self.pubsub.get_message(timeout=0.2 * UNIT)
            if message is not None and message["type"] == "message":
                return json.loads(message["data"])
        raise AssertionError("nothing published")

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()


@pytest.mark.parametrize(
    "data",
    [
        {"text": "hi", "n": [1, 2.5, None, True]},
        ("two", "arguments"),
        {"blob": b"\x00\xff", "more": [b"ab", {"x": b"cd"}]},
        None,
    ],
    ids=["json", "tuple", "binary", "none"],
)
def test_an_emit_on_the_channel_is_python_socketios_json(redis, data):
    same_on_the_channel(
        redis, lambda m: m.emit("news", data, namespace="/chat", room="lobby", skip_sid="s1")
    )


@pytest.mark.parametrize("method", ["enter_room", "leave_room", "close_room"])
def test_room_messages_are_python_socketios(redis, method):
    calls = {
        "enter_room": lambda m: m.enter_room("sid1", "/", "room1"),
        "leave_room": lambda m: m.leave_room("sid1", "/", "room1"),
        "close_room": lambda m: m.close_room("room1", "/"),
    }
    same_on_the_channel(redis, calls[method])


def same_on_the_channel(redis, publish) -> None:
    """``publish(manager)`` with python-socketio's write-only manager, then greensio's: the
    same JSON object on the channel, but ``host_id``."""
    channel = channel_name()
    tap = Tap(redis.url, channel)
    theirs = socketio.RedisManager(redis.url, channel=channel, write_only=True)
    ours = greensio.RedisManager(redis.url, channel=channel, write_only=True)
    try:
        publish(theirs)
        expected = tap.next()
        publish(ours)
        got = tap.next()
    finally:
        ours.close()
        tap.close()
    assert expected.pop("host_id") != got.pop("host_id")
    assert got == expected


def test_a_disconnect_message_is_python_socketios(redis):
    # python-socketio's own write-only manager cannot publish one (its disconnect() calls
    # self.server.disconnect first: AttributeError); its servers publish this object
    # (pubsub_manager.py, can_disconnect), which greensio's write-only manager publishes too.
    channel = channel_name()
    tap = Tap(redis.url, channel)
    ours = greensio.RedisManager(redis.url, channel=channel, write_only=True)
    try:
        ours.disconnect("sid1", "/chat")
        got = tap.next()
    finally:
        ours.close()
        tap.close()
    assert got == {
        "method": "disconnect",
        "sid": "sid1",
        "namespace": "/chat",
        "host_id": ours.host_id,
    }


def test_broadcasts_cross_both_ways(mixed):
    ps, gs, _ = mixed
    with members(ps.url, gs.url) as (p1, g1):
        assert p1.do("emit", event="hello", data={"from": "ps"}) == "ok"
        assert g1.record.wait_for("hello") == ({"from": "ps"},)
        assert g1.do("emit", event="hello", data=["from", "gs"]) == "ok"
        assert p1.record.wait_for("hello", count=2) == (["from", "gs"],)


def test_rooms_skip_sid_and_binary_cross_both_ways(mixed):
    ps, gs, _ = mixed
    blob = {"raw": b"\x01\x02", "list": [b"x"]}
    with members(ps.url, gs.url, gs.url) as (p1, g1, g2):
        for member in (p1, g1, g2):
            assert member.do("enter_room", sid=member.sid, room="mixed") == "ok"
        assert p1.do("emit", event="blob", data=blob, to="mixed", skip_sid=g2.sid) == "ok"
        assert g1.record.wait_for("blob") == (blob,)
        assert g2.do("emit", event="room_news", data="from gs", to="mixed") == "ok"
        assert p1.record.wait_for("room_news") == ("from gs",)
        assert g2.got("blob") == []


def test_enter_room_and_disconnect_of_the_others_sids(mixed):
    ps, gs, _ = mixed
    with members(ps.url, gs.url) as (p1, g1):
        assert p1.do("enter_room", sid=g1.sid, room="by-ps") == "ok"
        assert g1.do("enter_room", sid=p1.sid, room="by-gs") == "ok"
        for _ in range(50):
            if "by-ps" in g1.do("rooms") and "by-gs" in p1.do("rooms"):
                break
        assert "by-ps" in g1.do("rooms") and "by-gs" in p1.do("rooms")
        assert g1.do("disconnect", sid=p1.sid) == "ok"
        p1.record.wait_for("disconnect", timeout=5 * UNIT)
        assert p1.sio.connected is False or p1.record.all("disconnect")
    with members(ps.url, gs.url) as (p2, g2):
        assert p2.do("disconnect", sid=g2.sid) == "ok"
        g2.record.wait_for("disconnect", timeout=5 * UNIT)


def test_callbacks_and_call_cross_both_ways(mixed):
    ps, gs, _ = mixed
    with members(ps.url, gs.url, answer="yes") as (p1, g1):
        assert g1.do("emit_cb", event="ask", data="to ps", to=p1.sid) == "ok"
        assert g1.record.wait_for("cb_result") == ([{"answer": "yes", "args": ["to ps"]}],)
        assert p1.do("emit_cb", event="ask", data="to gs", to=g1.sid) == "ok"
        assert p1.record.wait_for("cb_result") == ([{"answer": "yes", "args": ["to gs"]}],)
        assert g1.do("call", event="ask", data=1, to=p1.sid) == {"answer": "yes", "args": [1]}
        assert p1.do("call", event="ask", data=2, to=g1.sid) == {"answer": "yes", "args": [2]}


def test_python_socketios_write_only_emitter_reaches_greensios_clients(mixed, redis):
    _, gs, channel = mixed
    emitter = socketio.RedisManager(redis.url, channel=channel, write_only=True)
    with members(gs.url, gs.url) as (g1, g2):
        emitter.emit("hello", {"from": "celery"}, namespace="/")
        emitter.emit("blob", b"\x00bin", room=g2.sid, namespace="/")
        assert g1.record.wait_for("hello") == ({"from": "celery"},)
        assert g2.record.wait_for("hello") == ({"from": "celery"},)
        assert g2.record.wait_for("blob") == (b"\x00bin",)
        emitter.enter_room(g1.sid, "/", "celery-room")
        emitter.emit("room_news", "to the room", room="celery-room", namespace="/")
        assert g1.record.wait_for("room_news") == ("to the room",)


def test_greensios_write_only_emitter_reaches_python_socketios_clients(mixed, redis):
    ps, _, channel = mixed
    emitter = greensio.RedisManager(redis.url, channel=channel, write_only=True)
    try:
        with members(ps.url) as (p1,):
            emitter.emit("hello", ("two", "args"), to=p1.sid)
            assert p1.record.wait_for("hello") == ("two", "args")
            emitter.close_room(p1.sid)
    finally:
        emitter.close()


JS_MEMBER = r"""
const { io } = require("socket.io-client");
const [url, transports] = [process.argv[1], JSON.parse(process.argv[2])];
const socket = io(url, { transports, reconnection: false });
const seen = [];
const done = (code) => {
  process.stdout.write(JSON.stringify({ seen }) + "\n", () => process.exit(code));
};
setTimeout(() => done(1), 15000 * Number(process.env.GREENSIO_TEST_UNIT || "1"));
socket.on("connect", () => { process.stdout.write(JSON.stringify({ sid: socket.id }) + "\n"); });
socket.on("ask", (data, ack) => { seen.push(["ask", data]); ack({ js: data }); });
socket.on("blob", (data) => {
  seen.push(["blob", Buffer.from(data.raw).toString("hex")]);
});
socket.on("bye", () => { socket.disconnect(); done(0); });
"""


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]])
def test_the_js_client_on_another_node(mixed, transports):
    from tests.support.node import JS_DIR, node_with_packages

    node_exe = node_with_packages("socket.io-client")
    ps, gs, _ = mixed
    proc = subprocess.Popen(
        [node_exe, "-e", JS_MEMBER, gs.url, json.dumps(transports)],
        cwd=JS_DIR,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, NODE_PATH=str(JS_DIR / "node_modules")),
    )
    try:
        assert proc.stdout is not None
        sid = json.loads(proc.stdout.readline())["sid"]
        with members(ps.url) as (p1,):
            assert p1.do("call", event="ask", data=[1, "x"], to=sid) == {"js": [1, "x"]}
            assert p1.do("emit", event="blob", data={"raw": b"\x00\xff"}, to=sid) == "ok"
            assert p1.do("emit", event="bye", to=sid) == "ok"
            out, _ = proc.communicate(timeout=15 * UNIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5 * UNIT)
    assert proc.returncode == 0
    assert json.loads(out)["seen"] == [["ask", [1, "x"]], ["blob", "00ff"]]
