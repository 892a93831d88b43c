"""greensio.EngineIOClient and its asyncio source, AsyncEngineIOClient (``front``), over real
sockets: long-polling, WebSocket, the upgrade, heartbeats, TLS.

Servers (child processes on 127.0.0.1): greensio's Engine.IO echo app (``tests.apps.engineio_echo``,
which sends every message back and answers a few ``cmd:`` messages), and the Node reference server
(the official ``socket.io`` package), spoken to at the Engine.IO level only. The client runs in
this process: with async_mode='threading', or on an event loop in a thread of its own
(tests/client/loop_thread.py).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import ssl
import sys
import time

import pytest
import trustme
import urllib3

from greensio import exceptions
from greensio.engineio.async_client import AsyncEngineIOClient
from greensio.engineio.client import EngineIOClient, engineio_url
from tests.apps.engineio_echo import DISCONNECT, ENVIRON, TEST_HEADER, TRANSPORT
from tests.client.loop_thread import Blocking, LoopThread
from tests.support.client_servers import peer_server, wait_until
from tests.support.raw_server import accept_response, raw_servers, read_request, text_frame
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(30 * UNIT)

ECHO_APP = "tests.apps.engineio_echo:build"
STEP = 3 * UNIT
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}


class Recorded:
    """A mixin for an Engine.IO client whose handlers put what they see on a queue."""

    def record(self) -> None:
        self.seen: queue.Queue = queue.Queue()
        self.on("connect", lambda: self.seen.put(("connect",)))
        self.on("message", lambda data: self.seen.put(("message", data)))

        @self.on("disconnect")
        def disconnect(reason):
            self.seen.put(("disconnect", reason))

    def next(self, timeout: float = STEP) -> tuple:
        return self.seen.get(timeout=timeout)

    def next_message(self, timeout: float = STEP):
        return self.next_of("message", timeout)[1]

    def next_of(self, kind: str, timeout: float = STEP) -> tuple:
        """The next ``kind`` event, skipping others."""
        while True:
            item = self.next(timeout)
            if item[0] == kind:
                return item


class Recording(Recorded, EngineIOClient):
    def __init__(self, **kwargs) -> None:
        super().__init__(async_mode="threading", request_timeout=5 * UNIT, **kwargs)
        self.record()


class AsyncRecording(Recorded, AsyncEngineIOClient):
    def __init__(self, **kwargs) -> None:
        super().__init__(request_timeout=5 * UNIT, **kwargs)
        self.record()


@pytest.fixture(params=["EngineIOClient", "AsyncEngineIOClient"])
def front(request) -> str:
    return request.param


@pytest.fixture
def make_client(front):
    made: list = []
    loops: list[LoopThread] = []

    def make(**kwargs):
        if front == "EngineIOClient":
            client = Recording(**kwargs)
        else:
            if not loops:
                loops.append(LoopThread())
            local = frozenset({"next", "next_message", "next_of"})
            client = Blocking(AsyncRecording(**kwargs), loops[0], local)
        made.append(client)
        return client

    yield make
    for client in made:
        client.disconnect()
    for loop in loops:
        loop.stop()


@pytest.fixture(scope="module")
def echo_server():
    server = python_server(ECHO_APP, ping_interval=0.5, ping_timeout=1).start()
    yield server
    server.stop()


@pytest.fixture(params=list(TRANSPORTS))
def transports(request):
    return TRANSPORTS[request.param]


def expected_transport(transports) -> str:
    return "polling" if transports == ["polling"] else "websocket"


# --- URLs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "transport", "sid", "expected"),
    [
        ("http://h:1", "polling", None, "http://h:1/engine.io/?EIO=4&transport=polling"),
        ("http://h:1/", "websocket", "s", "ws://h:1/engine.io/?EIO=4&transport=websocket&sid=s"),
        ("https://h", "websocket", None, "wss://h/engine.io/?EIO=4&transport=websocket"),
        ("ws://h", "polling", None, "http://h/engine.io/?EIO=4&transport=polling"),
        (
            "wss://h?token=x",
            "polling",
            "s",
            "https://h/engine.io/?token=x&EIO=4&transport=polling&sid=s",
        ),
        ("//h:2", "polling", None, "http://h:2/engine.io/?EIO=4&transport=polling"),
    ],
)
def test_engineio_url(url, transport, sid, expected) -> None:
    assert engineio_url(url, "/engine.io", transport, sid) == expected


# --- against greensio's echo server ---------------------------------------------------------------
def test_connect_send_receive_disconnect(echo_server, make_client, transports) -> None:
    client = make_client()
    client.connect(
        echo_server.url,
        headers={TEST_HEADER: "custom"},
        transports=transports,
        engineio_path="socket.io",
    )
    assert client.state == "connected"
    assert client.next() == ("connect",)
    assert client.sid
    client.send("text ✓")
    client.send(b"\x00\xff")
    assert client.next_message() == "text ✓"
    assert client.next_message() == b"\x00\xff"
    # the server's connect handler saw our header
    client.send(ENVIRON)
    assert json.loads(client.next_message())["header"] == "custom"
    if transports is None:
        wait_until(lambda: client.transport() == "websocket")
    assert client.transport() == expected_transport(transports)
    client.send(TRANSPORT)
    assert client.next_message() == expected_transport(transports)
    client.disconnect()
    assert client.state == "disconnected"
    assert client.next() == ("disconnect", "client disconnect")
    client.wait()  # returns at once: every task has ended


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_heartbeats_keep_the_connection_up(echo_server, make_client, transport) -> None:
    # the server pings every 0.5 s and gives up on a client 1 s after a ping
    client = make_client()
    client.connect(echo_server.url, transports=[transport], engineio_path="socket.io")
    time.sleep(1.2 * UNIT)
    assert client.state == "connected"
    client.send("still here")
    assert client.next_message() == "still here"
    assert ("disconnect", "ping timeout") not in list(client.seen.queue)


@pytest.fixture
def eager_thread_switches():
    """Switch threads every microsecond, so that races between the client's tasks show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_messages_sent_during_the_upgrade_arrive_in_order(
    echo_server, make_client, eager_thread_switches
) -> None:
    # Sending without pause while the upgrade runs: a POST may be in flight when the WebSocket
    # is ready. The switch must wait for it; a POST sent after the UPGRADE would be refused (400)
    # and the connection lost.
    for _ in range(4):
        client = make_client()
        client.connect(echo_server.url, engineio_path="socket.io")
        sent = 0
        stop = time.monotonic() + 0.2 * UNIT
        while time.monotonic() < stop:
            client.send(str(sent))
            sent += 1
            time.sleep(0.0005)
        assert [client.next_message() for _ in range(sent)] == [str(n) for n in range(sent)]
        wait_until(lambda c=client: c.transport() == "websocket")
        assert client.state == "connected"
        client.disconnect()
        assert client.next_of("disconnect") == ("disconnect", "client disconnect")


def test_server_side_disconnect(echo_server, make_client, transports) -> None:
    client = make_client()
    client.connect(echo_server.url, transports=transports, engineio_path="socket.io")
    client.send(DISCONNECT)
    assert client.next()[0] == "connect"
    assert client.next() == ("disconnect", "transport close")
    client.wait()
    assert client.state == "disconnected"
    with pytest.raises(exceptions.ConnectionError):
        client.send("after")


def test_abort(echo_server, make_client) -> None:
    client = make_client()
    client.connect(echo_server.url, transports=["websocket"], engineio_path="socket.io")
    client.disconnect(abort=True)
    assert client.state == "disconnected"
    assert client.next() == ("connect",)
    assert client.next() == ("disconnect", "transport close")


def test_a_refused_handshake(echo_server, make_client, transports) -> None:
    client = make_client()
    with pytest.raises(exceptions.ConnectionError):
        client.connect(
            echo_server.url + "?refuse=1", transports=transports, engineio_path="socket.io"
        )
    assert client.state == "disconnected"
    assert client.seen.empty()


def test_a_wrong_path(echo_server, make_client, transports) -> None:
    client = make_client()
    with pytest.raises(exceptions.ConnectionError):
        client.connect(echo_server.url, transports=transports, engineio_path="nowhere")
    assert client.state == "disconnected"


def test_an_unreachable_server(make_client, transports) -> None:
    client = make_client()
    with pytest.raises(exceptions.ConnectionError):
        client.connect("http://127.0.0.1:1", transports=transports)
    assert client.state == "disconnected"


def test_misuse(echo_server, make_client) -> None:
    client = make_client()
    client.disconnect()  # not connected: nothing to do
    with pytest.raises(exceptions.ConnectionError):
        client.send("not connected")
    for bad in (["carrier pigeon"], ["websocket", "smoke signals"]):
        with pytest.raises(exceptions.UsageError):
            client.connect(echo_server.url, transports=bad, engineio_path="socket.io")
    client.connect(echo_server.url, transports=["websocket"], engineio_path="socket.io")
    with pytest.raises(exceptions.UsageError, match="already connected"):
        client.connect(echo_server.url, engineio_path="socket.io")


def test_a_failing_handler_is_logged_not_fatal(echo_server, make_client, caplog) -> None:
    client = make_client()
    received = queue.Queue()

    def message(data):
        received.put(data)
        raise RuntimeError("handler bug")

    client.on("message", message)
    client.connect(echo_server.url, transports=["websocket"], engineio_path="socket.io")
    client.send("one")
    client.send("two")
    assert [received.get(timeout=STEP) for _ in range(2)] == ["one", "two"]
    assert client.state == "connected"
    assert "message handler failed" in caplog.text


def test_background_tasks_and_sleep(make_client) -> None:
    client = make_client()
    done = queue.Queue()
    client.start_background_task(lambda x: done.put(x), 42)
    client.sleep(0.01)
    assert done.get(timeout=STEP) == 42


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_a_frozen_server_is_detected_by_the_heartbeat(make_client, transport) -> None:
    # SIGSTOP freezes the server (no PING, no FIN): only the client's heartbeat deadline
    # (ping_interval + ping_timeout after the last PING) can tell it is gone.
    server = python_server(ECHO_APP, ping_interval=0.3, ping_timeout=0.3).start()
    try:
        client = make_client()
        client.connect(server.url, transports=[transport], engineio_path="socket.io")
        assert client.next() == ("connect",)
        os.kill(server.proc.pid, signal.SIGSTOP)
        start = time.monotonic()
        try:
            assert client.next(timeout=STEP) == ("disconnect", "ping timeout")
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert time.monotonic() - start < 2 * UNIT
    finally:
        server.stop()


def test_no_upgrade_when_the_server_offers_none(make_client) -> None:
    server = python_server(ECHO_APP, transports=["polling"]).start()
    try:
        client = make_client()
        client.connect(server.url, engineio_path="socket.io")
        client.send("x")
        assert client.next_message() == "x"
        assert client.transport() == "polling"
        with pytest.raises(exceptions.ConnectionError):
            make_client().connect(server.url, transports=["websocket"], engineio_path="socket.io")
    finally:
        server.stop()


# --- against the Node reference server ------------------------------------------------------------
@pytest.fixture(scope="module")
def node_server():
    server = peer_server("node", ping_interval=0.5, ping_timeout=1).start()
    yield server
    server.stop()


def test_node_engineio(node_server, make_client, transports) -> None:
    client = make_client()
    client.connect(node_server.url, transports=transports, engineio_path="socket.io")
    assert client.next() == ("connect",)
    client.send("0")  # a Socket.IO CONNECT to '/': Node answers with our sid there
    reply = client.next_message()
    assert reply.startswith('0{"sid":')
    if transports is None:
        wait_until(lambda: client.transport() == "websocket")
    time.sleep(0.7 * UNIT)  # a heartbeat from the server
    assert client.state == "connected"
    assert client.transport() == expected_transport(transports)
    client.disconnect()
    assert client.next_of("disconnect") == ("disconnect", "client disconnect")


# --- servers that misbehave -----------------------------------------------------------------------
def test_a_websocket_that_closes_before_the_handshake(make_client) -> None:
    def script(conn) -> None:
        conn.sendall(accept_response(read_request(conn)))

    with raw_servers() as start:
        port = start(script)
        with pytest.raises(exceptions.ConnectionError, match="did not open"):
            make_client().connect(f"http://127.0.0.1:{port}", transports=["websocket"])


def test_a_websocket_that_sends_no_open_packet(make_client) -> None:
    def script(conn) -> None:
        conn.sendall(accept_response(read_request(conn)) + text_frame("4not an OPEN"))
        time.sleep(1 * UNIT)

    with raw_servers() as start:
        port = start(script)
        with pytest.raises(exceptions.ConnectionError, match="did not open"):
            make_client().connect(f"http://127.0.0.1:{port}", transports=["websocket"])


# --- TLS, against the Node reference server -------------------------------------------------------
@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_files(ca, tmp_path_factory):
    """A folder with the server's cert.pem and key.pem, and the CA's ca.pem."""
    folder = tmp_path_factory.mktemp("tls")
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(folder / "key.pem")
    cert.cert_chain_pems[0].write_to_path(folder / "cert.pem")
    ca.cert_pem.write_to_path(folder / "ca.pem")
    return folder


@pytest.fixture(scope="module")
def tls_server(tls_files):
    folder = tls_files
    server = peer_server("node", tls=(str(folder / "cert.pem"), str(folder / "key.pem"))).start()
    yield server.url.replace("http://", "https://")
    server.stop()


def test_tls_without_verification(tls_server, make_client) -> None:
    client = make_client(ssl_verify=False)
    client.connect(tls_server, engineio_path="socket.io")  # https://, then wss://
    client.send("0")
    assert client.next_message().startswith('0{"sid":')
    wait_until(lambda: client.transport() == "websocket")


def test_tls_verification_refuses_an_unknown_ca(tls_server, make_client) -> None:
    for transports in (["polling"], ["websocket"]):
        with pytest.raises(exceptions.ConnectionError):
            make_client().connect(tls_server, transports=transports, engineio_path="socket.io")


def test_tls_with_a_trusted_ca(tls_server, tls_files, ca, make_client, front) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    ca_file = str(tls_files / "ca.pem")
    options = {"websocket_extra_options": {"ssl_context": context}}
    if front == "EngineIOClient":
        options["http_session"] = urllib3.PoolManager(ca_certs=ca_file)
    # (the asyncio client has no http_session: its long-polling uses the same ssl_context)
    client = make_client(**options)
    client.connect(tls_server, engineio_path="socket.io")
    client.send("0")
    assert client.next_message().startswith('0{"sid":')
    wait_until(lambda: client.transport() == "websocket")
