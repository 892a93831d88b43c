"""examples/starlette_chat under the real uvicorn and hypercorn command lines, python-socketio's
``AsyncClient`` as the peer: the ASGI ``http`` scope for long-polling, ``websocket`` for WebSocket,
the upgrade, the Starlette routes beside Socket.IO, and the lifespan hook.

Each server gets a listening socket made here (``uvicorn --fd``, ``hypercorn --bind fd://``), so
the port is known before it starts; both are stopped by PID.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
import socketio

from tests.support.servers import ROOT, UNIT

pytestmark = pytest.mark.timeout(60 * UNIT)

APP = "examples.starlette_chat.app:app"
TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}


def _command(server: str, fd: int) -> list[str]:
    if server == "uvicorn":
        return [
            *(sys.executable, "-m", "uvicorn", APP, "--fd", str(fd), "--log-level", "warning"),
            *("--ws-per-message-deflate", "false"),
        ]
    return [
        sys.executable,
        "-m",
        "hypercorn",
        APP,
        "--bind",
        f"fd://{fd}",
        "--log-level",
        "WARNING",
    ]


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn"])
def url(request):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        _command(request.param, sock.fileno()),
        cwd=ROOT,
        env=env,
        pass_fds=[sock.fileno()],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sock.close()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(proc, base, request.param)
    except BaseException:
        proc.kill()  # whatever went wrong, the server is not left behind
        proc.communicate()
        raise
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        output = proc.communicate(timeout=10 * UNIT)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0]
    assert "Traceback" not in output, output


def _wait_until_serving(proc: subprocess.Popen, base: str, server: str) -> None:
    deadline = time.monotonic() + 20 * UNIT
    while True:
        try:
            if requests.get(base + "/api/started", timeout=2 * UNIT).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or not answering yet
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{server} did not start")
        time.sleep(0.1 * UNIT)


def test_the_lifespan_startup_hook_ran_and_starlette_answers(url):
    assert requests.get(url + "/api/started", timeout=5 * UNIT).json() == {"started": ["greensio"]}
    assert requests.get(url + "/api/users", timeout=5 * UNIT).json() == {"users": []}
    assert requests.get(url + "/nowhere", timeout=5 * UNIT).status_code == 404


@pytest.mark.parametrize("transports", list(TRANSPORTS))
def test_two_clients_chat(url, transports):
    async def scenario():
        ada, bob = socketio.AsyncClient(), socketio.AsyncClient()
        got: asyncio.Queue = asyncio.Queue()
        for event in ("joined", "message", "renamed", "left"):
            bob.on(event, lambda data, event=event: got.put_nowait((event, data)))
        chosen = TRANSPORTS[transports]
        await bob.connect(url, auth={"name": "bob"}, transports=chosen)
        await ada.connect(url, auth={"name": "ada"}, transports=chosen)
        seen = [await asyncio.wait_for(got.get(), 5 * UNIT)]
        users = await asyncio.to_thread(requests.get, url + "/api/users", timeout=5 * UNIT)
        await ada.emit("message", "hello bob")
        seen.append(await asyncio.wait_for(got.get(), 5 * UNIT))
        ack = await ada.call("set_name", "ada lovelace", timeout=5 * UNIT)
        seen.append(await asyncio.wait_for(got.get(), 5 * UNIT))
        transport = ada.transport()
        await ada.disconnect()
        seen.append(await asyncio.wait_for(got.get(), 5 * UNIT))
        await bob.disconnect()
        return seen, users.json(), ack, transport

    seen, users, ack, transport = asyncio.run(scenario())
    assert seen == [
        ("joined", {"name": "ada"}),
        ("message", {"name": "ada", "text": "hello bob"}),
        ("renamed", {"old": "ada", "new": "ada lovelace"}),
        ("left", {"name": "ada lovelace"}),
    ]
    assert users == {"users": ["ada", "bob"]}
    assert ack == {"name": "ada lovelace"}
    assert transport == (TRANSPORTS[transports] or ["websocket"])[0]
