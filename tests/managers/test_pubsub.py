"""Two greensio nodes on one real broker (Redis pub/sub, RabbitMQ, a Redis stream), python-socketio
clients on each.

Each node is a server process of ``tests.support.cluster_app``; a client asks its own node to
act (``Member.do``) and the clients of the other node see the result. "Not received" is checked
behind a fence: a later emit to everyone, through the same node and channel, arrives after it.
"""

from __future__ import annotations

import pytest

from tests.support.cluster import channel_name, members, node, nodes
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", params=["redis", "kombu", "redis-streams"])
def cluster(request):
    """Two greensio nodes sharing one channel on the broker ``request.param`` names."""
    broker = request.getfixturevalue("rabbitmq" if request.param == "kombu" else "redis")
    channel = channel_name()
    with nodes(*(node("greensio", request.param, broker.url, channel) for _ in range(2))) as pair:
        yield pair


def fence(sender, *receivers) -> None:
    """Emit ``bye`` to everyone through ``sender``'s node and wait until each receiver has it."""
    counts = [len(receiver.got("bye")) for receiver in receivers]
    assert sender.do("emit", event="bye", data="fence") == "ok"
    for receiver, count in zip(receivers, counts, strict=True):
        receiver.record.wait_for("bye", count=count + 1, timeout=5 * UNIT)


def test_broadcast_reaches_the_clients_of_both_nodes(cluster):
    a, b = cluster
    with members(a.url, a.url, b.url, b.url) as (a1, a2, b1, b2):
        assert a1.do("emit", event="hello", data={"n": 1}) == "ok"
        for member in (a1, a2, b1, b2):
            assert member.record.wait_for("hello") == ({"n": 1},)
        assert b1.do("emit", event="hello", data=[1, "two", None]) == "ok"
        for member in (a1, a2, b1, b2):
            assert member.record.wait_for("hello", count=2) == ([1, "two", None],)


def test_emit_to_a_room_and_skip_sid_across_nodes(cluster):
    a, b = cluster
    with members(a.url, b.url, b.url) as (a1, b1, b2):
        for member in (a1, b1, b2):
            assert member.do("enter_room", sid=member.sid, room="lobby") == "ok"
        assert a1.do("emit", event="room_news", data="all", to="lobby", skip_sid=b2.sid) == "ok"
        assert a1.record.wait_for("room_news") == ("all",)
        assert b1.record.wait_for("room_news") == ("all",)
        fence(a1, b2)
        assert b2.got("room_news") == []


def test_emit_to_a_sid_of_the_other_node(cluster):
    a, b = cluster
    with members(a.url, b.url, b.url) as (a1, b1, b2):
        assert a1.do("emit", event="hello", data="just you", to=b2.sid) == "ok"
        assert b2.record.wait_for("hello") == ("just you",)
        fence(a1, b1)
        assert b1.got("hello") == [] and a1.got("hello") == []


def test_binary_data_crosses_nodes(cluster):
    a, b = cluster
    blob = {"raw": b"\x00\x01\xff", "nested": [b"ab", {"x": b""}]}
    with members(a.url, b.url) as (a1, b1):
        assert a1.do("emit", event="blob", data=blob) == "ok"
        assert b1.record.wait_for("blob") == (blob,)
        assert a1.record.wait_for("blob") == (blob,)


def test_enter_and_leave_room_of_a_sid_on_the_other_node(cluster):
    a, b = cluster
    with members(a.url, b.url) as (a1, b1):
        assert a1.do("enter_room", sid=b1.sid, room="remote") == "ok"
        # the room is b1's node's to keep: it answers for itself once the message got there
        for _ in range(50):
            if "remote" in b1.do("rooms"):
                break
        assert "remote" in b1.do("rooms")
        assert a1.do("emit", event="room_news", data="in", to="remote") == "ok"
        assert b1.record.wait_for("room_news") == ("in",)
        assert a1.do("leave_room", sid=b1.sid, room="remote") == "ok"
        fence(a1, b1)
        assert "remote" not in b1.do("rooms")
        assert a1.do("emit", event="room_news", data="out", to="remote") == "ok"
        fence(a1, b1)
        assert b1.got("room_news") == [("in",)]


def test_close_room_empties_it_on_every_node(cluster):
    a, b = cluster
    with members(a.url, b.url) as (a1, b1):
        for member in (a1, b1):
            assert member.do("enter_room", sid=member.sid, room="closing") == "ok"
        assert b1.do("close_room", room="closing") == "ok"
        fence(b1, a1)
        assert "closing" not in a1.do("rooms") and "closing" not in b1.do("rooms")
        assert a1.do("emit", event="room_news", data="nobody", to="closing") == "ok"
        fence(a1, a1, b1)
        assert a1.got("room_news") == [] and b1.got("room_news") == []


def test_disconnect_a_sid_of_the_other_node(cluster):
    a, b = cluster
    with members(a.url, b.url) as (a1, b1):
        assert a1.do("disconnect", sid=b1.sid) == "ok"
        b1.record.wait_for("disconnect", timeout=5 * UNIT)
        assert a1.sio.connected


def test_emit_with_callback_to_a_sid_of_the_other_node(cluster):
    a, b = cluster
    with members(a.url, b.url, answer="from b") as (a1, b1):
        assert a1.do("emit_cb", event="ask", data=[1, 2], to=b1.sid) == "ok"
        assert b1.record.wait_for("ask") == ([1, 2],)
        assert a1.record.wait_for("cb_result") == ([{"answer": "from b", "args": [[1, 2]]}],)


def test_call_to_a_sid_of_the_other_node(cluster):
    a, b = cluster
    with members(a.url, b.url, answer=42) as (a1, b1):
        reply = a1.do("call", event="ask", data="q", to=b1.sid)
        assert reply == {"answer": 42, "args": ["q"]}
        # and a sid nobody has: the call times out (python-socketio's rule: it cannot know)
        assert a1.do("call", event="ask", to="no-such-sid", timeout=UNIT) == {
            "error": "TimeoutError"
        }
