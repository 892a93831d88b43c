"""greensio.Client and greensio.AsyncClient against two real servers: greensio
(``tests.apps.client_peer``) and the Node reference server (the official ``socket.io`` package,
``tests/interop/js/reference_server.js``), which mirror each other event for event. Each
behaviour must look the same against both.

The client runs in this process: ``Client`` with async_mode='threading' (the test process is never
monkey-patched; ``test_under_gevent_monkey_patching`` runs it patched, in a child process), and
``AsyncClient`` on an event loop in a thread of its own (tests/client/loop_thread.py), both
through ``make_client`` (the ``front`` fixture). The tests whose handlers block are for
``Client``; their asyncio counterparts are in test_async_client.py.
Servers are child processes on 127.0.0.1, stopped (and restarted on their port) by PID.
"""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
import threading
import time

import pytest

import greensio
from greensio import exceptions
from tests.apps.interop import PRIVATE, SERVER_BLOB, TOKEN
from tests.support.client_servers import IMPLS, peer_server, same_port, wait_until
from tests.support.peers import Recorder
from tests.support.servers import ROOT, UNIT, python_server

pytestmark = pytest.mark.timeout(30 * UNIT)

STEP = 3 * UNIT
HEADER = "X-Greensio-Test"
CLIENT_BLOB = {"buf": b"\x00\x01\x02\xff", "nested": [b"xyz", {"deep": b"\x00"}], "empty": b""}
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}
#: Fast reconnection for the tests: 0.1 s, then 0.2 s, no jitter.
FAST_RECONNECT = {
    "reconnection": True,
    "reconnection_delay": 0.1 * UNIT,
    "reconnection_delay_max": 0.2 * UNIT,
    "randomization_factor": 0,
}


@pytest.fixture(scope="module", params=IMPLS)
def server(request):
    """The client-peer server: greensio's or Node's, shared by the module's tests."""
    proc = peer_server(request.param).start()
    yield proc
    proc.stop()


@pytest.fixture(params=list(TRANSPORTS))
def transports(request):
    return TRANSPORTS[request.param]


def _factory(new_client):
    made: list[greensio.Client] = []

    def make(**options) -> greensio.Client:
        settings = {"reconnection": False, "handle_sigint": False, "request_timeout": 5 * UNIT}
        settings.update(options)
        client = new_client(**settings)
        made.append(client)
        return client

    return make, made


@pytest.fixture
def make_client(new_client):
    """``make(**options)``: a ``Client`` or an ``AsyncClient`` (``front``), no reconnection unless
    asked."""
    make, made = _factory(new_client)
    yield make
    for client in made:
        client.disconnect()


@pytest.fixture
def make_greenlet_client():
    """``make_client`` for ``Client`` only: for the tests whose handlers block."""

    def new_client(**options):
        return greensio.Client(async_mode="threading", **options)

    make, made = _factory(new_client)
    yield make
    for client in made:
        client.disconnect()


def listen(client: greensio.Client, *events: str, namespace: str = "/") -> Recorder:
    """Record ``events`` (and connect, disconnect, connect_error) on ``namespace``."""
    record = Recorder()
    for event in ("connect", "disconnect", "connect_error", *events):
        client.on(event, record.handler(event), namespace=namespace)
    return record


def final_transport(client: greensio.Client, transports) -> str:
    """The transport once settled: after an upgrade, 'websocket'."""
    if transports is None:
        wait_until(lambda: client.transport() == "websocket")
        return "websocket"
    return client.transport()


# --- connecting -----------------------------------------------------------------------------------
def test_connect_with_auth_and_headers(server, make_client, transports) -> None:
    client = make_client()
    record = listen(client, "welcome")
    client.connect(
        server.url, headers={HEADER: "hello"}, auth={"user": "ada"}, transports=transports
    )
    # connect() returns after the connect handler ran, as python-socketio's does
    assert record.all("connect") == [()]
    assert client.connected
    assert client.sid and client.get_sid() == client.get_sid("/") == client.sid
    assert client.namespaces == {"/": client.sid}
    assert record.wait_for("welcome") == ({"sid": client.sid, "auth": {"user": "ada"}},)
    assert client.call("headers", HEADER, timeout=STEP) == "hello"
    assert client.call("headers", "X-Not-Sent", timeout=STEP) is None
    assert final_transport(client, transports) == (transports or ["websocket"])[0]


def test_two_namespaces(server, make_client, transports) -> None:
    client = make_client()
    root = listen(client, "welcome", "echo_event")
    private = listen(client, "welcome", "echo_event", namespace=PRIVATE)
    client.connect(server.url, auth=TOKEN, namespaces=["/", PRIVATE], transports=transports)
    assert set(client.namespaces) == {"/", PRIVATE}
    client.namespaces.clear()  # a copy: the connection's state is the core's
    assert set(client.namespaces) == {"/", PRIVATE}
    private_sid = client.get_sid(PRIVATE)
    assert private_sid and private_sid != client.sid
    assert private.wait_for("welcome") == ({"sid": private_sid, "auth": TOKEN},)
    assert root.wait_for("welcome") == ({"sid": client.sid, "auth": TOKEN},)
    assert client.call("echo", (1, "a"), namespace=PRIVATE, timeout=STEP) == (1, "a")
    client.emit("echo_event", {"to": "private"}, namespace=PRIVATE)
    assert private.wait_for("echo_event") == ({"to": "private"},)
    assert root.all("echo_event") == []
    # the server sends us away from one namespace: the other stays
    client.emit("kick", namespace=PRIVATE)
    assert private.wait_for("disconnect") == ("server disconnect",)
    assert client.get_sid(PRIVATE) is None
    assert client.connected and client.call("echo", "still", timeout=STEP) == "still"
    assert root.all("disconnect") == []
    final_transport(client, transports)


def test_refused_connect(server, make_client) -> None:
    client = make_client()
    record = listen(client)
    with pytest.raises(exceptions.ConnectionError, match="refused"):
        client.connect(server.url, auth={"refuse": True}, transports=["websocket"])
    # the handler ran before connect() raised
    assert record.all("connect_error") == [({"message": "refused", "data": {"reason": "bad"}},)]
    assert not client.connected and client.eio.state == "disconnected"
    assert record.all("connect") == []
    # the same client may try again
    client.connect(server.url, auth={"user": "ok"}, transports=["websocket"])
    assert client.connected


def test_refused_namespace(server, make_client) -> None:
    # Refused while the upgrade to WebSocket is under way: connect() must close the connection
    # and raise at once, not wait out request_timeout for the abandoned upgrade.
    client = make_client()
    record = listen(client, namespace=PRIVATE)
    for attempt in (1, 2, 3):
        start = time.monotonic()
        with pytest.raises(exceptions.ConnectionError, match="unauthorized"):
            client.connect(server.url, auth={"token": "wrong"}, namespaces=[PRIVATE])
        assert time.monotonic() - start < 1 * UNIT
        assert len(record.all("connect_error")) == attempt
        assert client.eio.state == "disconnected"
    assert record.all("connect_error")[0] == ({"message": "unauthorized"},)


def test_some_namespaces_refused(server, make_client) -> None:
    # greensio keeps the namespaces that were accepted (python-socketio would disconnect and
    # raise): connect() raises only when no namespace could be joined.
    client = make_client()
    record = listen(client, namespace=PRIVATE)
    client.connect(server.url, namespaces=["/", PRIVATE], transports=["websocket"])
    assert list(client.namespaces) == ["/"]
    assert record.all("connect_error") == [({"message": "unauthorized"},)]


def test_namespaces_default_to_those_with_handlers(server, make_client) -> None:
    client = make_client()
    record = listen(client, "welcome", namespace=PRIVATE)
    client.connect(server.url, auth=TOKEN, transports=["websocket"])
    assert list(client.namespaces) == [PRIVATE]
    assert client.connection_namespaces == [PRIVATE]
    record.wait_for("welcome")


def test_connect_without_waiting_buffers_early_emits(server, make_client) -> None:
    client = make_client()
    record = listen(client, "echo_event")
    client.connect(server.url, transports=["polling"], wait=False)
    client.emit("echo_event", "sent before the namespace was joined")
    assert record.wait_for("echo_event") == ("sent before the namespace was joined",)


def test_an_unreachable_server(make_client) -> None:
    client = make_client()
    record = listen(client)
    with pytest.raises(exceptions.ConnectionError):
        client.connect("http://127.0.0.1:1", transports=["websocket"])
    [(error,)] = record.all("connect_error")
    assert "127.0.0.1:1" in error["message"]


def test_misuse(server, make_client) -> None:
    with pytest.raises(exceptions.UsageError):
        make_client(serializer="pickle")
    client = make_client()
    with pytest.raises(exceptions.UsageError):
        client.register_namespace(object())  # type: ignore[arg-type]
    with pytest.raises(exceptions.BadNamespaceError):
        client.emit("echo", "never connected")
    with pytest.raises(exceptions.BadNamespaceError):
        client.call("echo", "never connected")
    client.connect(server.url, transports=["websocket"])
    with pytest.raises(exceptions.ConnectionError, match="already connected"):
        client.connect(server.url)
    with pytest.raises(exceptions.BadNamespaceError):
        client.emit("echo", namespace="/not-joined")


def test_transports_as_a_string_and_auth_checked_up_front(server, make_client) -> None:
    client = make_client()
    with pytest.raises(exceptions.UsageError, match="auth"):
        client.connect(server.url, auth="not a dict")
    client.connect(server.url, transports="websocket")  # python-engineio takes a string too
    assert client.transport() == "websocket"


def test_wait_returns_when_an_auth_callable_fails(server, make_client) -> None:
    client = make_client()

    def broken_auth():
        raise RuntimeError("no token today")

    with pytest.raises(RuntimeError):
        client.connect(server.url, auth=broken_auth, transports=["websocket"])
    waiter = threading.Thread(target=client.wait)
    waiter.start()
    waiter.join(STEP)
    assert not waiter.is_alive()


def test_emits_to_a_namespace_not_being_joined_are_refused(server, make_client) -> None:
    client = make_client()
    client.connect(server.url, transports=["websocket"], wait=False)
    with pytest.raises(exceptions.BadNamespaceError):
        client.emit("echo", "never joined", namespace="/elsewhere")
    wait_until(lambda: client.connected)


# --- events and acks ------------------------------------------------------------------------------
def test_events_and_acks_both_ways(server, make_client, transports) -> None:
    client = make_client()
    record = listen(client, "multi", "answer")
    answers = iter([["answer to", "q1"], ("two", 2), None])
    client.on("question", lambda data: next(answers))
    client.connect(server.url, transports=transports)
    # client -> server, with acks
    assert client.call("echo", "one", timeout=STEP) == "one"
    assert client.call("echo", (1, "two", {"three": 3}), timeout=STEP) == (1, "two", {"three": 3})
    assert client.call("echo", timeout=STEP) is None
    acked = Recorder()
    client.emit("echo", ("a", [1, 2]), callback=acked.handler("ack"))
    assert acked.wait_for("ack") == ("a", [1, 2])
    client.send("no handler for 'message' on the server, and that is fine")
    # server -> client: an event with several arguments
    client.emit("multi")
    assert record.wait_for("multi") == (1, "two", {"three": 3})
    # server -> client with an ack: the handler's return value is the answer
    for n in (1, 2, 3):
        client.emit("ask_client", f"q{n}")
    assert record.wait_for("answer", count=3) == ([],)
    assert record.all("answer") == [([["answer to", "q1"]],), (["two", 2],), ([],)]
    final_transport(client, transports)


def test_binary_both_ways(server, make_client, transports) -> None:
    client = make_client()
    record = listen(client, "answer")
    client.on("question", lambda data: {"got": data, "mine": b"\xfe\x00"})
    client.connect(server.url, transports=transports)
    assert client.call("binary", CLIENT_BLOB, timeout=STEP) == (SERVER_BLOB, CLIENT_BLOB)
    client.emit("ask_client", CLIENT_BLOB)
    assert record.wait_for("answer") == ([{"got": CLIENT_BLOB, "mine": b"\xfe\x00"}],)
    final_transport(client, transports)


def test_call_timeout(server, make_client) -> None:
    client = make_client()
    client.connect(server.url, transports=["websocket"])
    start = time.monotonic()
    with pytest.raises(exceptions.TimeoutError) as caught:
        client.call("never_acked", timeout=0.3 * UNIT)
    assert isinstance(caught.value, builtins.TimeoutError)
    assert 0.25 * UNIT < time.monotonic() - start < 1.5 * UNIT
    assert client.call("echo", "still connected", timeout=STEP) == "still connected"


def test_emit_callback_timeout(server, make_client) -> None:
    client = make_client()
    client.connect(server.url, transports=["polling"])
    record = Recorder()
    client.emit("never_acked", callback=record.handler("late"), timeout=0.3 * UNIT)
    client.emit("echo", "in time", callback=record.handler("on time"), timeout=STEP)
    [error] = record.wait_for("late")
    assert isinstance(error, exceptions.TimeoutError)
    assert record.wait_for("on time") == ("in time",)
    time.sleep(0.1 * UNIT)
    assert len(record.all("on time")) == 1  # no error after the answer


def test_catch_all_handlers(server, make_client) -> None:
    client = make_client()
    record = Recorder()
    # the catch-all gets (event, *args); its return value is the ack
    client.on("*", record.handler("*", result="from the catch-all"))
    client.on("echo_event", record.handler("echo_event"))  # a specific handler wins
    client.on("answer", record.handler("answer"))
    client.connect(server.url, transports=["websocket"])
    assert record.wait_for("*")[0] == "welcome"
    client.emit("multi")
    assert record.wait_for("*", count=2) == ("multi", 1, "two", {"three": 3})
    client.emit("echo_event", "x")
    assert record.wait_for("echo_event") == ("x",)
    client.emit("ask_client", "q")  # 'question' has no handler but the catch-all
    assert record.wait_for("answer") == (["from the catch-all"],)
    # connect and disconnect never go to a catch-all
    client.disconnect()
    assert [args[0] for args in record.all("*")] == ["welcome", "multi", "question"]


def test_catch_all_namespace(server, make_client) -> None:
    client = make_client()
    record = Recorder()
    client.on("welcome", record.handler("welcome"), namespace="*")
    client.on("*", record.handler("*"), namespace="*")
    client.on("connect", record.handler("connect"), namespace="*")
    client.connect(server.url, auth=TOKEN, namespaces=[PRIVATE], transports=["websocket"])
    assert record.all("connect") == [(PRIVATE,)]
    [(namespace, welcome)] = [record.wait_for("welcome")]
    assert namespace == PRIVATE and welcome["sid"] == client.get_sid(PRIVATE)
    client.emit("echo_event", [1], namespace=PRIVATE)
    assert record.wait_for("*") == ("echo_event", PRIVATE, [1])


def test_handler_errors_are_logged_not_fatal(server, make_client, caplog) -> None:
    client = make_client()
    record = listen(client, "echo_event")

    def broken(*args):
        raise RuntimeError("handler bug")

    client.on("multi", broken)
    client.connect(server.url, transports=["websocket"])
    client.emit("multi")
    client.emit("echo_event", "after the failure")
    assert record.wait_for("echo_event") == ("after the failure",)
    assert client.connected
    assert "handler bug" in caplog.text


def test_msgpack(new_client) -> None:
    for impl in IMPLS:
        server = peer_server(impl, serializer="msgpack").start()
        client = new_client(reconnection=False, handle_sigint=False, serializer="msgpack")
        try:
            record = listen(client, "welcome", "answer")
            client.on("question", lambda data: {"echo": data})
            client.connect(server.url, auth={"user": "mp"})
            assert record.wait_for("welcome") == ({"sid": client.sid, "auth": {"user": "mp"}},)
            assert client.call("binary", CLIENT_BLOB, timeout=STEP) == (SERVER_BLOB, CLIENT_BLOB)
            client.emit("ask_client", b"\x01")
            assert record.wait_for("answer") == ([{"echo": b"\x01"}],)
            wait_until(lambda c=client: c.transport() == "websocket")
        finally:
            client.disconnect()
            server.stop()


# --- ending ---------------------------------------------------------------------------------------
def test_client_disconnect(server, make_client, transports) -> None:
    client = make_client(**FAST_RECONNECT)
    record = listen(client)
    client.connect(server.url, transports=transports)
    client.disconnect()
    # the handler has run when disconnect() returns, as with python-socketio
    assert record.all("disconnect") == [("client disconnect",)]
    assert not client.connected and client.sid is None and client.namespaces == {}
    client.wait()
    with pytest.raises(exceptions.BadNamespaceError):
        client.emit("echo", "after")  # not buffered: nothing will reconnect
    time.sleep(0.3 * UNIT)
    assert len(record.all("connect")) == 1
    client.disconnect()  # again: nothing to do


def test_disconnect_and_wait_return_after_the_disconnect_handler(
    server, make_greenlet_client
) -> None:
    # As python-socketio's, which runs it before returning: a script that ends right after
    # (Ctrl+C, handle_sigint) still sees its on_disconnect run. And a handler may disconnect.
    client = make_greenlet_client()
    ran = []

    def slow_disconnect_handler(reason):
        time.sleep(0.2 * UNIT)
        client.disconnect()  # from the handler: must not wait for itself
        ran.append(reason)

    client.on("disconnect", slow_disconnect_handler)
    client.connect(server.url, transports=["websocket"])
    client.disconnect()  # had the handler waited on itself, this would time out before it ran
    assert ran == ["client disconnect"]
    client.wait()


def test_server_disconnect(server, make_client, transports) -> None:
    client = make_client(**FAST_RECONNECT)
    record = listen(client)
    client.connect(server.url, transports=transports)
    client.emit("disconnect_me")
    assert record.wait_for("disconnect") == ("server disconnect",)
    waiter = threading.Thread(target=client.wait)
    waiter.start()
    waiter.join(STEP)
    assert not waiter.is_alive()  # no reconnection after the server sent us away
    time.sleep(0.3 * UNIT)
    assert len(record.all("connect")) == 1 and not client.connected


def test_emits_while_disconnecting_are_dropped_not_errors(server, make_greenlet_client) -> None:
    # A handler still running when disconnect() starts (Ctrl+C, say) may emit; that is no error.
    client = make_greenlet_client()
    client.connect(server.url, transports=["websocket"])
    started, dropped = threading.Event(), Recorder()

    @client.on("echo_event")
    def late(data):
        started.set()
        wait_until(lambda: not client.connected)  # disconnect() has left the namespace...
        # ...and waits for this handler, which emits meanwhile
        client.emit("echo", "too late", callback=dropped.handler("dropped"), timeout=STEP)

    client.emit("echo_event", "go")
    assert started.wait(STEP)
    client.disconnect()
    [error] = dropped.wait_for("dropped")
    assert isinstance(error, exceptions.DisconnectedError)
    with pytest.raises(exceptions.BadNamespaceError):
        client.emit("echo", "once disconnect() has returned, an emit raises")


def test_disconnect_from_a_handler_returns_at_once(server, make_greenlet_client) -> None:
    # disconnect() waits for the queued handlers, but not from a handler: it would wait for itself
    client = make_greenlet_client()
    took: list[float] = []

    @client.on("echo_event")
    def echoed(data):
        start = time.monotonic()
        client.disconnect()
        took.append(time.monotonic() - start)

    client.connect(server.url, transports=["websocket"])
    client.emit("echo_event", "disconnect, please")
    wait_until(lambda: took)
    assert took[0] < 1 * UNIT
    client.wait()


# --- reconnection ---------------------------------------------------------------------------------
# The backoff itself: tests/protocol/socketio/test_reconnect.py; the loop, connect(retry=True),
# wait() while reconnecting and disconnect() ending it, on a fake clock:
# tests/client/test_reconnect.py.
def test_reconnection_options_are_checked_up_front(new_client) -> None:
    for options in ({"randomization_factor": 2}, {"reconnection_delay": -1}):
        with pytest.raises(exceptions.UsageError):
            new_client(handle_sigint=False, **options)


@pytest.mark.parametrize("transport", ["polling", "websocket"])
@pytest.mark.parametrize("impl", IMPLS)
def test_reconnects_after_the_server_restarts(impl, transport, make_client) -> None:
    server = peer_server(impl).start()
    restarted = None
    calls = {"url": 0, "headers": 0, "auth": 0}

    def url():
        calls["url"] += 1
        return server.url

    def headers():
        calls["headers"] += 1
        return {HEADER: f"headers #{calls['headers']}"}

    def auth():
        calls["auth"] += 1
        return TOKEN

    try:
        client = make_client(**FAST_RECONNECT)
        root = listen(client, "welcome")
        private = listen(client, "welcome", namespace=PRIVATE)
        client.connect(
            url, headers=headers, auth=auth, namespaces=["/", PRIVATE], transports=[transport]
        )
        first_sid = client.sid
        assert client.call("headers", HEADER, timeout=STEP) == "headers #1"
        assert calls == {"url": 1, "headers": 1, "auth": 1}

        server.stop()
        assert root.wait_for("disconnect")[0] in ("transport close", "transport error")
        assert private.wait_for("disconnect")[0] in ("transport close", "transport error")
        assert not client.connected
        restarted = same_port(server).start()

        # every namespace is joined again, and 'connect' fires again on each
        root.wait_for("connect", count=2, timeout=STEP)
        private.wait_for("connect", count=2, timeout=STEP)
        wait_until(lambda: set(client.namespaces) == {"/", PRIVATE})
        assert client.sid != first_sid
        assert root.wait_for("welcome", count=2) == ({"sid": client.sid, "auth": TOKEN},)
        # url, headers and auth were evaluated again for the new connection
        assert calls["url"] >= 2 and calls["auth"] >= 2
        assert client.call("headers", HEADER, timeout=STEP) == f"headers #{calls['headers']}"
        assert calls["headers"] >= 2
    finally:
        server.stop()
        if restarted is not None:
            restarted.stop()


@pytest.mark.parametrize("impl", IMPLS)
def test_while_the_server_is_down(impl, make_client) -> None:
    server = peer_server(impl).start()
    restarted = None
    try:
        buffering = make_client(**FAST_RECONNECT)
        record = listen(buffering, "echo_event")

        @buffering.on("disconnect")
        def left(reason):
            record.add("disconnect", reason)
            buffering.emit("echo_event", "emitted by the disconnect handler")

        strict = make_client(**FAST_RECONNECT, buffer_offline=False)
        # one attempt, a second after the drop: time to emit into its buffer first
        giving_up = make_client(
            reconnection=True,
            reconnection_attempts=1,
            reconnection_delay=1 * UNIT,
            randomization_factor=0,
        )
        gave_up = listen(giving_up)
        for client in (buffering, strict, giving_up):
            client.connect(server.url, transports=["websocket"])

        # a blocked call() fails as soon as the connection drops, not when its timeout ends
        outcome: list[object] = []

        def blocked_call() -> None:
            try:
                buffering.call("never_acked", timeout=20 * UNIT)
            except exceptions.GreensioError as exc:
                outcome.append((exc, time.monotonic()))

        caller = threading.Thread(target=blocked_call)
        caller.start()
        time.sleep(0.1 * UNIT)
        killed_at = time.monotonic()
        server.stop()
        caller.join(STEP)
        [(error, failed_at)] = outcome
        assert isinstance(error, exceptions.DisconnectedError)
        assert failed_at - killed_at < 1 * UNIT

        # events emitted while reconnecting wait in a buffer; call() does not wait
        gave_up.wait_for("disconnect")
        dropped = Recorder()
        giving_up.emit("echo", "never sent", callback=dropped.handler("dropped"), timeout=STEP)
        record.wait_for("disconnect")
        buffering.emit("echo_event", "emitted while the server was down")
        with pytest.raises(exceptions.BadNamespaceError):
            buffering.call("echo", "call() does not wait for a reconnection")
        wait_until(lambda: not strict.connected)
        with pytest.raises(exceptions.BadNamespaceError):
            strict.emit("echo_event", "buffer_offline=False")

        # the client that gives up drops what it held; a callback with a timeout hears why
        waiter = threading.Thread(target=giving_up.wait)
        waiter.start()
        waiter.join(STEP)
        assert not waiter.is_alive()  # one failed attempt, then it stopped
        [lost] = dropped.wait_for("dropped")
        assert isinstance(lost, exceptions.DisconnectedError)
        with pytest.raises(exceptions.BadNamespaceError):
            giving_up.emit("echo", "nothing will reconnect now")

        restarted = same_port(server).start()
        record.wait_for("echo_event", count=2)
        assert record.all("echo_event") == [
            ("emitted by the disconnect handler",),
            ("emitted while the server was down",),
        ]
        wait_until(lambda: strict.connected)
        assert not giving_up.connected
    finally:
        server.stop()
        if restarted is not None:
            restarted.stop()


# --- under gevent ---------------------------------------------------------------------------------
def run_child(module: str, *args: str, timeout: float) -> dict:
    """Run ``python -m module args...`` from the repository; its last line of output, as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_under_gevent_monkey_patching(server) -> None:
    result = run_child("tests.support.gevent_client", server.url, timeout=20 * UNIT)
    assert result == {
        "async_mode": "gevent",
        "patched": True,
        "welcome_auth": {"user": "gevent"},
        "echo": [1, "two"],
        "binary_ok": True,
        "answer": [["answered", "q"]],
        "transport": "websocket",
        "disconnect": "client disconnect",
    }


def test_wait_returns_when_the_server_closes_under_gevent(server) -> None:
    """The server leaves the namespace and closes the connection at once (socket.io's
    ``disconnect(true)``) while ``wait()`` blocks in another greenlet. It once hung one run in
    three: the CLOSE written by the client's own disconnect met a WebSocket whose close frame
    was read but not yet acted on, the write raised, and the Engine.IO disconnect was never
    dispatched."""
    args = (server.url, "closed", "30", str(2 * UNIT))
    result = run_child("tests.support.gevent_client", *args, timeout=25 * UNIT)
    assert result == {"iterations": 30, "hung": []}


@pytest.mark.parametrize("blocked_in", ["wait", "receive"])
def test_ctrl_c_while_blocked(server, blocked_in) -> None:
    """SIGINT handed to another thread still interrupts ``Client.wait()`` (or a
    ``SimpleClient.receive()`` without timeout), after handle_sigint's disconnect: the main
    thread's wait must wake up to run the handler."""
    result = run_child("tests.support.sigint_client", server.url, blocked_in, timeout=10 * UNIT)
    assert result["interrupted"] is True
    assert result["connected"] is False
    assert result["seconds"] < 2 * UNIT


def test_events_stay_in_order_across_the_upgrade() -> None:
    """What the last GET brought is handled before what the WebSocket brings after the upgrade.

    The seed's chat server emits ``welcome`` in its connect handler (it rides the polling GET
    that carries the CONNECT) and ``username_set`` in answer to the client's first emit (it comes
    over the new WebSocket). The GET once counted as ended before its messages were dispatched,
    so the POST writer could complete the upgrade meanwhile and the WebSocket's event overtook
    the GET's: ``username_set`` before ``welcome`` in about one run in fifteen."""

    class Chat(greensio.ClientNamespace):
        def __init__(self) -> None:
            super().__init__("/chat")
            self.seen: list[str] = []
            self.done = threading.Event()

        def on_connect(self):
            self.seen.append("connect")
            self.emit("set_username", {"username": "Alice"})

        def on_welcome(self, data):
            self.seen.append("welcome")

        def on_username_set(self, data):
            self.seen.append("username_set")
            self.done.set()

    server = python_server("tests.apps.seed_server:build").start()
    try:
        for iteration in range(30):
            chat = Chat()
            client = greensio.Client(handle_sigint=False)
            client.register_namespace(chat)
            client.connect(server.url)
            try:
                assert chat.done.wait(5 * UNIT), (iteration, chat.seen)
                assert chat.seen == ["connect", "welcome", "username_set"], (iteration, chat.seen)
            finally:
                client.disconnect()
    finally:
        server.stop()
