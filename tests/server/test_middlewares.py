"""``sio.use``, ``on_any``, ``on_any_outgoing``, ``except_rooms`` and strict emit keywords.

The official JS client (``tests/interop/js/middleware_client.js``) and python-socketio's client
against ``tests/apps/middlewares.py`` (``Server``, pywsgi) and its asyncio source
(``AsyncServer``, uvicorn) on 127.0.0.1; the keyword checks on a server of this process.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import os
import subprocess

import pytest
import socketio

import greensio
from tests.support.node import JS_DIR, node_with_packages
from tests.support.peers import STEP, Peer
from tests.support.servers import UNIT, ServerProcess, python_server

pytestmark = pytest.mark.timeout(40 * UNIT)

_tags = itertools.count()


#: Each front-end with its app (one source, tests/apps/async_middlewares.py, and its generated
#: twin) and web server.
FRONT_ENDS = {
    "Server": ("tests.apps.middlewares:build", "pywsgi"),
    "AsyncServer": ("tests.apps.async_middlewares:build", "uvicorn"),
}


@pytest.fixture(scope="module", params=list(FRONT_ENDS))
def front_end(request) -> tuple[str, str]:
    return FRONT_ENDS[request.param]


@pytest.fixture(scope="module")
def server(front_end):
    app, web_server = front_end
    server = python_server(app, server=web_server, ping_interval=2).start()
    yield server
    server.stop()


@pytest.fixture(params=[["polling"], ["websocket"]], ids=["polling", "websocket"])
def transports(request) -> list[str]:
    return request.param


def run_js(server: ServerProcess, scenario: str, transports: list[str]) -> dict:
    """Run one middleware_client.js scenario; its observations."""
    node = node_with_packages("socket.io-client")
    tag = f"{os.getpid()}-{next(_tags)}"
    argv = [node, str(JS_DIR / "middleware_client.js"), server.url, scenario]
    argv += [json.dumps(transports), tag]
    env = dict(os.environ, GREENSIO_TEST_UNIT=str(UNIT))
    done = subprocess.run(
        argv, cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=15 * UNIT
    )
    lines = done.stdout.strip().splitlines()
    observed = json.loads(lines[-1]) if lines else {"error": "no output", "stderr": done.stderr}
    assert done.returncode == 0 and "error" not in observed, (observed, done.stderr, server.log)
    return observed


@pytest.fixture
def connect(server):
    made: list[Peer] = []

    def make(namespaces=None, auth=None) -> Peer:
        peer = Peer(("echoed",), namespaces=namespaces or ["/"])
        made.append(peer)
        return peer.connect(server.url, namespaces or ["/"], ["websocket"], auth=auth)

    yield make
    for peer in made:
        peer.close()


# --- middlewares ----------------------------------------------------------------------------------
def test_a_refusing_middleware_gives_the_js_client_its_message_and_data(server, transports):
    seen = run_js(server, "refuse", transports)

    assert seen["refused"] == {"message": "not allowed", "data": {"code": 4, "why": "banned"}}
    assert seen["crashed"] == {"message": "Connection rejected by server", "data": None}
    # Registration order; a refusal stops the later middlewares and the connect handler.
    assert seen["order"] == {"r": ["first"], "c": ["first"], "ok": ["first", "second", "connect"]}
    assert server.wait_for_log("RuntimeError: this middleware crashed")
    assert "middleware" in server.log


def gate_refusal(server: ServerProcess) -> tuple:
    """What python-socketio's client saw when it tried '/gated': the connect_error's args."""
    peer = Peer(namespaces=["/gated"])
    try:
        with pytest.raises(socketio.exceptions.ConnectionError, match="/gated"):
            peer.connect(server.url, ["/gated"], ["websocket"])
        return peer.record.wait_for("/gated:connect_error")
    finally:
        peer.close()


def test_remove_middleware_lets_connections_through(connect, server):
    peer = connect()
    assert gate_refusal(server) == ({"message": "gate closed"},)
    peer.sio.call("open_gate", timeout=STEP)
    try:
        gated = connect(namespaces=["/gated"])
        assert gated.sio.get_sid("/gated")
    finally:
        peer.sio.call("close_gate", timeout=STEP)
    assert gate_refusal(server) == ({"message": "gate closed"},)


def test_with_always_connect_a_refusing_middleware_still_sends_connect_error(front_end):
    app, web_server = front_end
    server = python_server(app, server=web_server, always_connect=True).start()
    try:
        assert gate_refusal(server) == ({"message": "gate closed"},)
        peer = Peer().connect(server.url, ["/"], ["websocket"])
        assert peer.sio.call("order", "?", timeout=STEP) == ["first", "second", "connect"]
        peer.close()
    finally:
        server.stop()


# --- catch-all listeners --------------------------------------------------------------------------
def test_on_any_and_on_any_outgoing_see_every_event(server, transports):
    seen = run_js(server, "any", transports)

    assert seen["hello"] == [["hi", 1, "two"]]
    assert seen["answer"] == "re: hey" and seen["message"] == "hey"
    assert seen["incoming"] == [
        ["any", "hello", [1, "two"]],
        ["handler", "hello"],
        ["any", "nobody_handles", [{"x": 1}]],
        ["any", "send_me", ["hey"]],
        ["any", "report", ["incoming"]],
    ]
    assert seen["outgoing"] == [
        ["welcome", [{"sid": seen["sid"]}]],
        ["message", ["hey"]],
        ["question", ["hey"]],
    ]


def test_a_failing_listener_is_logged_and_the_handler_still_runs(connect, server):
    peer = connect()
    assert peer.sio.call("boom", timeout=STEP) == "still handled"
    assert server.wait_for_log("ValueError: this listener failed")


def test_off_any_and_off_any_outgoing(connect):
    peer = connect(namespaces=["/", "/quiet"])
    quiet = "/quiet"
    assert peer.sio.call("echo", 1, namespace=quiet, timeout=STEP) == 1
    peer.record.wait_for("/quiet:echoed")
    peer.sio.call("mute", timeout=STEP)
    try:
        assert peer.sio.call("echo", 2, namespace=quiet, timeout=STEP) == 2
        peer.record.wait_for("/quiet:echoed", count=2)
    finally:
        peer.sio.call("unmute", timeout=STEP)
    assert peer.sio.call("echo", 3, namespace=quiet, timeout=STEP) == 3
    peer.record.wait_for("/quiet:echoed", count=3)
    incoming = peer.sio.call("report", "incoming", namespace=quiet, timeout=STEP)
    outgoing = peer.sio.call("report", "outgoing", namespace=quiet, timeout=STEP)
    assert [args for _, event, args in incoming if event == "echo"] == [[1], [3]]
    assert outgoing == [["echoed", [1]], ["echoed", [3]]]


# --- except_rooms ---------------------------------------------------------------------------------
def test_except_rooms_leaves_their_members_out(server, transports):
    seen = run_js(server, "except", transports)

    assert seen["acked"] == [True]
    assert seen["seen"] == {"A": [["news", "extra!"]], "B": [], "C": []}
    assert [event for event, _ in seen["outgoing_b"]] == ["welcome", "done"]  # no "news"


# --- keyword arguments ----------------------------------------------------------------------------
@pytest.fixture(params=["Server", "AsyncServer"])
def sio(request):
    if request.param == "Server":
        server = greensio.Server(async_mode="threading")
        yield server
        server.shutdown()
    else:
        yield greensio.AsyncServer()


def settle(result):
    """What a call returned: run to its end first when it is a coroutine (``AsyncServer``)."""
    return asyncio.run(result) if inspect.iscoroutine(result) else result


def test_unknown_emit_keywords_raise_type_error(sio):
    settle(sio.emit("news", volatile=True))  # supported since (tests/server/test_recovery.py)
    with pytest.raises(TypeError, match="'except_room'"):
        settle(sio.emit("news", except_room="a"))
    with pytest.raises(TypeError, match="'brodcast'"):
        settle(sio.send("hi", brodcast=True))
    with pytest.raises(TypeError, match="volatile"):
        settle(sio.call("question", room="a", volatile=True))
    settle(sio.emit("news", ignore_queue=True, except_rooms=["a", "b"]))  # no one to send to
    assert settle(sio.call("question", room="a", except_rooms="b", timeout=0)) == {}


def test_except_rooms_goes_with_a_room_in_call(sio):
    with pytest.raises(greensio.exceptions.UsageError, match="except_rooms"):
        settle(sio.call("question", to="some-sid", except_rooms="b"))


def test_a_coroutine_function_on_the_greenlet_server_is_refused_naming_the_fix():
    sio = greensio.Server(async_mode="threading")

    async def handler(sid):
        return None

    for register in (sio.on("x"), sio.use, sio.on_any, sio.on_any_outgoing):
        with pytest.raises(greensio.exceptions.UsageError, match="AsyncServer"):
            register(handler)
    namespace = greensio.AsyncNamespace("/chat")
    with pytest.raises(greensio.exceptions.UsageError, match="AsyncServer"):
        sio.register_namespace(namespace)
    sio.shutdown()


def test_the_asyncio_server_takes_coroutine_and_plain_functions_alike():
    sio = greensio.AsyncServer()

    async def coroutine_handler(sid):
        return None

    def plain_handler(sid):
        return None

    for fn in (coroutine_handler, plain_handler):
        for register in (sio.on("x"), sio.use, sio.on_any, sio.on_any_outgoing):
            assert register(fn) is fn
    sio.register_namespace(greensio.AsyncNamespace("/a"))
    assert set(sio.registry.classes) == {"/a"}
    # A Namespace's methods do not wait for the server's coroutines: refused, naming the fix.
    with pytest.raises(greensio.exceptions.UsageError, match="subclass AsyncNamespace"):
        sio.register_namespace(greensio.Namespace("/b"))
