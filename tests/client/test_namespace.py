"""greensio.ClientNamespace (class-based client handlers) against greensio's server and the Node
reference server, and the seed's ChatClientNamespace example run as written."""

from __future__ import annotations

import signal
import sys

import pytest

import greensio
from greensio import exceptions
from tests.apps.interop import PRIVATE, SERVER_BLOB, TOKEN
from tests.support.client_servers import IMPLS, peer_server, wait_until
from tests.support.peers import Recorder
from tests.support.servers import UNIT, ServerProcess, port_reserved, python_server

pytestmark = pytest.mark.timeout(30 * UNIT)

STEP = 3 * UNIT


@pytest.fixture(scope="module", params=IMPLS)
def server(request):
    proc = peer_server(request.param).start()
    yield proc
    proc.stop()


@pytest.fixture
def client():
    sio = greensio.Client(async_mode="threading", reconnection=False, handle_sigint=False)
    yield sio
    sio.disconnect()


class Root(greensio.ClientNamespace):
    """Handles '/': records what it sees, answers the server's questions."""

    def __init__(self) -> None:
        super().__init__()
        self.record = Recorder()

    def on_connect(self):
        self.record.add("connect")

    def on_disconnect(self, reason):
        self.record.add("disconnect", reason)

    def on_welcome(self, data):
        self.record.add("welcome", data)

    def on_question(self, data):
        return ["answered", data]  # the return value is the ack

    def on_answer(self, data):
        self.record.add("answer", data)

    def on_multi(self, *args):
        self.record.add("multi", *args)

    def on_echo_event(self, data):
        self.record.add("echo_event", data)


class Private(greensio.ClientNamespace):
    """Handles '/private', with the legacy ``on_disconnect()`` that takes no reason."""

    def __init__(self) -> None:
        super().__init__(PRIVATE)
        self.record = Recorder()

    def on_welcome(self, data):
        self.record.add("welcome", data)

    def on_disconnect(self):
        self.record.add("disconnect")


def test_namespace_handlers(server, client) -> None:
    root, private = Root(), Private()
    assert (root.namespace, private.namespace) == ("/", PRIVATE)
    client.register_namespace(root)
    client.register_namespace(private)
    assert root.client is client
    # with no namespaces given, those with handlers are joined
    client.connect(server.url, auth=TOKEN, transports=["websocket"])
    assert set(client.namespaces) == {"/", PRIVATE}
    assert root.record.all("connect") == [()]
    assert root.record.wait_for("welcome") == ({"sid": client.sid, "auth": TOKEN},)
    assert private.record.wait_for("welcome")[0]["sid"] == client.get_sid(PRIVATE)
    # emit, call and send go to the namespace's own path unless told otherwise
    root.emit("multi")
    assert root.record.wait_for("multi") == (1, "two", {"three": 3})
    root.emit("ask_client", "q")
    assert root.record.wait_for("answer") == ([["answered", "q"]],)
    assert private.call("echo", (1, b"\x00"), timeout=STEP) == (1, b"\x00")
    assert root.call("binary", {"b": b"\x01"}, timeout=STEP) == (SERVER_BLOB, {"b": b"\x01"})
    assert private.call("echo", "to root", namespace="/", timeout=STEP) == "to root"
    acked = Recorder()
    private.emit("echo", "acked", callback=acked.handler("ack"), timeout=STEP)
    assert acked.wait_for("ack") == ("acked",)
    root.send("a 'message' event, which the server ignores")
    private.emit("echo_event", "from private, to root", namespace="/")
    assert root.record.wait_for("echo_event") == ("from private, to root",)
    # events without an on_<event> method are ignored
    private.emit("kick")
    assert private.record.wait_for("disconnect") == ()
    assert client.connected
    # disconnect() from a namespace disconnects the whole client, as python-socketio's
    root.disconnect()
    assert root.record.wait_for("disconnect") == ("client disconnect",)
    assert not client.connected


def test_catch_all_namespace_class(server, client) -> None:
    class Anywhere(greensio.ClientNamespace):
        def __init__(self) -> None:
            super().__init__("*")
            self.record = Recorder()

        def on_welcome(self, namespace, data):
            self.record.add("welcome", namespace, data["sid"])

    anywhere = Anywhere()
    client.register_namespace(anywhere)
    client.connect(server.url, auth=TOKEN, namespaces=["/", PRIVATE], transports=["polling"])
    seen = {anywhere.record.wait_for("welcome", count=n)[0] for n in (1, 2)}
    assert seen == {"/", PRIVATE}


def test_a_namespace_must_be_registered_first() -> None:
    loose = greensio.ClientNamespace("/loose")
    assert loose.client is None
    for use in (
        lambda: loose.emit("x"),
        lambda: loose.send("x"),
        lambda: loose.call("x"),
        loose.disconnect,
    ):
        with pytest.raises(exceptions.UsageError):
            use()
    assert loose.trigger_event("anything", 1, 2) is None


# --- the seed's example ---------------------------------------------------------------------------
SEED_PORT = 5000  # the seed's client connects to http://localhost:5000, as written


def test_seed_chat_client_namespace_as_written() -> None:
    """tests/apps/seed_client.py runs the seed's ChatClientNamespace example unchanged against
    the seed's ChatNamespace; Ctrl+C (handled by the client) ends its ``sio.wait()``."""
    server = python_server("tests.apps.seed_server:build")
    server.argv += ["--port", str(SEED_PORT)]
    client = ServerProcess([sys.executable, "-m", "tests.apps.seed_client"])
    with port_reserved(SEED_PORT):  # the same test in another run on this machine would collide
        server.start()
        try:
            client.start(ready_line="Username set successfully", timeout=10 * UNIT)
            # Its username_set handler goes on to emit join_room: Ctrl+C once that has arrived.
            wait_until(lambda: "joined general" in server.log, timeout=10 * UNIT)
            assert client.proc is not None
            client.proc.send_signal(signal.SIGINT)
            assert client.proc.wait(5 * UNIT) == 0
        finally:
            client.stop()
            server.stop()
    wait_until(lambda: "stopped by Ctrl+C" in client.log)  # the output is read by a thread
    lines = [line.strip() for line in client.output]
    assert lines[:3] == [
        "Connected to chat namespace",
        "Welcome message: Welcome to chat!",
        "Username set successfully",
    ]
    # Ctrl+C disconnects first, and disconnect() returns once the disconnect handler has run (as
    # python-socketio's), so its line comes before the KeyboardInterrupt's.
    assert "Disconnected from chat namespace" in lines
    assert lines.index("Disconnected from chat namespace") < lines.index("stopped by Ctrl+C")
    assert "Traceback" not in client.log, client.log
    assert "connected to chat namespace" in server.log
