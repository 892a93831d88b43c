"""The servers' API on a real server on 127.0.0.1, python-socketio's client as the peer: ``Server``
under gevent's pywsgi and ``AsyncServer`` under uvicorn, each over WebSocket and long-polling."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
import socketio

import greensio
from tests.support.peers import STEP, Peer
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(40 * UNIT)

EVENTS = ("room_message", "background_done", "message", "blob")


#: Each front-end with its app (one source: tests/apps/async_server_api.py and its generated twin)
#: and web server.
FRONT_ENDS = {
    "Server": ("tests.apps.server_api:build", "pywsgi"),
    "AsyncServer": ("tests.apps.async_server_api:build", "uvicorn"),
}


@pytest.fixture(
    scope="module",
    params=[(f, t) for f in FRONT_ENDS for t in ("websocket", "polling")],
    ids=lambda p: "-".join(p),
)
def api_server(request):
    front_end, transport = request.param
    app, web_server = FRONT_ENDS[front_end]
    server = python_server(app, server=web_server, ping_interval=2).start()
    server.transports = [transport]
    yield server
    server.stop()


@pytest.fixture
def connect(api_server):
    made: list[Peer] = []

    def make(auth=None, namespaces=None, answers=None, transports=None) -> Peer:
        peer = Peer(EVENTS)
        for event, answer in (answers or {}).items():
            peer.sio.on(event, answer)
        peer.connect(
            api_server.url, namespaces or ["/"], transports or api_server.transports, auth=auth
        )
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.close()


def _too_late(*args):
    """A client handler that answers, but only after every server timeout in this module."""
    time.sleep(STEP)


def call(peer: Peer, event: str, *args, namespace: str = "/"):
    return peer.sio.call(
        event, args if len(args) != 1 else args[0], namespace=namespace, timeout=STEP * 2
    )


# --- call() ---------------------------------------------------------------------------------------
def test_call_blocks_the_handler_until_the_same_client_answers(connect):
    peer = connect(answers={"question": lambda data: ["pong", data]})
    assert call(peer, "call_me_back", {"n": 1}) == ["answer", ["pong", {"n": 1}]]


def test_call_returns_several_ack_values_as_a_tuple(connect):
    peer = connect(answers={"question": lambda data: (1, "two")})
    assert call(peer, "call_me_back", "x") == ["answer", [1, "two"]]


def test_call_times_out(connect):
    peer = connect(answers={"unanswered": _too_late})
    outcome, elapsed = call(peer, "call_timeout", 0.3 * UNIT)
    assert outcome == "timeout"
    assert 0.25 * UNIT <= elapsed < STEP


def test_call_fails_fast_when_the_client_leaves(connect):
    # Over WebSocket whatever the module's transport: python-engineio's polling client can lose
    # its own CLOSE packet, and then only the heartbeat tells the server it left.
    peer = connect(answers={"leave_now": lambda: None}, transports=["websocket"])
    watcher = connect()
    leaving = peer.sio

    def leave():
        leaving.start_background_task(leaving.disconnect)

    leaving.on("leave_now", leave)
    leaving.emit("call_in_background", 30)
    deadline = time.monotonic() + STEP * 2
    calls = []
    while time.monotonic() < deadline and not calls:
        calls = call(watcher, "calls")
        time.sleep(0.05)
    assert calls, "the background call never ended"
    outcome, elapsed = calls[-1]
    assert outcome == "disconnected"
    assert elapsed < STEP  # not the 30 s timeout


def test_broadcast_call_to_a_room_returns_each_reply(connect):
    first = connect(auth={"room": "pollsters"}, answers={"question": lambda data: "first"})
    second = connect(auth={"room": "pollsters"}, answers={"question": lambda data: "second"})
    silent = connect(auth={"room": "pollsters"}, answers={"question": _too_late})
    outsider = connect(answers={"question": lambda data: "outsider"})

    replies = call(outsider, "call_room", "pollsters")
    assert replies == {first.sio.get_sid(): "first", second.sio.get_sid(): "second"}
    assert silent.sio.get_sid() not in replies


# --- emit() with callbacks ------------------------------------------------------------------------
def test_emit_callback_gets_the_ack(connect):
    peer = connect(answers={"question": lambda data: ["ok", data]})
    before = len(call(peer, "callbacks"))
    call(peer, "emit_with_callback")
    deadline = time.monotonic() + STEP
    while time.monotonic() < deadline and len(call(peer, "callbacks")) == before:
        time.sleep(0.05)
    # One ack argument (the client's list), as callback(*args) received it.
    assert call(peer, "callbacks")[before:] == [[["ok", "cb"]]]


def test_emit_callback_reports_a_timeout(connect):
    peer = connect(answers={"unanswered": _too_late})
    before = len(call(peer, "callbacks"))
    call(peer, "emit_with_timeout", 0.2 * UNIT)
    deadline = time.monotonic() + STEP
    while time.monotonic() < deadline and len(call(peer, "callbacks")) == before:
        time.sleep(0.05)
    assert call(peer, "callbacks")[before:] == [["TimeoutError"]]


# --- rooms ----------------------------------------------------------------------------------------
def test_rooms_enter_leave_close(connect):
    alice, bob, carol = connect(), connect(), connect()
    alice_sid, bob_sid = alice.sio.get_sid(), bob.sio.get_sid()
    for peer in (alice, bob):
        call(peer, "join", "blue")
    call(carol, "join", "green")

    assert call(alice, "my_rooms") == sorted([alice_sid, "blue"])
    call(carol, "to_room", "blue", "to blue", None)
    assert alice.record.wait_for("room_message") == ("to blue",)
    assert bob.record.wait_for("room_message") == ("to blue",)
    call(carol, "to_room", "blue", "skip both", [alice_sid, bob_sid])
    call(carol, "to_rooms", ["blue", "green"], "to both rooms")
    assert carol.record.wait_for("room_message") == ("to both rooms",)
    assert alice.record.wait_for("room_message", count=2) == ("to both rooms",)
    bob.record.wait_for("room_message", count=2)
    # python-socketio's client runs each handler on its own thread: compare without order.
    assert sorted(bob.record.all("room_message")) == [("to blue",), ("to both rooms",)]

    call(bob, "leave", "blue")
    assert call(bob, "my_rooms") == [bob_sid]
    call(alice, "close", "blue")
    assert call(alice, "my_rooms") == [alice_sid]
    call(carol, "to_room", "blue", "nobody", None)
    call(carol, "to_room", alice_sid, "a sid is a room", None)
    assert alice.record.wait_for("room_message", count=3) == ("a sid is a room",)
    assert ("nobody",) not in alice.record.all("room_message") + bob.record.all("room_message")


# --- sessions, environ, transport -----------------------------------------------------------------
def test_sessions_are_per_client_and_survive_between_events(connect):
    alice, bob = connect(), connect()
    call(alice, "save", "a-value")
    call(bob, "save", "b-value")
    assert call(alice, "load") == "a-value"
    assert call(bob, "load") == "b-value"
    assert [call(alice, "bump") for _ in range(3)] == [1, 2, 3]


def test_transport_and_environ(connect, api_server):
    peer = connect()
    assert call(peer, "whoami") == {"transport": api_server.transports[0], "path": "/socket.io/"}


# --- disconnects ----------------------------------------------------------------------------------
def test_server_side_disconnect_runs_the_handler_with_its_reason(connect):
    peer, watcher = connect(), connect()
    sid = peer.sio.get_sid()
    peer.sio.emit("kick")
    assert peer.record.wait_for("disconnect")
    assert [sid, "server disconnect"] in call(watcher, "disconnects")


def test_disconnect_handler_still_sees_the_session_and_rooms(connect):
    peer, watcher = connect(), connect()
    sid = peer.sio.get_sid()
    call(peer, "save", "kept")
    call(peer, "join", "lounge")
    peer.sio.emit("kick")
    assert peer.record.wait_for("disconnect")
    deadline = time.monotonic() + STEP
    seen = None
    while time.monotonic() < deadline and seen is None:
        seen = call(watcher, "seen_on_disconnect", sid)
        time.sleep(0.05)
    assert seen == {"session": "kept", "rooms": sorted([sid, "lounge"])}


def test_disconnect_handler_sees_the_session_when_the_client_leaves(connect):
    # The whole connection ends (not just a namespace): the handler still reads the session.
    peer, watcher = connect(transports=["websocket"]), connect()
    sid = peer.sio.get_sid()
    call(peer, "save", "still here")
    peer.sio.disconnect()
    deadline = time.monotonic() + STEP
    seen = None
    while time.monotonic() < deadline and seen is None:
        seen = call(watcher, "seen_on_disconnect", sid)
        time.sleep(0.05)
    assert seen == {"session": "still here", "rooms": [sid]}


def _disconnect_reasons(watcher: Peer, sio_sid: str) -> list[str]:
    """The reasons the server's disconnect handler saw for ``sio_sid``, once there is one."""
    deadline = time.monotonic() + STEP
    reasons: list[str] = []
    while time.monotonic() < deadline and not reasons:
        reasons = [r for s, r in call(watcher, "disconnects") if s == sio_sid]
        time.sleep(0.05)
    return reasons


def test_a_client_gone_while_its_connect_handler_runs_is_disconnected_after_it(connect, api_server):
    """The connection ends while the connect handler runs: once that handler returns, the
    disconnect handler runs too (the sid must not stay in the rooms for ever)."""
    watcher = connect()
    base = f"{api_server.url}/socket.io/?EIO=4&transport=polling"
    auth = json.dumps({"slow": 0.5, "tag": "gone-while-connecting"})
    with requests.Session() as http:
        sid = json.loads(http.get(base, timeout=STEP).text[1:])["sid"]
        assert http.post(f"{base}&sid={sid}", data="40" + auth, timeout=STEP).text == "ok"
        deadline = time.monotonic() + STEP
        sio_sid = None
        while time.monotonic() < deadline and sio_sid is None:
            sio_sid = call(watcher, "slow_sid", "gone-while-connecting")
        assert sio_sid is not None
        assert http.post(f"{base}&sid={sid}", data="1", timeout=STEP).text == "ok"
    assert _disconnect_reasons(watcher, sio_sid) == ["client disconnect"]


def test_call_to_a_client_that_is_gone_fails_at_once(connect):
    watcher = connect()
    outcome, elapsed = call(watcher, "call_gone", "no-such-sid")
    assert outcome == "disconnected"
    assert elapsed < 1


def test_client_disconnect_reason(connect, api_server):
    """A client's DISCONNECT + CLOSE give 'client disconnect' (sent raw: python-engineio's polling
    client sometimes loses its own CLOSE packet)."""
    watcher = connect()
    base = f"{api_server.url}/socket.io/?EIO=4&transport=polling"
    with requests.Session() as http:
        sid = json.loads(http.get(base, timeout=STEP).text[1:])["sid"]
        assert http.post(f"{base}&sid={sid}", data="40", timeout=STEP).text == "ok"
        connected = http.get(f"{base}&sid={sid}", timeout=STEP).text
        sio_sid = json.loads(connected[2:].split("\x1e")[0])["sid"]
        assert http.post(f"{base}&sid={sid}", data="41\x1e1", timeout=STEP).text == "ok"
    assert _disconnect_reasons(watcher, sio_sid) == ["client disconnect"]


# --- handlers -------------------------------------------------------------------------------------
def test_catch_all_event_handler(connect):
    peer = connect()
    assert call(peer, "never_declared", 1, "a") == ["caught", "never_declared", [1, "a"]]


def test_catch_all_namespace(connect):
    peer = connect(namespaces=["/", "/elsewhere"])
    assert call(peer, "where", namespace="/elsewhere") == "/elsewhere"
    assert call(peer, "whatever", namespace="/elsewhere") == ["anywhere", "whatever", "/elsewhere"]


def test_catch_all_namespace_connect_handler_can_refuse(connect, api_server):
    peer = Peer()
    with pytest.raises(socketio.exceptions.ConnectionError):
        peer.connect(api_server.url, ["/forbidden"], api_server.transports)
    peer.close()


def test_background_task_and_sleep(connect):
    peer = connect()
    peer.sio.emit("background", 0.1)
    assert peer.record.wait_for("background_done") == (0.1,)


def test_send_emits_message(connect):
    peer = connect()
    peer.sio.emit("send_me", {"hello": "world"})
    assert peer.record.wait_for("message") == ({"hello": "world"},)


# --- ordering and concurrency ---------------------------------------------------------------------
def test_one_clients_events_are_handled_in_order(connect):
    peer = connect()
    for i in range(40):
        peer.sio.emit("seq", i)
    deadline = time.monotonic() + STEP * 2
    seen = []
    while time.monotonic() < deadline and len(seen) < 40:
        seen = call(peer, "get_seq")
        time.sleep(0.05)
    assert seen == list(range(40))


def test_concurrent_binary_emits_from_many_greenlets_arrive_intact(connect):
    peer = connect()
    tasks, per_task, size = 10, 10, 3000
    peer.sio.emit("burst", (tasks, per_task, size))
    peer.record.wait_for("blob", timeout=STEP * 3, count=tasks * per_task)
    blobs = [args[0] for args in peer.record.all("blob")]
    assert len(blobs) == tasks * per_task
    assert sorted((b["t"], b["i"]) for b in blobs) == [
        (t, i) for t in range(tasks) for i in range(per_task)
    ]
    for blob in blobs:
        assert blob["data"] == bytes([blob["t"]]) * size
        assert blob["tail"] == b"\xff"


# --- what an unknown sid or namespace logs -------------------------------------------------------
MINE = "tests.server.mine"


@pytest.fixture
def quiet_server(caplog):
    """A Server with no client, logging to the application's own logger."""
    caplog.set_level(logging.DEBUG, logger=MINE)
    sio = greensio.Server(async_mode="threading", logger=logging.getLogger(MINE))
    yield sio
    sio.shutdown()


def warnings_of(caplog) -> list[tuple[str, str]]:
    return [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]


def test_emitting_to_an_unknown_namespace_warns(quiet_server, caplog):
    quiet_server.emit("news", {"n": 1})  # '/' always exists: nobody is there, nothing to say
    quiet_server.emit("news", {"n": 1}, namespace="/nowhere")
    assert warnings_of(caplog) == [(MINE, "emit 'news': no namespace /nowhere on this server")]


@pytest.mark.parametrize(
    "action, call",
    [
        ("enter_room", lambda sio: sio.enter_room("ghost", "room", namespace="/chat")),
        ("leave_room", lambda sio: sio.leave_room("ghost", "room", namespace="/chat")),
        ("disconnect", lambda sio: sio.disconnect("ghost", namespace="/chat")),
    ],
)
def test_an_unknown_sid_warns(quiet_server, caplog, action, call):
    call(quiet_server)
    assert warnings_of(caplog) == [(MINE, f"{action}: ghost is not connected to namespace /chat")]
    assert all(r.levelname == "WARNING" for r in caplog.records if r.name == MINE)


@pytest.mark.parametrize("action", ["get_session", "save_session"])
def test_an_unknown_sids_session_warns_and_raises(quiet_server, caplog, action):
    with pytest.raises(greensio.exceptions.BadNamespaceError):
        if action == "get_session":
            quiet_server.get_session("ghost")
        else:
            quiet_server.save_session("ghost", {})
    assert warnings_of(caplog) == [(MINE, f"{action}: ghost is not connected to namespace /")]
