"""Restarts under a real ``gunicorn -k gevent``: SIGTERM to the worker (the master respawns it)
or SIGHUP to the master (a reload) closes every connection cleanly and the clients reconnect to
the new worker; no acked emit is lost; the log has no traceback (greensio/engineio/shutdown.py).

python-socketio's asyncio client over WebSocket (its reconnect task dies on a polling retry
that meets the old worker's closed keep-alive connection: a client-side limitation).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
import socketio

from tests.interop.conftest import IMPL
from tests.interop.test_gunicorn import Gunicorn
from tests.support.servers import UNIT

pytestmark = [
    pytest.mark.timeout(90 * UNIT),
    pytest.mark.skipif(IMPL != "greensio", reason="greensio's own gunicorn deployment"),
]

CLIENTS = 20


async def _until(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _restart(url: str, master: int, how: str) -> tuple[list[str], set[int], int, int]:
    reasons: list[str] = []
    clients = []
    try:
        for _ in range(CLIENTS):
            client = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=1)
            client.on("disconnect", lambda reason=None: reasons.append(str(reason)))
            await client.connect(url, transports=["websocket"], wait_timeout=10 * UNIT)
            clients.append(client)
        acked: set[int] = set()
        numbers = iter(range(1_000_000))
        for client in clients:
            number = next(numbers)
            if await client.call("record", number, timeout=10 * UNIT) == number:
                acked.add(number)
        old_pid = await clients[0].call("pid", timeout=10 * UNIT)
        if how == "sigterm-worker":
            os.kill(old_pid, signal.SIGTERM)
        else:  # a reload: new workers, then SIGTERM to the old one
            os.kill(master, signal.SIGHUP)
        assert await _until(lambda: len(reasons) >= CLIENTS, 20 * UNIT), reasons
        assert await _until(lambda: all(c.connected for c in clients), 30 * UNIT)
        new_pid = await clients[0].call("pid", timeout=10 * UNIT)
        for client in clients:  # the new worker serves everyone
            number = next(numbers)
            if await client.call("record", number, timeout=10 * UNIT) == number:
                acked.add(number)
        return reasons, acked, old_pid, new_pid
    finally:
        for client in clients:
            await client.disconnect()


@pytest.mark.parametrize("how", ["sigterm-worker", "sighup-master"])
def test_a_restart_reconnects_everyone(tmp_path: Path, how: str) -> None:
    log = tmp_path / "records"
    server = Gunicorn("tests.apps.restarts_gunicorn:app", env={"RESTARTS_LOG": str(log)}).start()
    try:
        reasons, acked, old_pid, new_pid = asyncio.run(_restart(server.url, server.proc.pid, how))  # type: ignore[union-attr]
    finally:
        server.stop()
    assert new_pid != old_pid
    # Every client saw a transport-level close, never "server disconnect" (no reconnection then).
    assert len(reasons) >= CLIENTS and "server disconnect" not in reasons[:CLIENTS], reasons
    lines = log.read_text().splitlines()
    recorded = {int(line.split()[1]) for line in lines if line.startswith("record ")}
    assert len(acked) == 2 * CLIENTS and acked <= recorded
    assert lines.count("disconnect transport close") >= CLIENTS, lines
    assert "Traceback" not in server.log and "ERROR" not in server.log, server.log
    assert "closing" in server.log or "Worker exiting" in server.log
