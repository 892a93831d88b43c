"""greensio.backends.relay under gevent (in a child process, as every gevent check in this suite:
the pytest process runs no gevent hub). End to end, the relay is what lets a handler run by a
WebSocket reader ``call()`` the same client (tests/server/test_server.py)."""

from __future__ import annotations

import json
import threading

import pytest

from greensio.backends.relay import run_here_in_order
from greensio.backends.tasks import TaskQueue
from greensio.backends.threading import ThreadingBackend
from tests.backends.test_backends import run_python
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)

CHECKS = """
import json, gevent, greenlet
from greensio.backends.gevent import GeventBackend
from greensio.backends.relay import ReaderRelay

backend = GeventBackend()
out = {}

# A handler that does not block: it runs in the reader, nobody else reads.
resumed = []
relay = ReaderRelay(backend, lambda r: resumed.append(greenlet.getcurrent()) or True)
inside = []
kept = relay.dispatch(lambda: inside.append(relay.may_run_inline()))
gevent.sleep(0.01)
out["quick"] = [kept, inside, relay.may_run_inline(), len(resumed), relay.done is None]

# A handler that blocks: a new task reads on while it sleeps; it reads no more afterwards.
reader = greenlet.getcurrent()
seen = {}

def read_on(r):
    seen["reader_is_new"] = r.reader is greenlet.getcurrent() and r.reader is not reader
    seen["handler_still_blocked"] = not finished
    return True  # ended the connection

finished = False

def blocking():
    global finished
    gevent.sleep(0.05)
    finished = True

relay = ReaderRelay(backend, read_on)
kept = relay.dispatch(blocking)
out["blocked"] = [kept, seen, relay.done.wait(1), relay.may_run_inline()]

# The task that read on fails: the connection still counts as ended (nobody else would say so).
def failing(r):
    raise RuntimeError("reader failed (expected by the test)")

relay = ReaderRelay(backend, failing)
kept = relay.dispatch(gevent.sleep, 0.01)
out["failed"] = [kept, relay.done.wait(1)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def results() -> dict:
    return json.loads(run_python(["-c", CHECKS]).strip().splitlines()[-1])


def test_a_handler_that_does_not_block_keeps_the_reader(results):
    kept, inside, outside, resumed, done = results["quick"]  # done: relay.done is None
    assert kept is True
    assert inside == [True]  # work dispatched by the reader may run inline
    assert outside is False  # not while the reader is not dispatching
    assert resumed == 0
    assert done is True  # no hand-over: no event to wait on was even made


def test_a_handler_that_blocks_hands_the_reading_on(results):
    kept, seen, done, may_run_inline = results["blocked"]
    assert kept is False  # the blocked reader stops reading once its handler returns
    assert seen == {"reader_is_new": True, "handler_still_blocked": True}
    assert done is True
    assert may_run_inline is False


def test_a_failing_new_reader_still_ends_the_connection(results):
    kept, done = results["failed"]
    assert kept is False
    assert done is True


def test_run_here_in_order_runs_in_the_caller_when_idle_and_queues_otherwise():
    queue = TaskQueue(ThreadingBackend())
    where: list[tuple[str, bool]] = []
    me = threading.current_thread()

    def first() -> None:
        where.append(("first", threading.current_thread() is me))
        run_here_in_order(queue, second)  # busy (this call runs): queued, run after this one

    def second() -> None:
        where.append(("second", threading.current_thread() is me))

    run_here_in_order(queue, first)
    assert where == [("first", True), ("second", True)]
