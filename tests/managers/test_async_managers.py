"""AsyncServer nodes (uvicorn) on real brokers: ``AsyncRedisManager``, ``AsyncAioPikaManager``,
greensio's ``RedisManager`` serving an ``AsyncServer`` as it is, and a cluster shared with a
greenlet ``Server`` node and a python-socketio ``AsyncServer`` node; the asyncio write-only
emitter; a Redis restart with the emits buffered meanwhile; and the cluster-wide operations
(``fetch_sockets``, ``server_side_call``, ``broadcast_call``, ...) on AsyncServer nodes, alone
and with a greenlet ``Server`` node, on Redis (pub/sub and Streams) and RabbitMQ."""

from __future__ import annotations

import asyncio
import time

import pytest

import greensio
from tests.managers.test_cluster import Silent, broker_url, greensio_node, know_each_other, sids
from tests.support.brokers import redis_server
from tests.support.client_servers import wait_until
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


# --- cluster-wide operations on AsyncServer nodes (tests/apps/async_cluster_api.py) -------------
API = "tests.apps.async_cluster_api:build"


def async_api_node(manager: str, url: str, channel: str):
    return python_server(
        API, "greensio", server="uvicorn", manager=manager, url=url, channel=channel
    )


def _operations(urls: list[str], local_membership: bool, tag: str) -> None:
    """test_cluster.py's scenario, driven from the node of ``urls[0]``; ``local_membership``:
    that node is an AsyncServer, whose ``rooms()`` / ``get_participants`` stay this node's."""
    with members(*urls, answer="yes") as (a1, b1, c1):
        know_each_other((a1, 2), (b1, 2), (c1, 2))
        assert b1.do("session", data={"on": "b"}) == "ok"
        found = a1.do("fetch")
        assert sids(found) == sorted([a1.sid, b1.sid, c1.sid])
        assert next(info for info in found if info["sid"] == b1.sid) == {
            "sid": b1.sid,
            "rooms": [b1.sid],
            "data": {"value": {"on": "b"}},
            "local": False,
        }
        assert [info["local"] for info in found if info["sid"] == a1.sid] == [True]

        assert a1.do("enter", room="r", to=[a1.sid, b1.sid, c1.sid]) == "ok"
        wait_until(lambda: "r" in b1.do("rooms") and "r" in c1.do("rooms"), 10 * UNIT)
        assert a1.do("leave", room="r", to=c1.sid) == "ok"
        wait_until(lambda: "r" not in c1.do("rooms"), 10 * UNIT)
        assert sids(c1.do("fetch", to="r")) == sorted([a1.sid, b1.sid])
        assert sids(a1.do("fetch", to="r")) == sorted([a1.sid, b1.sid])
        if local_membership:  # documented: an AsyncServer's membership is this node's
            assert a1.do("rooms", sid=b1.sid) == []
            assert a1.do("participants", room="r") == [a1.sid]
        else:
            assert a1.do("rooms", sid=b1.sid) == sorted([b1.sid, "r"])
            assert a1.do("participants", room="r") == sorted([a1.sid, b1.sid])

        assert a1.do("fetch_act", to=c1.sid, action="enter_room", room="s") == [c1.sid]
        wait_until(lambda: "s" in c1.do("rooms"), 10 * UNIT)
        assert a1.do("fetch_act", to="s", action="emit", event="hello", data="hi") == [c1.sid]
        assert c1.record.wait_for("hello", timeout=10 * UNIT) == ("hi",)
        assert a1.do("fetch_act", to=b1.sid, action="leave_room", room="r") == [b1.sid]
        wait_until(lambda: "r" not in b1.do("rooms"), 10 * UNIT)

        assert a1.do("server_emit", event="news", data=tag) == "ok"
        wait_until(lambda: [tag] in b1.do("heard") and [tag] in c1.do("heard"), 10 * UNIT)
        assert [tag] not in a1.do("heard")
        values = a1.do("server_call", event="whoami", data="q", timeout=10 * UNIT)
        assert sorted(value["pid"] for value in values) == sorted([b1.do("pid"), c1.do("pid")])
        assert all(value["args"] == ["q"] for value in values)
        assert a1.do("server_call", event="broken", timeout=60, wait=20 * UNIT) == []
        assert a1.do("server_call", event="nobody-listens", timeout=60, wait=20 * UNIT) == []

        values = a1.do("server_call", event="whoami", data=b"\x00\xff", timeout=10 * UNIT)
        assert [value["args"] for value in values] == [[b"\x00\xff"], [b"\x00\xff"]]
        assert a1.do("bcall", to=b1.sid, data=b"\x01") == {
            b1.sid: {"answer": "yes", "args": [b"\x01"]}
        }
        assert c1.do("session", data={"blob": b"\x02"}) == "ok"
        assert [i["data"] for i in a1.do("fetch", to=c1.sid)] == [{"value": {"blob": b"\x02"}}]

        replies = a1.do("bcall", data=1)
        assert replies == {s: {"answer": "yes", "args": [1]} for s in (a1.sid, b1.sid, c1.sid)}
        assert a1.do("enter", room="t", to=[a1.sid, b1.sid]) == "ok"
        wait_until(lambda: "t" in b1.do("rooms"), 10 * UNIT)
        assert a1.do("bcall", to="t", skip_sid=a1.sid) == {b1.sid: {"answer": "yes", "args": []}}

        assert a1.do("fetch_act", to=b1.sid, action="disconnect") == [b1.sid]
        b1.record.wait_for("disconnect", timeout=10 * UNIT)
        assert a1.do("disconnect", to=[c1.sid]) == "ok"
        c1.record.wait_for("disconnect", timeout=10 * UNIT)
        assert sids(a1.do("fetch")) == [a1.sid]


@pytest.mark.parametrize("kind", ["redis", "redis-streams", "kombu"])
def test_cluster_operations_on_async_nodes(kind, request):
    url, channel = broker_url(kind, request), channel_name()
    with nodes(*(async_api_node(kind, url, channel) for _ in range(3))) as (a, b, c):
        _operations([a.url, b.url, c.url], True, "n1")
        _operations([b.url, c.url, a.url], True, "n2")


def test_cluster_operations_on_async_and_greenlet_nodes(redis):
    """An AsyncServer on AsyncRedisManager, a gevent Server, an AsyncServer on greensio's
    RedisManager: one cluster, driven from each kind."""
    channel = channel_name()
    with nodes(
        async_api_node("redis", redis.url, channel),
        greensio_node("redis", redis.url, channel),
        async_api_node("redis-sync", redis.url, channel),
    ) as (a, g, s):
        _operations([a.url, g.url, s.url], True, "n1")
        _operations([g.url, s.url, a.url], False, "n2")
        _operations([s.url, a.url, g.url], True, "n3")


@pytest.mark.parametrize("kind", ["redis", "kombu"])
def test_async_broadcast_call_with_a_silent_and_a_leaving_remote_client(kind, request):
    url, channel = broker_url(kind, request), channel_name()
    with nodes(*(async_api_node(kind, url, channel) for _ in range(2))) as (a, b):
        with members(a.url, b.url, answer="yes") as (a1, b1):
            know_each_other((a1, 1), (b1, 1))
            leaving = Silent(b.url, leave=True)
            try:  # the departure on node b ends the wait, long before this timeout
                result = a1.do("bcall", timeout=300, wait=30 * UNIT)
                assert result == {s: {"answer": "yes", "args": []} for s in (a1.sid, b1.sid)}
            finally:
                leaving.release.set()
                leaving.close()
            silent = Silent(b.url)
            try:
                result = a1.do("bcall", timeout=1 * UNIT, wait=30 * UNIT)
                assert result["error"] == "TimeoutError"
                assert result["replies"] == {
                    s: {"answer": "yes", "args": []} for s in (a1.sid, b1.sid)
                }
            finally:
                silent.release.set()
                silent.close()


def test_an_async_node_is_counted_once_its_loop_is_known_and_says_bye(redis):
    """A node made before its loop runs cannot answer: it announces itself with its first
    client (no other node waits for it before); ``manager.close()`` says bye."""
    channel = channel_name()
    with nodes(async_api_node("redis", redis.url, channel)) as (a,):
        with members(a.url) as (a1,), nodes(async_api_node("redis", redis.url, channel)) as (b,):
            time.sleep(2 * UNIT)  # b subscribed long ago, with no client yet
            assert a1.do("nodes") == 0
            started = time.monotonic()
            assert a1.do("server_call", event="whoami", timeout=30, wait=20 * UNIT) == []
            assert time.monotonic() - started < 5 * UNIT  # b is not waited for
            with members(b.url) as (b1,):
                know_each_other((a1, 1), (b1, 1))
                values = a1.do("server_call", event="whoami", timeout=10 * UNIT)
                assert [value["pid"] for value in values] == [b1.do("pid")]
                assert b1.do("close_manager") == "ok"
                wait_until(lambda: a1.do("nodes") == 0, 5 * UNIT)


def test_an_async_server_made_on_its_loop_announces_itself_at_once(redis):
    async def main():
        manager = greensio.AsyncRedisManager(redis.url, channel=channel_name())
        sio = greensio.AsyncServer(client_manager=manager)
        try:
            assert manager.cluster.on_loop and manager.cluster.ready()
            assert await sio.fetch_sockets() == []  # no other node: nobody waited for
            assert await sio.server_side_call("whoami", timeout=30) == []
        finally:
            manager.close()

    asyncio.run(asyncio.wait_for(main(), 20 * UNIT))
