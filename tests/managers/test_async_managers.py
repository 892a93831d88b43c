"""AsyncServer nodes (uvicorn) on real brokers: ``AsyncRedisManager``, ``AsyncAioPikaManager``,
greensio's ``RedisManager`` serving an ``AsyncServer`` as it is, and a cluster shared with a
greenlet ``Server`` node and a python-socketio ``AsyncServer`` node; the asyncio write-only
emitter; a Redis restart with the emits buffered meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

import greensio
from tests.support.brokers import redis_server
from tests.support.cluster import channel_name, members, node, nodes
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(180)

APP = "tests.support.async_cluster_app:build"


def async_node(impl: str, manager: str, url: str, channel: str):
    return python_server(
        APP, impl, server="uvicorn", manager=manager, url=url, channel=channel, manager_options={}
    )


def _exercise(a_url: str, b_url: str) -> None:
    """Broadcast, binary, rooms, skip_sid, call and emit(callback=) across, remote disconnect."""
    with members(a_url, b_url, answer="yes") as (a1, b1):
        assert a1.do("emit", event="hello", data={"from": "a"}) == "ok"
        assert b1.record.wait_for("hello") == ({"from": "a"},)
        assert a1.record.wait_for("hello") == ({"from": "a"},)
        blob = bytes(range(256))
        assert b1.do("emit", event="blob", data=blob) == "ok"
        assert a1.record.wait_for("blob") == (blob,)
        assert a1.do("enter_room", sid=b1.sid, room="r") == "ok"  # b1 is on the other node
        deadline = time.monotonic() + 10 * UNIT
        while "r" not in b1.do("rooms"):
            assert time.monotonic() < deadline, "the remote enter_room did not arrive"
            time.sleep(0.05)
        assert a1.do("emit", event="room_news", data="n", to="r") == "ok"
        assert b1.record.wait_for("room_news") == ("n",)
        assert a1.do("emit", event="hello", data="skip", skip_sid=b1.sid) == "ok"
        assert a1.record.wait_for("hello", count=2) == ("skip",)
        assert a1.do("call", event="ask", data=1, to=b1.sid) == {"answer": "yes", "args": [1]}
        assert b1.do("call", event="ask", data=2, to=a1.sid) == {"answer": "yes", "args": [2]}
        assert a1.do("emit_cb", event="ask", data=3, to=b1.sid) == "ok"
        assert a1.record.wait_for("cb_result") == ([{"answer": "yes", "args": [3]}],)
        assert a1.do("call", event="ask", to="nobody", timeout=1) == {"error": "TimeoutError"}
        assert a1.do("close_room", room="r") == "ok"
        deadline = time.monotonic() + 10 * UNIT
        while "r" in b1.do("rooms"):
            assert time.monotonic() < deadline, "the remote close_room did not arrive"
            time.sleep(0.05)
        assert [e for e in b1.got("hello") if e == ("skip",)] == []
        assert a1.do("disconnect", sid=b1.sid) == "ok"
        deadline = time.monotonic() + 10 * UNIT
        while b1.sio.connected:
            assert time.monotonic() < deadline, "the remote disconnect did not arrive"
            time.sleep(0.05)


def test_two_async_redis_nodes(redis):
    channel = channel_name()
    with nodes(
        async_node("greensio", "redis", redis.url, channel),
        async_node("greensio", "redis-sync", redis.url, channel),
    ) as (a, b):
        _exercise(a.url, b.url)
        _exercise(b.url, a.url)


def test_async_greenlet_and_python_socketio_nodes_share_a_channel(redis):
    channel = channel_name()
    with nodes(
        async_node("greensio", "redis", redis.url, channel),
        node("greensio", "redis", redis.url, channel),
        async_node("socketio", "redis", redis.url, channel),
    ) as (a, g, p):
        _exercise(a.url, g.url)
        _exercise(g.url, a.url)
        _exercise(a.url, p.url)
        _exercise(p.url, a.url)


def test_the_asyncio_write_only_emitter(redis):
    channel = channel_name()
    with nodes(async_node("greensio", "redis", redis.url, channel)) as (a,):
        with members(a.url, answer="w") as (a1,):

            async def emitter():
                mgr = greensio.AsyncRedisManager(redis.url, channel=channel, write_only=True)
                try:
                    deadline = time.monotonic() + 10 * UNIT
                    while not a1.got("probe"):  # the node subscribes once it serves
                        assert time.monotonic() < deadline
                        await mgr.emit("probe", None, to=a1.sid)
                        await asyncio.sleep(0.1)
                    await mgr.emit("hello", ("x", 1))
                    await mgr.emit("blob", b"\x00\x01")
                    await mgr.enter_room(a1.sid, "/", "w")
                    acks: asyncio.Queue = asyncio.Queue()
                    await mgr.emit("ask", "cb", to=a1.sid, callback=lambda *r: acks.put_nowait(r))
                    got = await asyncio.wait_for(acks.get(), 10 * UNIT)
                    reply = await mgr.call("ask", "call", to=a1.sid, timeout=10 * UNIT)
                    with pytest.raises(greensio.exceptions.TimeoutError):
                        await mgr.call("ask", to="nobody", timeout=0.5)
                    return got, reply
                finally:
                    mgr.close()

            got, reply = asyncio.run(asyncio.wait_for(emitter(), 60 * UNIT))
            assert got == ({"answer": "w", "args": ["cb"]},)
            assert reply == {"answer": "w", "args": ["call"]}
            assert a1.record.wait_for("hello") == ("x", 1)
            assert a1.record.wait_for("blob") == (b"\x00\x01",)
            assert "w" in a1.do("rooms")


def test_async_aiopika_nodes_and_a_python_socketio_kombu_node(rabbitmq):
    channel = channel_name()
    with nodes(
        async_node("greensio", "kombu", rabbitmq.url, channel),
        async_node("greensio", "kombu", rabbitmq.url, channel),
        node("socketio", "kombu", rabbitmq.url, channel),
    ) as (a, b, p):
        _exercise(a.url, b.url)
        _exercise(a.url, p.url)
        _exercise(p.url, a.url)


def test_a_redis_restart_buffers_the_async_nodes_emits():
    with redis_server() as server:
        channel = channel_name()
        with nodes(*(async_node("greensio", "redis", server.url, channel) for _ in range(2))) as (
            a,
            b,
        ):
            with members(a.url, b.url) as (a1, b1):
                assert a1.do("emit", event="hello", data="before") == "ok"
                assert b1.record.wait_for("hello") == ("before",)
                server.stop()
                down = time.monotonic()
                for n in range(20):
                    assert a1.do("emit", event="hello", data=n) == "ok"
                assert a1.record.wait_for("hello", count=21) == (19,)
                time.sleep(UNIT)  # the publisher retries meanwhile (backoff)
                server.start()
                up = time.monotonic()
                b1.record.wait_for("hello", count=21, timeout=20 * UNIT)
                delivered = time.monotonic()
                assert [args[0] for args in b1.got("hello")] == ["before", *range(20)]
                assert b1.do("emit", event="hello", data="after") == "ok"
                assert a1.record.wait_for("hello", count=22) == ("after",)
    print(f"redis down {up - down:.2f} s; buffered emits delivered {delivered - up:.2f} s after")
