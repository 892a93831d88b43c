"""greensio.backends.tasks: per-peer ordered queues and guarded handler calls (threading
backend, in-process; the gevent backend's tasks are checked in test_backends.py)."""

from __future__ import annotations

import contextvars
import logging
import threading

import pytest

from greensio.backends.tasks import TaskQueue, run_guarded
from greensio.backends.threading import ThreadingBackend
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_run_guarded_logs_a_failure_and_returns(caplog):
    def broken() -> None:
        raise ValueError("handler bug (expected by the test)")

    with caplog.at_level(logging.ERROR, logger="greensio"):
        run_guarded(broken, ())
    assert "broken" in caplog.text and "handler bug" in caplog.text


def test_each_guarded_call_starts_with_fresh_context_variables():
    seen: list[str] = []

    def handler(value: str) -> None:
        seen.append(VAR.get())
        VAR.set(value)

    run_guarded(handler, ("first",))
    run_guarded(handler, ("second",))
    assert seen == ["unset", "unset"]
    assert VAR.get() == "unset"  # nor does a call leak into its caller


def test_run_in_order_keeps_order_across_a_blocking_call():
    queue = TaskQueue(ThreadingBackend())
    done = threading.Event()
    gate = threading.Event()
    order: list[int] = []

    def step(i: int) -> None:
        if i == 0:
            gate.wait(5 * UNIT)  # the later calls queue up meanwhile
        order.append(i)
        if i == 9:
            done.set()

    for i in range(10):
        queue.run_in_order(step, i)
    gate.set()
    assert done.wait(5 * UNIT)
    assert order == list(range(10))


def test_a_queue_logs_failures_on_its_own_logger(caplog):
    mine = logging.getLogger("tests.backends.mine")
    caplog.set_level(logging.DEBUG, logger=mine.name)
    done = threading.Event()

    def broken() -> None:
        raise ValueError("handler bug (expected by the test)")

    queue = TaskQueue(ThreadingBackend(), mine)
    queue.run_in_order(broken)
    queue.run_in_order(done.set)
    assert done.wait(5 * UNIT)
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (record.name, record.levelname) == (mine.name, "ERROR")
    assert "broken" in record.getMessage() and record.exc_info is not None
