"""Cluster-wide operations on one node (the in-memory manager), for ``Server`` under gevent's
pywsgi and ``AsyncServer`` under uvicorn (one app: tests/apps/async_cluster_api.py and its twin),
python-socketio clients as the peers: ``fetch_sockets`` and what its sockets do,
``sockets_enter_room`` / ``sockets_leave_room`` / ``disconnect_sockets``, ``broadcast_call``
(replies, a client that leaves first, a timeout with the replies that came), and the server-side
events, which reach no one on one node."""

from __future__ import annotations

import threading

import pytest

from tests.support.cluster import Member, members
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(60 * UNIT)

FRONT_ENDS = {
    "Server": ("tests.apps.cluster_api:build", "pywsgi"),
    "AsyncServer": ("tests.apps.async_cluster_api:build", "uvicorn"),
}


@pytest.fixture(scope="module", params=list(FRONT_ENDS))
def server(request):
    app, web_server = FRONT_ENDS[request.param]
    started = python_server(app, server=web_server).start()
    yield started
    started.stop()


class Silent(Member):
    """A member that does not answer ``ask`` until released (at most 30 s), or (``leave``)
    disconnects instead of answering."""

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


def test_fetch_sockets_sees_sids_rooms_and_sessions(server):
    with members(server.url, server.url, server.url) as (a, b, c):
        assert a.do("session", data={"name": "a"}) == "ok"
        assert a.do("enter", room="red", to=[a.sid, b.sid]) == "ok"
        everyone = a.do("fetch")
        assert [info["sid"] for info in everyone] == sorted([a.sid, b.sid, c.sid])
        mine = next(info for info in everyone if info["sid"] == a.sid)
        assert mine == {
            "sid": a.sid,
            "rooms": sorted([a.sid, "red"]),
            "data": {"value": {"name": "a"}},
            "local": True,
        }
        assert [info["sid"] for info in c.do("fetch", to="red")] == sorted([a.sid, b.sid])
        assert [info["sid"] for info in c.do("fetch", to=[c.sid, "red"])] == sorted(
            [a.sid, b.sid, c.sid]
        )
        assert c.do("fetch", to="nobody-here") == []
        assert c.do("fetch", namespace="/other") == []


def test_the_fetched_sockets_act(server):
    with members(server.url, server.url, server.url) as (a, b, c):
        assert a.do("enter", room="blue", to=[b.sid, c.sid]) == "ok"
        assert a.do("fetch_act", to="blue", action="emit", event="hello", data="hi") == sorted(
            [b.sid, c.sid]
        )
        assert b.record.wait_for("hello") == ("hi",)
        assert c.record.wait_for("hello") == ("hi",)
        assert a.got("hello") == []
        assert a.do("fetch_act", to=b.sid, action="enter_room", room="green") == [b.sid]
        assert b.do("rooms") == sorted([b.sid, "blue", "green"])
        assert a.do("fetch_act", to="green", action="leave_room", room="blue") == [b.sid]
        assert b.do("rooms") == sorted([b.sid, "green"])
        assert a.do("fetch_act", to="green", action="disconnect") == [b.sid]
        b.record.wait_for("disconnect", timeout=5 * UNIT)
        assert [info["sid"] for info in a.do("fetch")] == sorted([a.sid, c.sid])


def test_sockets_enter_leave_and_disconnect(server):
    with members(server.url, server.url, server.url) as (a, b, c):
        assert a.do("enter", room="all") == "ok"  # to=None: everyone
        for member in (a, b, c):
            assert "all" in member.do("rooms")
        assert a.do("leave", room="all", to=c.sid) == "ok"
        assert [info["sid"] for info in a.do("fetch", to="all")] == sorted([a.sid, b.sid])
        assert c.do("disconnect", to="all") == "ok"
        a.record.wait_for("disconnect", timeout=5 * UNIT)
        b.record.wait_for("disconnect", timeout=5 * UNIT)
        assert c.do("sid") == c.sid  # c stays
        assert [info["sid"] for info in c.do("fetch")] == [c.sid]


def test_broadcast_call_gathers_every_reply(server):
    with members(server.url, server.url, answer="yes") as (a, b):
        replies = a.do("bcall", data={"q": 1})
        expected = {"answer": "yes", "args": [{"q": 1}]}
        assert replies == {a.sid: expected, b.sid: expected}
        assert a.do("bcall", to=b.sid) == {b.sid: {"answer": "yes", "args": []}}
        assert a.do("bcall", skip_sid=a.sid) == {b.sid: {"answer": "yes", "args": []}}
        assert a.do("bcall", to="empty-room") == {}


def test_broadcast_call_times_out_with_the_replies_that_came(server):
    with members(server.url, answer="yes") as (a,):
        silent = Silent(server.url)
        try:
            result = a.do("bcall", timeout=1 * UNIT, wait=20 * UNIT)
            assert result == {
                "error": "TimeoutError",
                "replies": {a.sid: {"answer": "yes", "args": []}},
            }
        finally:
            silent.release.set()
            silent.close()


def test_broadcast_call_leaves_out_a_client_that_disconnects(server):
    with members(server.url, answer="yes") as (a,):
        leaving = Silent(server.url, leave=True)
        try:
            # a timeout far longer than the test's: the departure must end the wait
            result = a.do("bcall", timeout=300, wait=20 * UNIT)
            assert result == {a.sid: {"answer": "yes", "args": []}}
            assert leaving.record.wait_for("ask") == ()
        finally:
            leaving.release.set()
            leaving.close()


def test_server_side_events_reach_no_other_node(server):
    with members(server.url) as (a,):
        assert a.do("server_emit", event="news", data="x") == "ok"
        assert a.do("server_call", event="whoami", data="x", timeout=5) == []
        assert a.do("heard") == []  # not this node's own handlers
        assert a.do("nodes") == 0
