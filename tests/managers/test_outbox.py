"""The publish buffer on the fake backend: order, the bound, retries with backoff, recovery."""

from __future__ import annotations

import logging

import pytest

from greensio.backends.fake import FakeBackend
from greensio.managers.outbox import Outbox

pytestmark = pytest.mark.timeout(30)


class Broker:
    """A stand-in broker that is up or down; what it got, in order."""

    def __init__(self) -> None:
        self.up = True
        self.got: list[tuple[str | None, bytes]] = []
        self.resets = 0
        self.recoveries = 0

    def publish(self, address: str | None, body: bytes) -> None:
        if not self.up:
            raise ConnectionRefusedError("down")
        self.got.append((address, body))

    def reset(self) -> None:
        self.resets += 1

    def recover(self) -> None:
        self.recoveries += 1


def make(limit: int = 10) -> tuple[FakeBackend, Broker, Outbox]:
    backend, broker = FakeBackend(), Broker()
    outbox = Outbox(
        backend,
        broker.publish,
        broker.reset,
        logging.getLogger("tests.outbox"),
        recover=broker.recover,
        limit=limit,
    )
    return backend, broker, outbox


def test_messages_go_out_in_order_and_put_never_blocks() -> None:
    backend, broker, outbox = make()
    outbox.put(None, b"1")
    outbox.put("reply", b"2")
    assert broker.got == []  # nothing published by put itself
    backend.run()
    assert broker.got == [(None, b"1"), ("reply", b"2")]
    assert len(outbox) == 0


def test_while_the_broker_is_down_messages_wait_and_go_out_after(caplog) -> None:
    backend, broker, outbox = make()
    broker.up = False
    for n in range(5):
        outbox.put(None, b"%d" % n)
    backend.advance(30)
    assert broker.got == [] and len(outbox) == 5
    assert broker.resets == outbox.failures > 3  # retried with backoff, not in a tight loop
    assert outbox.failures < 30
    broker.up = True
    backend.advance(6)  # the longest backoff is 5 s
    assert [body for _, body in broker.got] == [b"0", b"1", b"2", b"3", b"4"]
    assert broker.recoveries >= 1 and outbox.failures == 0  # recover() before each retry
    assert sum("cannot publish" in r.message for r in caplog.records) == 1  # one warning


def test_past_the_bound_the_oldest_are_dropped_with_one_warning(caplog) -> None:
    backend, broker, outbox = make(limit=3)
    broker.up = False
    for n in range(8):
        outbox.put(None, b"%d" % n)
    assert len(outbox) == 3 and outbox.dropped == 5 and outbox.dropped_total == 5
    assert sum("dropping the oldest" in r.message for r in caplog.records) == 1
    broker.up = True
    backend.advance(6)
    assert [body for _, body in broker.got] == [b"5", b"6", b"7"]
    assert outbox.dropped == 0 and outbox.dropped_total == 5


def test_drain_waits_for_the_queue_and_stop_ends_the_task() -> None:
    backend, broker, outbox = make()
    outbox.put(None, b"x")
    assert outbox.drain(1.0)
    assert broker.got == [(None, b"x")]
    broker.up = False
    outbox.put(None, b"y")
    assert not outbox.drain(1.0)
    outbox.stop()
    backend.advance(10)
    assert not outbox.drain(1.0)  # stopped: the rest stays queued


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Outbox(FakeBackend(), Broker().publish, Broker().reset, logging.getLogger(), limit=0)


class BatchBroker(Broker):
    """A broker that takes several messages in one round trip (``Outbox.publish_many``)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def publish_many(self, batch: list[tuple[str | None, bytes]]) -> None:
        if not self.up:
            raise ConnectionRefusedError("down")
        self.batches.append(len(batch))
        self.got.extend(batch)


def make_batching(limit: int = 1000) -> tuple[FakeBackend, BatchBroker, Outbox]:
    backend, broker = FakeBackend(), BatchBroker()
    outbox = Outbox(backend, broker.publish, broker.reset, logging.getLogger("tests.outbox"))
    outbox.limit = limit
    outbox.publish_many = broker.publish_many
    return backend, broker, outbox


def test_what_waits_goes_out_in_batches_in_order() -> None:
    from greensio.managers.outbox import BATCH

    backend, broker, outbox = make_batching()
    for n in range(BATCH + 10):
        outbox.put(None if n % 2 else "reply", b"%d" % n)
    backend.run()
    assert [body for _, body in broker.got] == [b"%d" % n for n in range(BATCH + 10)]
    assert broker.got[0] == ("reply", b"0") and broker.got[1] == (None, b"1")
    assert broker.batches == [BATCH, 10] and len(outbox) == 0
    outbox.put(None, b"alone")
    backend.run()
    assert broker.got[-1] == (None, b"alone") and broker.batches == [BATCH, 10]  # publish()


def test_a_failed_batch_is_retried_whole_and_the_bound_still_holds() -> None:
    backend, broker, outbox = make_batching(limit=5)
    broker.up = False
    for n in range(8):
        outbox.put(None, b"%d" % n)
    backend.advance(3)
    assert broker.got == [] and len(outbox) == 5 and outbox.failures >= 1
    broker.up = True
    backend.advance(6)
    assert [body for _, body in broker.got] == [b"3", b"4", b"5", b"6", b"7"]
    assert broker.batches == [5] and outbox.failures == 0 and outbox.dropped_total == 3
