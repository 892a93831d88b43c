"""What a node does with another node's emit: two ``RedisManager``\\ s on a real redis-server,
in this process (threads), each with a recording ``Delivery``; the receiving node's delivery is
volatile when the emitter's was. (The two-process runs: tests/managers/test_pubsub.py and
tests/server/test_recovery_nodes.py.)"""

from __future__ import annotations

import threading
from typing import Any

import pytest

import greensio
from greensio.backends import get_backend
from greensio.managers.delivery import volatile
from greensio.transports.frames import PreparedMessages
from tests.managers.test_base import RecordingDelivery
from tests.support.cluster import channel_name
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)


class VolatileRecorder(RecordingDelivery):
    """Records ``(event, args, volatile)`` of each EVENT it encodes."""

    def __init__(self) -> None:
        super().__init__()
        self.backend = get_backend("threading")
        self.seen: list[tuple[str, list[Any], bool]] = []
        self.arrived = threading.Condition()

    def encode_event(self, namespace: str, event: str, args: list[Any]) -> PreparedMessages:
        with self.arrived:
            self.seen.append((event, args, volatile.get()))
            self.arrived.notify_all()
        return super().encode_event(namespace, event, args)

    def disconnect(self, sid: str, namespace: str) -> None:
        pass

    def wait_for(self, count: int) -> list[tuple[str, list[Any], bool]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.seen) >= count, 10 * UNIT), self.seen
            return list(self.seen)


@pytest.fixture
def pair(redis):
    channel = channel_name()
    managers = [greensio.RedisManager(redis.url, channel=channel) for _ in range(2)]
    deliveries = [VolatileRecorder() for _ in managers]
    for manager, delivery in zip(managers, deliveries, strict=True):
        manager.set_server(delivery)
        assert manager.listener is not None and manager.listener.subscribed.wait(10 * UNIT)
    managers[1].connect("eio-b", "/", "b1")
    yield managers, deliveries
    for manager in managers:
        manager.close()


def test_volatile_crosses_nodes_as_an_argument_or_the_context_variable(pair):
    (a, _b), (_da, db) = pair
    a.emit("plain", [1], "/", room="b1")
    a.emit("flagged", [2], "/", room="b1", volatile=True)
    token = volatile.set(True)
    try:
        a.emit("in-context", [3], "/", room=None)
    finally:
        volatile.reset(token)
    a.emit("plain-again", [4], "/", room="b1")
    assert db.wait_for(4) == [
        ("plain", [1], False),
        ("flagged", [2], True),
        ("in-context", [3], True),
        ("plain-again", [4], False),
    ]
