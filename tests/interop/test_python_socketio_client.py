"""python-socketio's own ``socketio.Client`` (from PyPI) against the interop server.

The client runs in the test process on its own threads (requests + websocket-client); nothing is
monkey-patched here. Handlers only record what they see; tests wait on the record, always bounded.

python-socketio's client hands every Engine.IO message to a new thread, so the order in which its
handlers run is not the order on the wire; these tests never assert handler order (the JS tests
check the wire order). For the same reason it can fill a binary packet's placeholders with its
attachments out of order under load, so the client is ``InOrderClient`` (tests/support/peers.py),
which collects attachments in arrival order and is python-socketio's client otherwise.
"""

from __future__ import annotations

import logging
import threading

import pytest
import socketio

from tests.support.peers import STEP, InOrderClient, Recorder
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)

UNICODE = "héllo wörld ✓ 日本語 🎉"
PRIVATE = "/private"


class ListHandler(logging.Handler):
    """Keeps the Engine.IO client's log messages, to tell how a connection was made."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class Peer:
    """One python-socketio client with recording handlers on '/' and '/private'."""

    def __init__(self) -> None:
        self.record = Recorder()
        self.eio_log = ListHandler()
        eio_logger = logging.Logger("interop.engineio-client", logging.INFO)
        eio_logger.addHandler(self.eio_log)
        self.sio = InOrderClient(
            reconnection=False, request_timeout=5 * UNIT, engineio_logger=eio_logger
        )
        for namespace in ("/", PRIVATE):
            for event in ("connect", "welcome", "echo_event", "multi", "answer"):
                self.sio.on(event, self._recorder(event, namespace), namespace=namespace)
            self.sio.on(
                "connect_error", self._recorder("connect_error", namespace), namespace=namespace
            )
            self.sio.on("disconnect", self._recorder("disconnect", namespace), namespace=namespace)

    def _recorder(self, event: str, namespace: str):
        name = event if namespace == "/" else f"{namespace} {event}"
        return self.record.handler(name)

    def connect(
        self, url: str, transports: list[str], namespaces: tuple[str, ...] = ("/",), **kwargs
    ) -> None:
        # Name the namespaces: by default the client connects every namespace it has handlers for.
        self.sio.connect(
            url, transports=transports, namespaces=list(namespaces), wait_timeout=5 * UNIT, **kwargs
        )

    def call(self, event: str, *args: object, namespace: str = "/") -> tuple:
        """Emits ``event`` with several arguments; returns every argument of the ack."""
        acked = threading.Event()
        reply: list[tuple] = []

        def callback(*ack_args: object) -> None:
            reply.append(ack_args)
            acked.set()

        self.sio.emit(event, args, namespace=namespace, callback=callback)
        assert acked.wait(STEP), f"no ack for {event!r} within {STEP}s"
        return reply[0]

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def peer():
    client = Peer()
    yield client
    client.close()


def test_connect_gets_welcome(peer, server, transports):
    peer.connect(server.url, transports, auth={"user": "ada", "n": 1})

    peer.record.wait_for("connect")
    sid = peer.sio.get_sid("/")
    assert isinstance(sid, str) and sid
    assert peer.record.wait_for("welcome") == ({"sid": sid, "auth": {"user": "ada", "n": 1}},)
    assert peer.sio.transport() == transports[-1]


def test_echo_acks_with_every_argument(peer, server, transports):
    peer.connect(server.url, transports)

    assert peer.call("echo", UNICODE, 42, {"nested": ["ü", None, True, 1.5]}, ["a", 2]) == (
        UNICODE,
        42,
        {"nested": ["ü", None, True, 1.5]},
        ["a", 2],
    )
    assert peer.call("echo", "one") == ("one",)


def test_events_both_ways(peer, server, transports):
    peer.connect(server.url, transports)

    peer.sio.emit("echo_event", {"text": UNICODE, "list": [1, 2, 3]})

    assert peer.record.wait_for("echo_event") == ({"text": UNICODE, "list": [1, 2, 3]},)


def test_binary_nested_both_ways(peer, server, transports):
    peer.connect(server.url, transports)
    sent = {
        "buf": b"\x00\x01\x02\xff",
        "nested": {"list": [b"xyz", {"deep": b"\x00"}], "text": "plain ✓"},
        "empty": b"",
    }

    server_blob, echoed = peer.call("binary", sent)

    assert server_blob == {"blob": b"\x00\x01\xff", "list": [b"ab", {"x": b"cd"}]}
    assert echoed == sent
    assert type(echoed["nested"]["list"][0]) is bytes


def test_server_to_client_ack(peer, server, transports):
    questions = Recorder()

    @peer.sio.on("question")
    def question(data):
        questions.add("question", data)
        return UNICODE, {"n": 1}, [2, 3]

    peer.connect(server.url, transports)
    peer.sio.emit("ask_client", {"q": "why ✓?"})

    assert questions.wait_for("question") == ({"q": "why ✓?"},)
    assert peer.record.wait_for("answer") == ([UNICODE, {"n": 1}, [2, 3]],)


def test_server_event_with_several_arguments(peer, server, transports):
    peer.connect(server.url, transports)

    peer.sio.emit("multi")

    assert peer.record.wait_for("multi") == (1, "two", {"three": 3})


def test_custom_namespace_with_auth(peer, server, transports):
    peer.connect(server.url, transports, namespaces=(PRIVATE,), auth={"token": "secret"})

    peer.record.wait_for(f"{PRIVATE} connect")
    sid = peer.sio.get_sid(PRIVATE)
    assert peer.record.wait_for(f"{PRIVATE} welcome") == (
        {"sid": sid, "auth": {"token": "secret"}},
    )
    assert peer.call("echo", UNICODE, {"ok": True}, namespace=PRIVATE) == (UNICODE, {"ok": True})


def test_custom_namespace_refused(peer, server, transports):
    with pytest.raises(socketio.exceptions.ConnectionError):
        peer.connect(server.url, transports, namespaces=(PRIVATE,), auth={"token": "wrong"})

    (error,) = peer.record.wait_for(f"{PRIVATE} connect_error")
    assert error["message"] == "unauthorized"
    assert error.get("data") is None
    assert f"{PRIVATE} welcome" not in [name for name, _ in peer.record.seen]


def test_refused_connect_carries_message_and_data(peer, server, transports):
    with pytest.raises(socketio.exceptions.ConnectionError):
        peer.connect(server.url, transports, auth={"refuse": True})

    assert peer.record.wait_for("connect_error") == (
        {"message": "refused", "data": {"reason": "bad"}},
    )
    assert [name for name, _ in peer.record.seen] == ["connect_error"]
    assert not peer.sio.connected


def test_server_side_disconnect(peer, server, transports):
    peer.connect(server.url, transports)

    peer.sio.emit("disconnect_me")

    # python-socketio's client has its own name for the reason ('server disconnect', where the JS
    # client says 'io server disconnect'); it picks it when the server sends a Socket.IO DISCONNECT.
    assert peer.record.wait_for("disconnect") == (socketio.Client.reason.SERVER_DISCONNECT,)
    assert not peer.sio.connected


@pytest.mark.parametrize("transports", ["upgrade"], indirect=True)
def test_upgrade_from_polling_to_websocket(peer, server, transports):
    peer.connect(server.url, transports)

    assert peer.sio.transport() == "websocket"
    log = peer.eio_log.messages
    opened = next(i for i, m in enumerate(log) if m.startswith("Polling connection accepted"))
    upgraded = next(i for i, m in enumerate(log) if m == "WebSocket upgrade was successful")
    assert opened < upgraded
    assert peer.call("echo", "after upgrade ✓") == ("after upgrade ✓",)
