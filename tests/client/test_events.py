"""How the client reports a failing handler (greensio/client/async_events.py; ``Client`` and
``AsyncClient``): at ERROR, with the traceback, naming the event, the namespace and the sid, on
the logger ``Client(logger=)`` chose.

A greensio server runs in this process (tests/support/threaded_server.py), as does the client,
both on threads, so that ``caplog`` sees the client's records.
"""

from __future__ import annotations

import logging
import threading

import pytest

import greensio
from tests.support.peers import STEP
from tests.support.servers import UNIT
from tests.support.threaded_server import serving

pytestmark = pytest.mark.timeout(20 * UNIT)

MINE = "tests.client.mine"


class Boom(Exception):
    pass


@pytest.fixture
def url():
    sio = greensio.Server(async_mode="threading")

    @sio.on("poke", namespace="/chat")
    def poke(sid):
        sio.emit("boom", "now", to=sid, namespace="/chat")

    @sio.on("ask", namespace="/chat")
    def ask(sid):
        try:
            sio.call("boom", "answer me", to=sid, namespace="/chat", timeout=0.5 * UNIT)
        except greensio.exceptions.TimeoutError:
            return "no answer"
        return "answered"

    with serving(greensio.WSGIApp(sio)) as address:
        yield address
    sio.shutdown()


@pytest.fixture
def client(caplog, new_client):
    """A ``Client`` or an ``AsyncClient`` (``front``, tests/client/conftest.py)."""
    caplog.set_level(logging.DEBUG, logger=MINE)
    client = new_client(reconnection=False, logger=logging.getLogger(MINE))
    yield client
    client.disconnect()


def errors(caplog) -> list[logging.LogRecord]:
    """ERROR records of greensio's loggers and the client's own (not those of a foreign peer's
    thread that an earlier test left winding down: python-engineio's client logs its hang-ups
    at ERROR)."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and (r.name == MINE or r.name.startswith("greensio"))
    ]


def test_a_failing_event_handler_is_logged_on_the_clients_logger(url, client, caplog):
    reached = threading.Event()

    @client.on("boom", namespace="/chat")
    def boom(data):
        reached.set()
        raise Boom(data)

    client.connect(url, namespaces=["/chat"], transports=["websocket"])
    client.emit("poke", namespace="/chat")
    assert reached.wait(STEP)
    # A failed handler sends no ack: the server's call() times out.
    assert client.call("ask", namespace="/chat", timeout=STEP) == "no answer"
    sid = client.get_sid("/chat")
    records = errors(caplog)
    assert [(r.name, r.levelname) for r in records] == [(MINE, "ERROR")] * 2
    message = f"'boom' handler failed (namespace /chat, sid {sid})"
    assert [r.getMessage() for r in records] == [message] * 2
    assert all(r.exc_info and r.exc_info[0] is Boom for r in records)


def test_a_failing_connect_handler_is_logged_on_the_clients_logger(url, client, caplog):
    sids: list[str | None] = []
    connected = threading.Event()

    @client.on("connect", namespace="/chat")
    def connect():
        sids.append(client.get_sid("/chat"))
        connected.set()
        raise Boom("connect")

    client.connect(url, namespaces=["/chat"], transports=["websocket"])
    assert connected.wait(STEP)
    client.disconnect()  # after the handlers queued before it
    [record] = errors(caplog)
    assert sids[0] is not None
    assert record.getMessage() == f"'connect' handler failed (namespace /chat, sid {sids[0]})"
    assert (record.name, record.levelname) == (MINE, "ERROR")
    assert record.exc_info is not None and record.exc_info[0] is Boom
