"""How the server reports a failing handler (greensio/server/events.py): at ERROR, with the
traceback, naming the event, the namespace and the sid, on the logger ``Server(logger=)`` chose.

The server runs in this process (tests/support/threaded_server.py) so that ``caplog`` sees its
records; python-socketio's client is the peer, over WebSocket.
"""

from __future__ import annotations

import logging
import threading

import pytest
import socketio

import greensio
from tests.support.peers import STEP
from tests.support.servers import UNIT
from tests.support.threaded_server import serving

pytestmark = pytest.mark.timeout(20 * UNIT)

LOGGER = "tests.server.mine"


class Boom(Exception):
    pass


@pytest.fixture
def logger(caplog) -> logging.Logger:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    return logging.getLogger(LOGGER)


def failing_server(logger: logging.Logger, reported: threading.Event) -> greensio.Server:
    sio = greensio.Server(async_mode="threading", logger=logger, namespaces="*")

    @sio.on("explode", namespace="/chat")
    def explode(sid, data):
        raise Boom(f"explode {data}")

    @sio.on("connect", namespace="/refuse")
    def connect(sid, environ, auth):
        raise Boom("connect")

    @sio.on("disconnect", namespace="/chat")
    def disconnect(sid, reason):
        reported.set()
        raise Boom("disconnect")

    return sio


def failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_failing_handler_is_logged_with_its_event_namespace_and_sid(caplog, logger):
    left = threading.Event()
    sio = failing_server(logger, left)
    with serving(greensio.WSGIApp(sio)) as url:
        client = socketio.Client(reconnection=False)
        client.connect(url, namespaces=["/chat"], transports=["websocket"], wait_timeout=STEP)
        sid = client.get_sid("/chat")
        with pytest.raises(socketio.exceptions.TimeoutError):  # no ack from a failed handler
            client.call("explode", 1, namespace="/chat", timeout=0.5 * UNIT)
        client.disconnect()
        assert left.wait(STEP)
        sio.shutdown()
    records = failures(caplog)
    assert [(r.name, r.levelname) for r in records] == [(LOGGER, "ERROR")] * 2
    event, gone = (r.getMessage() for r in records)
    assert event == f"'explode' handler failed (namespace /chat, sid {sid})"
    assert gone == f"'disconnect' handler failed (namespace /chat, sid {sid})"
    assert all(r.exc_info and r.exc_info[0] is Boom for r in records)  # with the traceback


def test_a_failing_connect_handler_is_logged_and_refuses(caplog, logger):
    sio = failing_server(logger, threading.Event())
    with serving(greensio.WSGIApp(sio)) as url:
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(url, namespaces=["/refuse"], transports=["websocket"], wait_timeout=STEP)
        client.disconnect()
        sio.shutdown()
    [record] = failures(caplog)
    assert (record.name, record.levelname) == (LOGGER, "ERROR")
    assert record.getMessage().startswith("'connect' handler failed (namespace /refuse, sid ")
    assert record.exc_info is not None and record.exc_info[0] is Boom
