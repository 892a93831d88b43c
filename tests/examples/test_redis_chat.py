"""examples/redis_chat as two nodes (two real ``gunicorn -k gevent`` servers, one worker each: the
kernel does not spread one listening socket's connections over gevent workers, so a test of
``-w 2`` cannot choose where its clients land) on a real redis-server: a message reaches a client
of the other node, and the write-only emitter script (emitter.py) reaches a client and gets its
answer."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
import socketio

from tests.interop.test_gunicorn import Gunicorn
from tests.support.brokers import redis_server
from tests.support.servers import ROOT, UNIT

pytestmark = pytest.mark.timeout(90 * UNIT)


@pytest.fixture(scope="module")
def cluster():
    with redis_server() as redis:
        env = {"REDIS_URL": redis.url}
        nodes = []
        try:
            for _ in range(2):
                nodes.append(Gunicorn("examples.redis_chat.app:app", env=env).start())
            yield nodes, redis.url
        finally:
            for node in nodes:
                node.stop()
        for node in nodes:
            assert "Traceback" not in node.log, node.log


class Chatter:
    def __init__(self, url: str) -> None:
        self.sio = socketio.Client()
        self.got: dict[str, list] = {"message": [], "report": []}
        self.arrived = threading.Event()
        for event in self.got:
            self.sio.on(event, self._recorder(event))
        self.sio.on("question", lambda text: f"{text} yes")
        self.sio.connect(url, transports=["websocket"])
        self.me = self.sio.call("whoami", timeout=5 * UNIT)

    def _recorder(self, event: str):
        def record(data):
            self.got[event].append(data)
            self.arrived.set()

        return record


def test_a_message_reaches_the_other_worker_and_the_emitter_reaches_a_client(cluster):
    nodes, redis_url = cluster
    sender, other = Chatter(nodes[0].url), Chatter(nodes[1].url)
    chatters = [sender, other]
    assert sender.me["pid"] != other.me["pid"]
    sender.sio.emit("message", "hello from one worker")
    assert other.arrived.wait(10 * UNIT)
    assert other.got["message"] == [{"text": "hello from one worker"}]

    other.arrived.clear()
    done = subprocess.run(
        [sys.executable, "-m", "examples.redis_chat.emitter", other.me["sid"]],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL=redis_url),
        capture_output=True,
        text=True,
        timeout=30 * UNIT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "answer: ready? yes"
    assert other.got["report"] == [{"done": True}]
    for chatter in chatters:
        chatter.sio.disconnect()
