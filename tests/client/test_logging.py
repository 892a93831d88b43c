"""``Client(logger=...)`` and ``AsyncClient(logger=...)`` tell what happened: the namespace
connected, each event emitted and received, each ack, the disconnect with its reason; and
``engineio_logger`` the Engine.IO connection. Against a threading greensio server of this
process; the log records are asserted."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import greensio
from tests.support.peers import STEP
from tests.support.servers import UNIT
from tests.support.threaded_server import serving

pytestmark = pytest.mark.timeout(30 * UNIT)

MINE = "tests.client.logging.mine"
ENGINE = "tests.client.logging.engine"


@pytest.fixture(scope="module")
def url():
    sio = greensio.Server(async_mode="threading")

    @sio.event
    def hello(sid, name):
        sio.emit("greeting", f"hi {name}", to=sid)
        return "ok"

    with serving(greensio.WSGIApp(sio)) as address:
        yield address
    sio.shutdown()


def lines(caplog, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name]


def run_sync(url: str) -> None:
    client = greensio.Client(
        logger=logging.getLogger(MINE), engineio_logger=logging.getLogger(ENGINE)
    )
    got = []
    client.on("greeting", got.append)
    client.connect(url, transports=["websocket"])
    assert client.call("hello", "ada", timeout=STEP) == "ok"
    deadline = time.monotonic() + STEP
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
    client.disconnect()


def run_async(url: str) -> None:
    async def scenario():
        client = greensio.AsyncClient(
            logger=logging.getLogger(MINE), engineio_logger=logging.getLogger(ENGINE)
        )
        got = asyncio.Event()
        client.on("greeting", lambda text: got.set())
        await client.connect(url, transports=["websocket"])
        assert await client.call("hello", "ada", timeout=STEP) == "ok"
        await asyncio.wait_for(got.wait(), STEP)
        await client.disconnect()

    asyncio.run(scenario())


@pytest.mark.parametrize("run", [run_sync, run_async], ids=["Client", "AsyncClient"])
def test_a_connect_emit_ack_disconnect_is_logged(url, caplog, run):
    caplog.set_level(logging.INFO, logger=MINE)
    caplog.set_level(logging.INFO, logger=ENGINE)
    run(url)
    mine = lines(caplog, MINE)
    assert mine[0] == "connected to namespace /"
    assert "emitting event 'hello' [/]" in mine
    assert "received event 'greeting' [/]" in mine
    assert any(line.startswith("received ack ") and line.endswith(" [/]") for line in mine)
    assert mine[-1] == "disconnected from namespace / (client disconnect)"
    engine = lines(caplog, ENGINE)
    assert any(
        line.startswith("connected: sid ") and line.endswith(" over websocket") for line in engine
    )
    assert engine[-1].startswith("disconnected")
