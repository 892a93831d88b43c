"""Slow consumers are bounded (``max_outbound_buffer``): a client that stops reading while ~100 MB
is emitted to it is disconnected ("transport error", a warning naming it and the limit), a
normal client on the same server keeps getting every message, and the server's RSS stays
bounded. Both transports: a WebSocket client on a socket with a tiny receive buffer that never
reads, and a polling client that never sends its next GET.

The server (``build`` below, run by ``tests.support.serve`` under gevent's pywsgi) floods on
request: ``flood`` with ``{"to": sid, "mb": n}`` emits n ``blob`` events of 1 MiB to ``sid`` and,
after each, a ``tick`` to the asking client.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest
import requests
import websocket

from tests.soak.run import rss_mb
from tests.support.client_servers import wait_until
from tests.support.peers import Peer
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(120)

APP = "tests.engineio.test_outbound_limit:build"
LIMIT = 4 * 1024 * 1024
FLOOD_MB = 100
BLOB = "x" * (1024 * 1024)
#: How far the server's RSS may rise over its warm baseline while 100 MB goes to a client that
#: does not read (with the limit at 4 MiB; without it, the rise is the whole 100 MB and more).
RSS_MARGIN_MB = 48


def build(greensio, **options):
    """The flooding server (see the module docstring); its warnings go to stderr."""
    sio = greensio.Server(
        async_mode="gevent", engineio_logger=logging.getLogger("tests.outbound"), **options
    )
    reasons: dict[str, str] = {}

    @sio.on("flood")
    def flood(sid, request):
        def run():
            for i in range(request["mb"]):
                sio.emit("blob", BLOB, to=request["to"])
                sio.emit("tick", i, to=sid)
                sio.sleep(0)

        sio.start_background_task(run)
        return "started"

    @sio.on("reasons")
    def get_reasons(sid):
        return reasons

    @sio.event
    def disconnect(sid, reason):
        reasons[sid] = str(reason)

    return greensio.WSGIApp(sio)


def build_async(greensio, **options):
    """The same server on ``AsyncServer``, for uvicorn."""
    sio = greensio.AsyncServer(engineio_logger=logging.getLogger("tests.outbound"), **options)
    reasons: dict[str, str] = {}

    @sio.on("flood")
    async def flood(sid, request):
        async def run():
            for i in range(request["mb"]):
                await sio.emit("blob", BLOB, to=request["to"])
                await sio.emit("tick", i, to=sid)
                await sio.sleep(0)

        sio.start_background_task(run)
        return "started"

    @sio.on("reasons")
    async def get_reasons(sid):
        return reasons

    @sio.event
    async def disconnect(sid, reason):
        reasons[sid] = str(reason)

    return greensio.ASGIApp(sio)


class RssSampler:
    """The peak RSS of a process, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(5 * UNIT)
        return self.peak


@pytest.fixture(params=["pywsgi", "uvicorn"])
def server(request):
    app = APP if request.param == "pywsgi" else APP + "_async"
    proc = python_server(app, server=request.param, max_outbound_buffer=LIMIT).start()
    try:
        yield proc
    finally:
        proc.stop()


def websocket_reader_that_stops(url: str) -> tuple[websocket.WebSocket, str]:
    """A raw WebSocket client with a 4 KiB receive buffer: it joins "/", then never reads."""
    ws = websocket.create_connection(
        url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
        timeout=5 * UNIT,
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
    )
    assert ws.recv().startswith("0{")
    ws.send("40")
    reply = ws.recv()
    assert reply.startswith("40{"), reply
    return ws, json.loads(reply[2:])["sid"]


def poller_that_stops(url: str) -> tuple[requests.Session, str]:
    """A raw polling client: handshake, CONNECT "/", the reply fetched; then no more GETs."""
    http = requests.Session()
    base = url + "/socket.io/?EIO=4&transport=polling"
    opened = http.get(base, timeout=5 * UNIT).text
    eio_sid = json.loads(opened[1:])["sid"]
    base += "&sid=" + eio_sid
    assert http.post(base, data="40", timeout=5 * UNIT).text == "ok"
    reply = http.get(base, timeout=5 * UNIT).text
    assert reply.startswith("40{"), reply
    return http, json.loads(reply[2:])["sid"]


def flood_and_measure(server, stalled_sid: str) -> tuple[Peer, float, float]:
    """Flood ``stalled_sid`` from a normal client; returns it, the baseline and the peak RSS."""
    normal = Peer(events=["tick"]).connect(server.url, transports=["websocket"])
    time.sleep(0.2 * UNIT)  # the connections settled
    baseline = rss_mb(server.proc.pid)
    sampler = RssSampler(server.proc.pid)
    try:
        assert normal.sio.call("flood", {"to": stalled_sid, "mb": FLOOD_MB}) == "started"
        normal.record.wait_for("tick", timeout=60 * UNIT, count=FLOOD_MB)
    finally:
        peak = sampler.stop()
    return normal, baseline, peak


def check(server, normal: Peer, stalled_sid: str, baseline: float, peak: float) -> None:
    ticks = [args[0] for args in normal.record.all("tick")]
    assert ticks == list(range(FLOOD_MB))  # the normal client got every one, in order
    reasons = normal.sio.call("reasons")
    assert reasons.get(stalled_sid) == "transport error"
    assert normal.sio.connected
    wait_until(lambda: "max_outbound_buffer" in server.log, 5 * UNIT)
    warning = next(line for line in server.output if "max_outbound_buffer" in line)
    assert warning.startswith("WARNING") and f"={LIMIT} " in warning
    print(f"server RSS: baseline {baseline:.1f} MB, peak {peak:.1f} MB during the flood")
    assert peak - baseline < RSS_MARGIN_MB, (baseline, peak)


@pytest.mark.parametrize(
    "stalled_client", [websocket_reader_that_stops, poller_that_stops], ids=["websocket", "polling"]
)
def test_client_that_stops_reading_is_disconnected(server, stalled_client):
    client, sid = stalled_client(server.url)
    try:
        normal, baseline, peak = flood_and_measure(server, sid)
        try:
            check(server, normal, sid, baseline, peak)
        finally:
            normal.close()
    finally:
        client.close()
