"""``gunicorn -w 2 -k gevent`` with a ``RedisManager``: a broadcast reaches the WebSocket clients
of both workers (without a manager it reaches only the clients of the worker that emits), and a
``call()`` from one worker reaches a client of the other. gunicorn's gevent worker monkey-patches
itself; each worker is a node of the cluster. (Polling without sticky sessions is not covered:
each long-polling client must stay on its worker.)"""

from __future__ import annotations

import os
import sys
import time

import gunicorn.config
import pytest

from tests.support.brokers import free_port, redis_server
from tests.support.cluster import Member, channel_name
from tests.support.servers import UNIT, ServerProcess

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def workers():
    with redis_server() as redis:
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "2"]
        argv += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2"]
        if hasattr(gunicorn.config, "ControlSocketDisable"):
            argv.append("--no-control-socket")  # one per user otherwise: tests would share it
        argv.append("tests.support.cluster_gunicorn:app")
        os.environ["GREENSIO_TEST_REDIS_URL"] = redis.url
        os.environ["GREENSIO_TEST_CHANNEL"] = channel_name()
        server = ServerProcess(argv, port=port)
        try:
            server.start(ready_line="WORKER READY")
            deadline = time.monotonic() + 20 * UNIT
            while server.log.count("WORKER READY") < 2:
                assert time.monotonic() < deadline, server.log
                time.sleep(0.05)
            yield server
        finally:
            del os.environ["GREENSIO_TEST_REDIS_URL"], os.environ["GREENSIO_TEST_CHANNEL"]
            server.stop()
        assert "Traceback" not in server.log, server.log


def one_on_each_worker(url: str) -> tuple[list[Member], dict[int, Member]]:
    """Clients until both workers have one (the kernel picks the worker of each connection)."""
    made: list[Member] = []
    by_pid: dict[int, Member] = {}
    while len(by_pid) < 2:
        assert len(made) < 40, "every connection went to the same worker"
        member = Member(url, answer="hi")
        made.append(member)
        by_pid.setdefault(member.do("pid"), member)
    return made, by_pid


def test_a_broadcast_and_a_call_cross_gunicorn_workers(workers):
    made, by_pid = one_on_each_worker(workers.url)
    try:
        first, second = by_pid.values()
        deadline = time.monotonic() + 10 * UNIT
        while not first.got("probe"):  # until the other worker has subscribed
            assert time.monotonic() < deadline, "the workers did not subscribe"
            second.do("emit", event="probe", to=first.sid)
            time.sleep(0.1 * UNIT)
        assert first.do("emit", event="hello", data="to all") == "ok"
        for member in made:
            assert member.record.wait_for("hello") == ("to all",)
        assert first.do("call", event="ask", data=1, to=second.sid) == {"answer": "hi", "args": [1]}
    finally:
        for member in made:
            member.close()
