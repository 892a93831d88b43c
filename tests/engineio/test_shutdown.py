"""greensio/engineio/shutdown.py: its helpers, and ``sio.shutdown()`` called by an application
under pywsgi and under uvicorn (python-socketio's client as the peer); the gunicorn behaviour is
in tests/interop/test_gunicorn_restarts.py."""

from __future__ import annotations

import asyncio
import socket
import time
import types
from typing import Any

import pytest
import requests
import socketio
import websocket

from greensio.engineio import shutdown
from tests.support.servers import UNIT, python_server


def test_a_handshake_is_refused_with_503_and_a_session_request_is_not() -> None:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append((status, dict(headers)))

    body = shutdown.refuse_new_session({"QUERY_STRING": "EIO=4&transport=polling"}, start_response)
    assert seen[0][0].startswith("503") and seen[0][1]["Connection"] == "close"
    assert b"".join(body) == b""  # see refuse_new_session
    assert shutdown.refuse_new_session({"QUERY_STRING": "EIO=4&sid=x"}, start_response) is None


def test_no_gunicorn_worker_outside_gunicorn() -> None:
    assert shutdown.find_gunicorn_worker() is None


def test_the_drain_stays_below_graceful_timeout() -> None:
    worker = types.SimpleNamespace(cfg=types.SimpleNamespace(graceful_timeout=2))
    assert shutdown.graceful_timeout(worker) == 1.0
    worker.cfg.graceful_timeout = 60
    assert shutdown.graceful_timeout(worker) == shutdown.DRAIN_TIMEOUT


def test_the_watch_stops_once_the_worker_is_not_alive() -> None:
    listener = socket.socket()
    worker = types.SimpleNamespace(
        alive=True, cfg=types.SimpleNamespace(graceful_timeout=30), sockets=[listener]
    )
    stopped: list[tuple[float, bool]] = []
    naps = iter(range(5))

    def sleep(seconds: float) -> None:
        if next(naps) == 2:
            worker.alive = False

    def stop(timeout: float, hold: Any) -> None:
        stopped.append((timeout, hold()))
        listener.close()  # as gunicorn's run loop does, up to a second later
        stopped.append((timeout, hold()))

    shutdown.watch_worker(worker, sleep, stop)
    # The drain holds the transports open while the worker still listens.
    assert stopped == [(shutdown.DRAIN_TIMEOUT, True), (shutdown.DRAIN_TIMEOUT, False)]


async def _shutdown_scenario(url: str) -> dict[str, Any]:
    """A handler sleeping a second is running when ``sio.shutdown()`` begins; new sessions are
    refused meanwhile; the running handler's ack comes before the transport closes."""
    seen: dict[str, Any] = {"order": []}
    worker = socketio.AsyncClient(reconnection=False)
    poller = socketio.AsyncClient(reconnection=False)
    for name, client in (("worker", worker), ("poller", poller)):
        client.on("disconnect", lambda reason=None, name=name: seen["order"].append((name, reason)))
    await worker.connect(url, transports=["websocket"], wait_timeout=5 * UNIT)
    await poller.connect(url, transports=["polling"], wait_timeout=5 * UNIT)

    async def slow() -> None:
        seen["order"].append(("worker", await worker.call("slow", timeout=5 * UNIT)))

    running = asyncio.create_task(slow())
    await asyncio.sleep(0.2 * UNIT)  # the handler is sleeping now
    assert await poller.call("shutdown", timeout=5 * UNIT) == "shutting down"
    handshake = f"{url}/socket.io/?EIO=4&transport=polling"
    refused = await asyncio.to_thread(requests.get, handshake, timeout=5 * UNIT)
    seen["polling"] = (refused.status_code, refused.headers.get("Connection"), refused.content)
    seen["draining"] = not running.done()
    try:
        ws = await asyncio.to_thread(
            websocket.create_connection,
            handshake.replace("http", "ws").replace("polling", "websocket"),
            timeout=5 * UNIT,
        )
        ws.close()
        seen["websocket"] = 101
    except websocket.WebSocketBadStatusException as exc:
        seen["websocket"] = exc.status_code
    await running
    deadline = time.monotonic() + 10 * UNIT
    while (worker.connected or poller.connected) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for client in (worker, poller):
        await client.disconnect()
    return seen


@pytest.mark.timeout(40 * UNIT)
@pytest.mark.parametrize("server", ["pywsgi", "uvicorn"])
def test_shutdown_waits_for_running_handlers_and_refuses_new_sessions(server: str) -> None:
    """``sio.shutdown()`` called by the application, on ``Server`` under pywsgi and on
    ``AsyncServer`` under a real uvicorn (the ASGI front-end's 503s, a WebSocket's too)."""
    build = "build" if server == "pywsgi" else "build_async"
    process = python_server(f"tests.apps.shutdown_app:{build}", server=server).start()
    try:
        seen = asyncio.run(_shutdown_scenario(process.url))
        assert process.wait_for_log("SHUTDOWN DONE")
        assert process.wait_for_log("DISCONNECT transport close\nDISCONNECT transport close")
    finally:
        process.stop()
    assert seen["polling"] == (503, "close", b""), seen
    assert seen["websocket"] == 503, seen
    assert seen["draining"], seen  # refused while the handler still ran
    # The running handler's ack, then the close (a transport-level one: not "server disconnect").
    order = seen["order"]
    assert order[0] == ("worker", "slow"), order
    assert sorted(name for name, _ in order[1:]) == ["poller", "worker"], order
    assert all(reason != "server disconnect" for _, reason in order[1:]), order
    assert "Traceback" not in process.log, process.log
