"""Cluster-wide operations across nodes: three greensio ``Server`` processes on a real Redis
(pub/sub and Streams) and on RabbitMQ (``KombuManager``), each with its own manager connection,
python-socketio clients as the members (tests/apps/cluster_api.py); and a python-socketio node on
the same channel, which must ignore greensio's ``greensio:*`` messages and keep serving."""

from __future__ import annotations

import threading

import pytest

from tests.support.client_servers import wait_until
from tests.support.cluster import Member, channel_name, members, node, nodes
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(180 * UNIT)

APP = "tests.apps.cluster_api:build"


def greensio_node(manager: str, url: str, channel: str):
    return python_server(
        APP, "greensio", manager=manager, url=url, channel=channel, async_mode="gevent"
    )


def broker_url(kind: str, request) -> str:
    broker = request.getfixturevalue("rabbitmq" if kind == "kombu" else "redis")
    return broker.url


def know_each_other(*pairs: tuple[Member, int]) -> None:
    """Wait until each member's node counts the given number of other greensio nodes."""
    for member, count in pairs:
        wait_until(lambda m=member, n=count: m.do("nodes") == n, 20 * UNIT)


class Silent(Member):
    """Answers ``ask`` only when released (at most 30 s); with ``leave``, disconnects instead."""

    def __init__(self, url: str, leave: bool = False) -> None:
        self.release = threading.Event()
        self.leave = leave
        super().__init__(url)

    def _ask(self, *args):
        self.record.add("ask", *args)
        if self.leave:
            threading.Thread(target=self.sio.disconnect, daemon=True).start()
        self.release.wait(30 * UNIT)
        return "late"


def sids(infos) -> list[str]:
    return [info["sid"] for info in infos]


@pytest.mark.parametrize("kind", ["redis", "redis-streams", "kombu"])
def test_operations_reach_every_node(kind, request):
    url, channel = broker_url(kind, request), channel_name()
    with nodes(*(greensio_node(kind, url, channel) for _ in range(3))) as (a, b, c):
        with members(a.url, b.url, c.url, answer="yes") as (a1, b1, c1):
            know_each_other((a1, 2), (b1, 2), (c1, 2))
            assert b1.do("session", data={"on": "b"}) == "ok"

            # fetch_sockets: every node's sockets, with rooms and session snapshots
            found = a1.do("fetch")
            assert sids(found) == sorted([a1.sid, b1.sid, c1.sid])
            theirs = next(info for info in found if info["sid"] == b1.sid)
            assert theirs == {
                "sid": b1.sid,
                "rooms": [b1.sid],
                "data": {"value": {"on": "b"}},
                "local": False,
            }
            assert [info["local"] for info in found if info["sid"] == a1.sid] == [True]

            # rooms on every node at once, then read back through fetch_sockets
            assert a1.do("enter", room="r", to=[a1.sid, b1.sid, c1.sid]) == "ok"
            wait_until(lambda: "r" in b1.do("rooms") and "r" in c1.do("rooms"), 10 * UNIT)
            assert a1.do("leave", room="r", to=c1.sid) == "ok"
            wait_until(lambda: "r" not in c1.do("rooms"), 10 * UNIT)
            assert sids(c1.do("fetch", to="r")) == sorted([a1.sid, b1.sid])
            # membership, cluster-wide: rooms() of another node's sid, get_participants()
            assert a1.do("rooms", sid=b1.sid) == sorted([b1.sid, "r"])
            assert a1.do("rooms", sid="nobody") == []
            assert a1.do("participants", room="r") == sorted([a1.sid, b1.sid])
            assert c1.do("participants", room="r") == sorted([a1.sid, b1.sid])

            # the fetched sockets act where they live
            assert a1.do("fetch_act", to=c1.sid, action="enter_room", room="s") == [c1.sid]
            wait_until(lambda: "s" in c1.do("rooms"), 10 * UNIT)
            assert a1.do("fetch_act", to="s", action="emit", event="hello", data="hi") == [c1.sid]
            assert c1.record.wait_for("hello", timeout=10 * UNIT) == ("hi",)

            # server-side events: the other nodes' handlers, not this one's
            assert a1.do("server_emit", event="news", data="n1") == "ok"
            wait_until(lambda: b1.do("heard") == [["n1"]] and c1.do("heard") == [["n1"]], 10 * UNIT)
            assert a1.do("heard") == []
            values = a1.do("server_call", event="whoami", data="q", timeout=10 * UNIT)
            assert sorted(value["pid"] for value in values) == sorted([b1.do("pid"), c1.do("pid")])
            assert all(value["args"] == ["q"] for value in values)
            # a node whose handler fails, or that has none, answers nothing and is not waited for
            assert a1.do("server_call", event="broken", timeout=60, wait=20 * UNIT) == []
            assert a1.do("server_call", event="nobody-listens", timeout=60, wait=20 * UNIT) == []

            # binary data crosses nodes too: arguments, replies, acks and sessions
            values = a1.do("server_call", event="whoami", data=b"\x00\xff", timeout=10 * UNIT)
            assert [value["args"] for value in values] == [[b"\x00\xff"], [b"\x00\xff"]]
            assert a1.do("bcall", to=b1.sid, data=b"\x01") == {
                b1.sid: {"answer": "yes", "args": [b"\x01"]}
            }
            assert c1.do("session", data={"blob": b"\x02"}) == "ok"
            theirs = a1.do("fetch", to=c1.sid)
            assert [info["data"] for info in theirs] == [{"value": {"blob": b"\x02"}}]

            # broadcast_call: every client of every node
            replies = a1.do("bcall", data=1)
            assert replies == {s: {"answer": "yes", "args": [1]} for s in (a1.sid, b1.sid, c1.sid)}
            assert a1.do("bcall", to="r", skip_sid=a1.sid) == {
                b1.sid: {"answer": "yes", "args": []}
            }

            # disconnect_sockets on another node
            assert a1.do("disconnect", to=[c1.sid]) == "ok"
            c1.record.wait_for("disconnect", timeout=10 * UNIT)
            assert sids(a1.do("fetch")) == sorted([a1.sid, b1.sid])


@pytest.mark.parametrize("kind", ["redis", "kombu"])
def test_broadcast_call_with_a_silent_and_a_leaving_remote_client(kind, request):
    url, channel = broker_url(kind, request), channel_name()
    with nodes(*(greensio_node(kind, url, channel) for _ in range(2))) as (a, b):
        with members(a.url, b.url, answer="yes") as (a1, b1):
            know_each_other((a1, 1), (b1, 1))
            leaving = Silent(b.url, leave=True)
            try:
                # the departure on node b ends the wait, long before this timeout
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


def test_a_closing_node_says_bye_and_a_dead_one_is_forgotten(redis):
    channel = channel_name()
    with nodes(*(greensio_node("redis", redis.url, channel) for _ in range(3))) as (a, b, c):
        with members(a.url, b.url) as (a1, b1):
            with members(c.url) as (c1,):
                know_each_other((a1, 2), (b1, 2), (c1, 2))
            assert b1.do("close_manager") == "ok"  # its bye: forgotten at once
            wait_until(lambda: a1.do("nodes") == 1, 5 * UNIT)
            c.stop()  # SIGTERM, no bye: forgotten after 3 missed heartbeats (15 s)
            wait_until(lambda: a1.do("nodes") == 0, 40 * UNIT)
            assert a1.do("server_call", event="whoami", timeout=60, wait=20 * UNIT) == []


@pytest.mark.parametrize("kind", ["redis", "kombu"])
def test_a_python_socketio_node_on_the_channel_ignores_them(kind, request):
    url, channel = broker_url(kind, request), channel_name()
    servers = (
        greensio_node(kind, url, channel),
        greensio_node(kind, url, channel),
        node("socketio", kind, url, channel),
    )
    with nodes(*servers) as (a, b, p):
        with members(a.url, b.url, p.url, answer="yes") as (a1, b1, p1):
            know_each_other((a1, 1), (b1, 1))  # the python-socketio node is not counted
            # python-socketio does not answer: its client is not found, and nobody waits for it
            assert sids(a1.do("fetch")) == sorted([a1.sid, b1.sid])
            assert a1.do("enter", room="r") == "ok"
            assert a1.do("server_emit", event="news", data="n") == "ok"
            values = a1.do("server_call", event="whoami", timeout=60, wait=20 * UNIT)
            assert [value["pid"] for value in values] == [b1.do("pid")]
            assert set(a1.do("bcall", timeout=60, wait=20 * UNIT)) == {a1.sid, b1.sid}
            # ... and it serves on, through the same channel, both ways
            assert p1.do("emit", event="hello", data="from psio") == "ok"
            assert a1.record.wait_for("hello", timeout=10 * UNIT) == ("from psio",)
            assert a1.do("emit", event="bye", data="from greensio") == "ok"
            assert p1.record.wait_for("bye", timeout=10 * UNIT) == ("from greensio",)
    log = p.log
    assert "Traceback" not in log
    assert "pubsub listening thread" not in log
