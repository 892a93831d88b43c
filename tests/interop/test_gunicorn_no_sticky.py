"""``gunicorn -w 3 -k gevent`` with a ``RedisManager`` and no sticky sessions: polling clients
whose requests land on any worker are served through the worker that owns their session
(greensio/engineio/forwarding.py). python-socketio's ``Client``, polling only."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import gunicorn.config
import pytest
import socketio as psio

from tests.support.brokers import free_port, redis_server
from tests.support.cluster import channel_name
from tests.support.servers import UNIT, ServerProcess

JS_DIR = Path(__file__).parent / "js"

pytestmark = pytest.mark.timeout(180)

WORKERS = 3
CLIENTS = 12
#: New sessions tried, one at a time, while every session is on one worker.
MORE_TRIES = 40


@pytest.fixture(scope="module")
def server():
    with redis_server() as redis:
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", str(WORKERS)]
        argv += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2"]
        if hasattr(gunicorn.config, "ControlSocketDisable"):
            argv.append("--no-control-socket")
        argv.append("tests.apps.no_sticky:app")
        env = {"GREENSIO_TEST_REDIS_URL": redis.url, "GREENSIO_TEST_CHANNEL": channel_name()}
        proc = ServerProcess(argv, port=port, env=env)
        try:
            proc.start(ready_line="WORKER READY")
            deadline = time.monotonic() + 30 * UNIT
            while proc.log.count("WORKER READY") < WORKERS:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            proc.redis = redis
            yield proc
        finally:
            proc.stop()


def _client(url: str, received: list, questions: list) -> psio.Client:
    client = psio.Client(reconnection=False)
    client.on("echoed", lambda data: received.append(("echoed", data)))
    client.on("shouted", lambda data: received.append(("shouted", data)))

    def question(data):
        questions.append(data)
        return ["answer", data]

    client.on("question", question)
    client.connect(url, transports=["polling"], wait_timeout=10 * UNIT)
    return client


def _counters(server) -> dict[int, tuple[int, int]]:
    """Each worker's (forwarded, tunnelled) counts, asking ``/`` until all have answered."""
    seen: dict[int, tuple[int, int]] = {}
    for _ in range(200):
        with urllib.request.urlopen(server.url + "/", timeout=10 * UNIT) as response:
            pid, forwarded, tunnelled = map(int, response.read().split())
        seen[pid] = (forwarded, tunnelled)
        if len(seen) == WORKERS:
            break
    assert len(seen) == WORKERS, seen
    return seen


def _status(server, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(server.url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10 * UNIT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait(condition, what: str, seconds: float = 20 * UNIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_polling_clients_across_workers(server):
    received = [[] for _ in range(CLIENTS)]
    questions = [[] for _ in range(CLIENTS)]
    clients = []
    try:
        for i in range(CLIENTS):
            clients.append(_client(server.url, received[i], questions[i]))
        owners = [c.call("whoami", timeout=10 * UNIT) for c in clients]
        # Which worker accepts a connection is the kernel's choice: under load one worker may
        # take them all. Reconnect the last client (a new session) until two workers own some.
        for _ in range(MORE_TRIES):
            if len({o["pid"] for o in owners}) >= 2:
                break
            clients[-1].disconnect()
            received[-1].clear()
            clients[-1] = _client(server.url, received[-1], questions[-1])
            owners[-1] = clients[-1].call("whoami", timeout=10 * UNIT)
        assert all(o["transport"] == "polling" for o in owners)
        pids = {o["pid"] for o in owners}
        assert len(pids) >= 2, f"every session on one worker after {MORE_TRIES} more: {pids}"
        # Events in order, and acks, each client's requests spread over the workers.
        for c in clients:
            for n in range(10):
                assert c.call("echo", n, timeout=10 * UNIT) == n
        for i in range(CLIENTS):
            _wait(lambda i=i: len(received[i]) >= 10, f"echoes for client {i}")
            assert received[i][:10] == [("echoed", n) for n in range(10)]
        # Rooms and a broadcast across workers.
        for c in clients[::2]:
            assert c.call("join", "evens", timeout=10 * UNIT) == "evens"
        assert clients[1].call("shout", ("evens", "hi"), timeout=10 * UNIT) is True
        for i in range(0, CLIENTS, 2):
            _wait(lambda i=i: ("shouted", "hi") in received[i], f"broadcast to client {i}")
        assert all(("shouted", "hi") not in received[i] for i in range(1, CLIENTS, 2))
        # call() from a worker to a client another worker owns.
        a, b = next(
            (i, j)
            for i in range(CLIENTS)
            for j in range(CLIENTS)
            if owners[i]["pid"] != owners[j]["pid"]
        )
        answer = clients[a].call("ask", (owners[b]["sid"], "q?"), timeout=20 * UNIT)
        assert answer == ["answer", "q?"]
        assert questions[b] == ["q?"]
        # Requests were forwarded: the workers say how many.
        assert sum(n for n, _ in _counters(server).values()) > 0, server.log
    finally:
        for c in clients:
            c.disconnect()


def _run_js(server, count: int, transports: list[str]) -> list[dict]:
    done = subprocess.run(
        ["node", str(JS_DIR / "no_sticky_client.js"), server.url, str(count)]
        + [json.dumps(transports)],
        capture_output=True,
        text=True,
        timeout=60 * UNIT,
        cwd=JS_DIR,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"{done.stdout}\n{done.stderr}\n{server.log}"
    return json.loads(lines[-1])


@pytest.mark.parametrize("transports", [["polling"], ["polling", "websocket"]])
def test_js_clients_across_workers(server, transports):
    # (as above: the kernel may give one worker every connection; a run is repeated then)
    for _ in range(3):
        seen = _run_js(server, CLIENTS, transports)
        if len({s["first"]["pid"] for s in seen}) >= 2:
            break
    assert len(seen) == CLIENTS
    assert len({s["first"]["pid"] for s in seen}) >= 2
    for s in seen:
        assert s["acks"] == [0, 1, 2, 3, 4]
        assert s["echoed"] == [0, 1, 2, 3, 4]
        assert s["last"]["pid"] == s["first"]["pid"]  # the session stayed with its owner
        want = "websocket" if "websocket" in transports else "polling"
        assert s["transport"] == want and s["last"]["transport"] == want
    if "websocket" in transports:  # 12 upgrades: some landed on a worker that is not the owner
        assert sum(t for _, t in _counters(server).values()) > 0


def test_unknown_sid_everywhere_is_400(server):
    for sid in ("A" * 20, "short", "x" * 40):
        for _ in range(WORKERS * 2):
            status, body = _status(server, f"/socket.io/?EIO=4&transport=polling&sid={sid}")
            assert status == 400 and b"Session ID unknown" in body


def test_forged_internal_headers_are_ignored_on_the_public_side(server):
    client = psio.Client(reconnection=False)
    try:
        client.connect(server.url, transports=["polling"], wait_timeout=10 * UNIT)
        eio_sid = client.eio.sid
        forged = {"X-Greensio-Forward-Token": "guess", "X-Greensio-Client-Addr": "6.6.6.6"}
        # A made-up sid with forged headers: still unknown, on every worker.
        for _ in range(WORKERS * 2):
            status, _ = _status(
                server, "/socket.io/?EIO=4&transport=polling&sid=" + "B" * 20, forged
            )
            assert status == 400
        assert client.call("whoami", timeout=10 * UNIT)["sid"] == client.get_sid()
        # Each worker's private endpoint, as registered: without its token, 403 (the session
        # exists, but a forged token opens nothing); the session's owner id names one of them.
        keys = server.redis.cli("--scan", "--pattern", "greensio:owner:*").split()
        assert len(keys) == WORKERS
        assert any(key.endswith(":" + eio_sid[:6]) for key in keys)
        for key in keys:
            address, _token = server.redis.cli("GET", key).strip().split(" ")
            url = f"http://{address}/socket.io/?EIO=4&transport=polling&sid={eio_sid}"
            for headers in ({}, forged):
                request = urllib.request.Request(url, headers=headers)
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(request, timeout=10 * UNIT)
                assert refused.value.code == 403
        assert client.call("whoami", timeout=10 * UNIT)["sid"] == client.get_sid()
    finally:
        client.disconnect()
