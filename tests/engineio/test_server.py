"""greensio.EngineIOServer on its own (no Socket.IO on top), python-engineio's client as the peer.

The server is ``tests.apps.engineio_echo`` in a child process (gevent pywsgi, greensio's own
WebSocket framing): it echoes every message and answers the commands listed in that module, which
is how these tests see what its handlers saw. The peer is ``engineio.Client`` (python-engineio,
installed with python-socketio): a foreign implementation of the same protocol over ``requests``
and ``websocket-client``. Where no client API reaches (a dropped connection, a client that stops
polling), the test speaks the wire itself.

The API shape (``on()`` as a decorator and as a call, ``transport()``, quiet sends to unknown
sids) is checked in-process with the threading backend: constructing a server starts nothing.
"""

from __future__ import annotations

import json
import queue
import threading
import time

import engineio
import pytest
import requests
import websocket

from greensio import EngineIOServer
from greensio.exceptions import UsageError
from tests.apps.engineio_echo import DISCONNECT, ENVIRON, REASONS, TEST_HEADER, TRANSPORT
from tests.support.peers import PingCounter
from tests.support.servers import UNIT, python_server

APP = "tests.apps.engineio_echo:build"
PING_INTERVAL = 0.25
#: The server's wait for a PONG: scaled, as the client's answer is at the mercy of a slow machine.
PING_TIMEOUT = 0.5 * UNIT
WAIT = 3 * UNIT
POLLING = {"EIO": "4", "transport": "polling"}

pytestmark = pytest.mark.timeout(30 * UNIT)

#: ``transports=`` for engineio.Client: each one alone, and the default (polling, then upgrade).
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}


@pytest.fixture(scope="module")
def server():
    """The echo server with the default heartbeat (25 s): no PING comes between a test's steps."""
    proc = python_server(APP).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def fast_server():
    """The echo server with a heartbeat of a fraction of a second, for the heartbeat tests."""
    proc = python_server(APP, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT).start()
    yield proc
    proc.stop()


class Peer:
    """An ``engineio.Client`` whose messages land in a queue and whose disconnect sets an event."""

    def __init__(self) -> None:
        self.client = engineio.Client(logger=False, handle_sigint=False, request_timeout=WAIT)
        self.messages: queue.Queue[str | bytes] = queue.Queue()
        self.disconnected = threading.Event()
        self.disconnect_reason: str | None = None
        self.client.on("message", self.messages.put)
        self.client.on("disconnect", self._on_disconnect)

    def _on_disconnect(self, reason: str | None = None) -> None:
        self.disconnect_reason = reason
        self.disconnected.set()

    def connect(self, server, transport: str, query: str = "", **kwargs) -> Peer:
        url = server.url + (f"/?{query}" if query else "")
        self.client.connect(
            url, transports=TRANSPORTS[transport], engineio_path="socket.io", **kwargs
        )
        return self

    @property
    def sid(self) -> str:
        return self.client.sid

    def receive(self, timeout: float = WAIT) -> str | bytes:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout} s") from None

    def ask(self, command: str) -> str | bytes:
        """Send one message and return the first one back (the tests send one at a time)."""
        self.client.send(command)
        return self.receive()

    def ask_json(self, command: str) -> object:
        # python-engineio's client hands over a text message that parses as JSON already parsed.
        reply = self.ask(command)
        return json.loads(reply) if isinstance(reply, str) else reply


@pytest.fixture
def peer():
    """``peer() -> Peer`` (not yet connected); every peer is disconnected after the test."""
    peers: list[Peer] = []

    def make() -> Peer:
        peers.append(Peer())
        return peers[-1]

    yield make
    # Gracefully: abort=True leaves python-engineio's loops running (and logging) after the test.
    # Its writer thread drops the CLOSE packet if it is not back waiting on its queue (a race
    # inside python-engineio), and the disconnect then waits for the server's next PING: a short
    # pause first makes that rare, and the disconnect is not waited for past WAIT.
    time.sleep(0.1 * UNIT)
    for each in peers:
        closing = threading.Thread(target=each.client.disconnect, daemon=True)
        closing.start()
        closing.join(WAIT)


def reasons(server, peer) -> dict[str, str]:
    """The server's record of disconnect reasons, fetched by a fresh client."""
    observer = peer().connect(server, "websocket")
    return observer.ask_json(REASONS)


def wait_reason(server, peer, sid: str, timeout: float = WAIT) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = reasons(server, peer)
        if sid in found:
            return found[sid]
        assert time.monotonic() < deadline, f"no disconnect recorded for {sid}: {found}"
        time.sleep(0.05 * UNIT)


# -- with python-engineio's client -----------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connect_handler_sees_the_environ(server, peer, transport):
    client = peer().connect(server, transport, "token=abc", headers={TEST_HEADER: "seen"})
    seen = client.ask_json(ENVIRON)
    assert seen["method"] == "GET"
    assert seen["path"] == "/socket.io/"
    assert seen["query"]["token"] == "abc"
    assert seen["query"]["EIO"] == "4"
    # the environ of the request that opened the session, whatever came after it
    assert seen["query"]["transport"] == ("websocket" if transport == "websocket" else "polling")
    assert seen["header"] == "seen"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refused_connect_is_a_connection_error(server, peer, transport):
    client = peer()
    with pytest.raises(engineio.exceptions.ConnectionError):
        client.connect(server, transport, "refuse=1")
    assert client.client.state == "disconnected"
    assert not client.disconnected.is_set()
    # The server still serves everyone else.
    assert peer().connect(server, transport).ask("after") == "after"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_messages_both_ways(server, peer, transport):
    client = peer().connect(server, transport, "welcome=1")
    assert client.receive() == "welcome"  # sent from inside the connect handler
    for message in ("hello €", "", b"\x00\x01\xff", b"", "x" * 50_000):
        assert client.ask(message) == message


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_transport(server, peer, transport):
    client = peer().connect(server, transport)
    expected = "polling" if transport == "polling" else "websocket"
    assert client.client.transport() == expected
    assert client.ask(TRANSPORT) == expected


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_server_disconnect_reaches_the_client(server, peer, transport):
    client = peer().connect(server, transport)
    sid = client.sid
    # Over polling the CLOSE packet goes out on the client's pending GET; give it time to be
    # pending (see test_close_reaches_a_polling_client_between_polls for when it is not).
    assert client.ask("ready") == "ready"
    time.sleep(0.1 * UNIT)
    client.client.send(DISCONNECT)
    assert client.disconnected.wait(WAIT), "the client never saw the server's disconnect"
    assert client.disconnect_reason == engineio.Client.reason.SERVER_DISCONNECT
    assert wait_reason(server, peer, sid) == "server disconnect"


def test_client_disconnect_reason(server, peer):
    """Polling only: over WebSocket, python-engineio's ``disconnect()`` queues the CLOSE packet for
    its writer thread and closes the socket at once, so the server may see the close frame first
    and rightly call it a transport close. A wire test below sends CLOSE over WebSocket itself."""
    client = peer().connect(server, "polling")
    sid = client.sid
    client.client.disconnect()
    assert wait_reason(server, peer, sid) == "client disconnect"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_heartbeats_keep_a_live_client_connected(fast_server, peer, transport):
    client = peer()
    counter = PingCounter()
    client.client.logger = counter.logger
    client.connect(fast_server, transport)
    # Enough PINGs to pass the first ping timeout (n intervals > one interval + the timeout),
    # each sent only once the client's PONG to the last was taken (exact timing: test_heartbeat.py).
    pings = int((PING_INTERVAL + PING_TIMEOUT) // PING_INTERVAL) + 1
    assert counter.wait_for(pings, pings * PING_INTERVAL + WAIT), f"{counter.pings} PINGs"
    assert not client.disconnected.is_set()
    assert client.ask("still") == "still"
    assert client.sid not in reasons(fast_server, peer)


# -- what no client API reaches: the wire ----------------------------------------------------------


def open_websocket(server) -> tuple[websocket.WebSocket, str]:
    url = server.url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=WAIT)
    return ws, json.loads(ws.recv()[1:])["sid"]


def test_close_packet_over_websocket_is_a_client_disconnect(server, peer):
    ws, sid = open_websocket(server)
    ws.send("1")
    assert wait_reason(server, peer, sid) == "client disconnect"
    ws.close()


def test_dropped_websocket_is_a_transport_close(server, peer):
    ws, sid = open_websocket(server)
    ws.sock.close()  # no close frame, no Engine.IO CLOSE packet
    assert wait_reason(server, peer, sid) == "transport close"


def polling_handshake(server) -> str:
    response = requests.get(server.url + "/socket.io/", params=POLLING, timeout=WAIT)
    assert response.status_code == 200, response.text
    return json.loads(response.text[1:])["sid"]


def test_silent_polling_client_is_a_ping_timeout(fast_server, peer):
    sid = polling_handshake(fast_server)
    # It never polls again, so it never answers a PING.
    timeout = 2 * (PING_INTERVAL + PING_TIMEOUT) + WAIT
    assert wait_reason(fast_server, peer, sid, timeout) == "ping timeout"


def test_close_reaches_a_polling_client_between_polls(server, peer):
    sid = polling_handshake(server)
    url = server.url + "/socket.io/"
    params = {**POLLING, "sid": sid}
    assert requests.post(url, params=params, data="4" + DISCONNECT, timeout=WAIT).text == "ok"
    assert wait_reason(server, peer, sid) == "server disconnect"
    response = requests.get(url, params=params, timeout=WAIT)  # the first GET since the close
    assert (response.status_code, response.text) == (200, "1")


# -- the API, in-process ---------------------------------------------------------------------------


@pytest.fixture
def eio():
    server = EngineIOServer(async_mode="threading")
    yield server
    server.shutdown()


def test_on_as_a_decorator_and_as_a_call(eio):
    @eio.on("connect")
    def connect(sid, environ):
        return None

    def message(sid, data):
        return None

    eio.on("message", message)
    assert connect.__name__ == "connect"  # the decorator hands the function back
    assert eio.handlers == {"connect": connect, "message": message}
    with pytest.raises(UsageError):
        eio.on("upgrade")
    with pytest.raises(UsageError):
        eio.on("ping", message)


def test_calls_on_unknown_sessions(eio):
    with pytest.raises(UsageError):
        eio.transport("no-such-sid")
    assert eio.get_environ("no-such-sid") is None
    eio.send("no-such-sid", "quietly dropped")  # a client may leave at any moment
    eio.disconnect("no-such-sid")


def test_options(eio):
    assert eio.async_mode == "threading"
    assert eio.transports == ("polling", "websocket")
    with pytest.raises(UsageError):
        EngineIOServer(async_mode="threading", transports=["polling", "carrier-pigeon"])
    with pytest.raises(UsageError):
        EngineIOServer(async_mode="no-such-mode")
