"""PendingAcks: callbacks and waiters by ack id, failing fast, bounded, and stale timers."""

from __future__ import annotations

import threading

import pytest

from greensio import exceptions
from greensio.acks import PendingAcks
from greensio.backends.threading import ThreadingBackend
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(10 * UNIT)


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple] = []
        self.event = threading.Event()

    def __call__(self, *args: object) -> None:
        self.seen.append(args)
        self.event.set()

    def wait(self) -> list[tuple]:
        assert self.event.wait(3 * UNIT)
        return self.seen


@pytest.fixture
def acks() -> PendingAcks:
    return PendingAcks(ThreadingBackend(), limit=3)


def test_resolve_calls_the_callback_with_the_ack(acks) -> None:
    calls = Calls()
    acks.add_callback("/", 0, calls, reports_errors=False)
    acks.resolve(0, [1, "two"])
    assert calls.wait() == [(1, "two")]
    assert len(acks) == 0


def test_a_waiter_is_woken_with_the_args(acks) -> None:
    waiter = acks.add_waiter("/", 5)
    acks.resolve(5, ["ok"])
    assert waiter.event.wait(0) and waiter.args == ["ok"] and waiter.error is None


def test_expiry_reports_a_timeout_only_to_callbacks_that_asked(acks) -> None:
    reported, silent = Calls(), Calls()
    first = acks.add_callback("/", 0, reported, reports_errors=True)
    second = acks.add_callback("/", 1, silent, reports_errors=False)
    acks.expire(0, first)
    acks.expire(1, second)
    [(error,)] = reported.wait()
    assert isinstance(error, exceptions.TimeoutError)
    assert silent.seen == [] and len(acks) == 0


def test_a_stale_timer_does_not_fail_a_newer_ack_with_the_same_id(acks) -> None:
    # A client's ack ids start again at 0 on each new connection.
    old = acks.add_callback("/", 0, Calls(), reports_errors=True)
    acks.fail_namespace(None)  # the connection dropped
    waiter = acks.add_waiter("/", 0)  # the new connection's first ack id
    acks.expire(0, old)  # the old timer fires late
    assert not waiter.event.is_set()
    acks.discard(0, old)
    assert len(acks) == 1
    acks.resolve(0, ["new"])
    assert waiter.args == ["new"]


def test_leaving_a_namespace_fails_its_acks_at_once(acks) -> None:
    chat, other = acks.add_waiter("/chat", 0), acks.add_waiter("/", 1)
    acks.fail_namespace("/chat")
    assert isinstance(chat.error, exceptions.DisconnectedError)
    assert not other.event.is_set()


def test_the_oldest_is_dropped_past_the_limit(acks) -> None:
    first = acks.add_waiter("/", 0)
    for ack_id in (1, 2, 3):
        acks.add_waiter("/", ack_id)
    assert isinstance(first.error, exceptions.TimeoutError)
    assert len(acks) == 3
