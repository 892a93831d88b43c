"""asyncio on both sides: greensio's AsyncClient against greensio's AsyncServer served by uvicorn
(``ASGIApp``), over long-polling, WebSocket and the upgrade.

uvicorn runs in a thread of the test process, on an event loop of its own; the client runs on
the test's (``asyncio.run``). Both sides' handlers are coroutines: the server's ``call()`` to the
client waits for the client's coroutine handler's answer.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

import greensio
from greensio import exceptions
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)

STEP = 3 * UNIT


def build() -> greensio.ASGIApp:
    sio = greensio.AsyncServer(ping_interval=1, ping_timeout=2)

    @sio.event
    async def connect(sid, environ, auth):
        if auth and auth.get("refuse"):
            raise exceptions.ConnectionRefusedError("refused")
        await sio.emit("welcome", {"sid": sid, "auth": auth}, to=sid)

    @sio.event
    async def echo(sid, *args):
        await asyncio.sleep(0)
        return args

    @sio.event
    async def ask(sid, question):
        # the server asks the client back, from its handler, and waits for its answer
        answer = await sio.call("question", question, to=sid, timeout=STEP)
        return {"client said": answer}

    @sio.event
    async def bye(sid):
        await sio.disconnect(sid)

    return greensio.ASGIApp(sio)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    config = uvicorn.Config(build(), host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10 * UNIT
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10 * UNIT)


@pytest.mark.parametrize("transport", ["polling", "websocket", "upgrade"])
def test_async_client_and_async_server(url, transport) -> None:
    transports = None if transport == "upgrade" else [transport]

    async def main() -> None:
        client = greensio.AsyncClient(reconnection=False, handle_sigint=False)
        welcomed: asyncio.Future = asyncio.get_running_loop().create_future()
        reasons: list[str] = []
        client.on("welcome", welcomed.set_result)

        @client.event
        async def question(text):
            await asyncio.sleep(0)
            return f"an answer to {text}"

        @client.event
        async def disconnect(reason):
            reasons.append(reason)

        await client.connect(url, auth={"user": "ada"}, transports=transports)
        assert await asyncio.wait_for(welcomed, STEP) == {
            "sid": client.sid,
            "auth": {"user": "ada"},
        }
        assert await client.call("echo", (1, b"\x00\xff", {"x": [1]}), timeout=STEP) == (
            1,
            b"\x00\xff",
            {"x": [1]},
        )
        reply = await client.call("ask", "why?", timeout=STEP)
        assert reply == {"client said": "an answer to why?"}
        if transports is None:
            deadline = time.monotonic() + STEP
            while client.transport() != "websocket":
                assert time.monotonic() < deadline, "no upgrade"
                await asyncio.sleep(0.01)
        assert client.transport() == (transports or ["websocket"])[0]
        await client.emit("bye")
        await asyncio.wait_for(client.wait(), STEP)  # sent away: no reconnection
        assert reasons == ["server disconnect"] and not client.connected

    asyncio.run(main())


def test_a_refused_connection(url) -> None:
    async def main() -> list:
        client = greensio.AsyncClient(reconnection=False, handle_sigint=False)
        errors: list = []
        client.on("connect_error", errors.append)
        with pytest.raises(exceptions.ConnectionError, match="refused"):
            await client.connect(url, auth={"refuse": True}, transports=["websocket"])
        return errors

    assert asyncio.run(main()) == [{"message": "refused"}]
