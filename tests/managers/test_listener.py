"""The subscriber task on the fake backend: reconnect with backoff, the health check, dispatch."""

from __future__ import annotations

import logging

import pytest

from greensio.backends.fake import FakeBackend
from greensio.managers.listener import ALIVE, Listener

pytestmark = pytest.mark.timeout(30)
log = logging.getLogger("tests.listener")


class Subscription:
    """Hands out ``script`` items (a message, None for silence, an exception to raise); an
    answered ping puts ALIVE next, a silent connection answers nothing."""

    def __init__(self, backend: FakeBackend, script: list, answers_pings: bool = True) -> None:
        self.backend = backend
        self.script = list(script)
        self.answers_pings = answers_pings
        self.pings = 0
        self.closed = False

    def get(self, timeout: float):
        if self.script:
            item = self.script.pop(0)
            if isinstance(item, Exception):
                raise item
            if item is not None:
                return item
        self.backend.sleep(timeout)
        return None

    def ping(self) -> None:
        self.pings += 1
        if self.answers_pings:
            self.script.insert(0, ALIVE)

    def close(self) -> None:
        self.closed = True


def make(subscriptions: list, failures: int = 0):
    backend = FakeBackend()
    got: list = []
    made: list[Subscription] = []
    state = {"failures": failures}

    def subscribe(address: str) -> Subscription:
        assert address == "chan"
        if state["failures"]:
            state["failures"] -= 1
            raise ConnectionRefusedError("down")
        subscription = subscriptions.pop(0)(backend)
        made.append(subscription)
        return subscription

    listener = Listener(backend, "chan", subscribe, got.append, log, interval=2.0).start()
    return backend, listener, got, made


def test_messages_are_dispatched_and_a_lost_connection_is_replaced() -> None:
    backend, listener, got, made = make(
        [
            lambda b: Subscription(b, [b"one", OSError("reset"), b"lost"]),
            lambda b: Subscription(b, [b"two"]),
        ],
        failures=3,
    )
    backend.advance(5)
    assert got == [b"one", b"two"]
    assert listener.subscriptions == 2 and made[0].closed
    assert listener.subscribed.is_set()


def test_a_silent_subscription_is_pinged_then_replaced() -> None:
    backend, listener, got, made = make(
        [
            lambda b: Subscription(b, [b"one"], answers_pings=False),
            lambda b: Subscription(b, [b"two"]),
        ]
    )
    backend.advance(1)
    assert got == [b"one"] and listener.subscriptions == 1
    backend.advance(6)  # 2 s of silence, a ping, 2 s more without an answer
    assert made[0].pings == 1 and made[0].closed
    assert got == [b"one", b"two"] and listener.subscriptions == 2
    listener.closed = True
    backend.advance(3)


def test_an_answered_ping_keeps_the_subscription() -> None:
    backend, listener, got, made = make([lambda b: Subscription(b, [])])
    backend.advance(20)
    assert made[0].pings >= 3 and not made[0].closed and listener.subscriptions == 1
    assert got == []  # ALIVE is not a message
    listener.closed = True
    backend.advance(3)
