"""greensio.SimpleClient and greensio.AsyncSimpleClient (``front``, tests/client/conftest.py) end
to end, against greensio's server and the Node reference server."""

from __future__ import annotations

import time

import pytest

import greensio
from greensio import exceptions
from tests.apps.interop import PRIVATE, SERVER_BLOB, TOKEN
from tests.support.client_servers import IMPLS, peer_server, wait_until
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)

STEP = 3 * UNIT
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}


@pytest.fixture(scope="module", params=IMPLS)
def server(request):
    proc = peer_server(request.param).start()
    yield proc
    proc.stop()


@pytest.fixture
def sio(new_client):
    client = new_client(simple=True, handle_sigint=False)
    yield client
    client.disconnect()


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_end_to_end(server, sio, transport) -> None:
    transports = TRANSPORTS[transport]
    assert not sio.connected and sio.sid is None and sio.transport == ""
    sio.connect(
        server.url, headers={"X-Greensio-Test": "simple"}, auth={"n": 1}, transports=transports
    )
    assert sio.connected and sio.sid
    # events arrive in order, as [event, *args]
    assert sio.receive(timeout=STEP) == ["welcome", {"sid": sio.sid, "auth": {"n": 1}}]
    sio.emit("multi")
    sio.emit("echo_event", {"x": [1, 2]})
    assert sio.receive(timeout=STEP) == ["multi", 1, "two", {"three": 3}]
    assert sio.receive(timeout=STEP) == ["echo_event", {"x": [1, 2]}]
    assert sio.call("echo", ("a", 1), timeout=STEP) == ("a", 1)
    assert sio.call("headers", "X-Greensio-Test", timeout=STEP) == "simple"
    assert sio.call("binary", b"\x00", timeout=STEP) == (SERVER_BLOB, b"\x00")
    if transports is None:
        wait_until(lambda: sio.transport == "websocket")
    assert sio.transport == (transports or ["websocket"])[0]
    sio.disconnect()
    assert not sio.connected
    sio.disconnect()  # again: nothing to do


def test_receive_timeout(server, sio) -> None:
    sio.connect(server.url, transports=["websocket"])
    sio.receive(timeout=STEP)  # welcome
    start = time.monotonic()
    with pytest.raises(exceptions.TimeoutError):
        sio.receive(timeout=0.2 * UNIT)
    assert 0.15 * UNIT < time.monotonic() - start < 1.5 * UNIT
    # an event that comes while receive() waits
    sio.emit("emit_later", (0.2 * UNIT, "later", {"on": "time"}))
    assert sio.receive(timeout=STEP) == ["later", {"on": "time"}]
    with pytest.raises(exceptions.TimeoutError):
        sio.receive(timeout=0)


def test_call_timeout(server, sio) -> None:
    sio.connect(server.url, transports=["polling"])
    with pytest.raises(exceptions.TimeoutError):
        sio.call("never_acked", timeout=0.2 * UNIT)


def test_another_namespace(server, sio) -> None:
    sio.connect(server.url, auth=TOKEN, namespace=PRIVATE, transports=["websocket"])
    assert sio.namespace == PRIVATE
    assert sio.receive(timeout=STEP) == ["welcome", {"sid": sio.sid, "auth": TOKEN}]
    assert sio.sid == sio.client.get_sid(PRIVATE)  # type: ignore[union-attr]
    assert sio.call("echo", "private", timeout=STEP) == "private"
    sio.emit("echo_event", 5)
    assert sio.receive(timeout=STEP) == ["echo_event", 5]


def test_refused(server, sio) -> None:
    with pytest.raises(exceptions.ConnectionError, match="refused"):
        sio.connect(server.url, auth={"refuse": True}, transports=["websocket"])
    assert not sio.connected
    with pytest.raises(exceptions.ConnectionError, match="unauthorized"):
        sio.connect(server.url, namespace=PRIVATE, transports=["websocket"])


def test_already_connected(server, sio) -> None:
    sio.connect(server.url, transports=["websocket"])
    with pytest.raises(exceptions.ConnectionError):
        sio.connect(server.url)


def test_disconnected_client(server, sio) -> None:
    with pytest.raises(exceptions.DisconnectedError):
        sio.receive(timeout=STEP)  # never connected
    sio.connect(server.url, transports=["websocket"])
    sio.receive(timeout=STEP)  # welcome: nothing is left to read
    sio.disconnect()
    for use in (lambda: sio.emit("echo"), lambda: sio.call("echo"), lambda: sio.receive(STEP)):
        with pytest.raises(exceptions.DisconnectedError):
            use()


def test_server_disconnect_ends_receive(server, sio) -> None:
    sio.connect(server.url, transports=["websocket"])
    sio.emit("disconnect_me")
    # what arrived before the disconnect can still be read; then receive() says why it stops
    assert sio.receive(timeout=STEP)[0] == "welcome"
    start = time.monotonic()
    with pytest.raises(exceptions.DisconnectedError):
        sio.receive(timeout=STEP)
    assert time.monotonic() - start < STEP
    assert not sio.connected


def test_context_manager(server) -> None:
    with greensio.SimpleClient(async_mode="threading", handle_sigint=False) as sio:
        sio.connect(server.url, transports=["polling"])
        assert sio.call("echo", "inside", timeout=STEP) == "inside"
        client = sio.client
    assert client is not None and not client.connected
    assert not sio.connected
