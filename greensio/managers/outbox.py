"""The publish side of a message-queue manager: a bounded outbox drained by one publisher task.

Theory of operation: ``put`` appends an encoded message and returns at once, whatever the broker
is doing, so an ``emit`` never waits on the network (and the same manager can serve a server
whose handlers must not block). One task, ``run``, takes messages in order and hands each to
``publish``; when that fails (the broker is down, the connection dropped) the message stays at
the head, the task calls ``reset`` and tries again after a backoff (``reconnect_delay``: 0.1 s
doubling to 5 s, ±50 %), so what was put while the broker was away goes out, in order, once it is
back; before the first message after an outage it calls ``recover`` (the Redis manager waits
there, a bounded time, for the other nodes to have subscribed again). At most ``limit``
messages wait: past that the oldest is dropped, with a warning (one per outage, then a count
when the broker is back). Pub/sub delivery is at most once: a message
published while no node is subscribed is lost by the broker itself.

With ``publish_many`` (the Redis manager's pipeline), the task takes everything waiting, up to
``BATCH`` messages, and publishes it in one round trip: under load the emits queued while one
round trip was in flight go out together, instead of one round trip each. A failed batch stays
queued whole and is retried as one message is (any of it the broker had taken goes out again).
"""

from __future__ import annotations

import collections
import itertools
import logging
import random
from collections.abc import Callable

from greensio.backends.base import Backend
from greensio.protocol.socketio.reconnect import reconnect_delay

#: Messages an outbox holds by default while the broker is unreachable.
DEFAULT_LIMIT = 10_000

#: Most messages one ``publish_many`` call takes.
BATCH = 256

Publish = Callable[[str | None, bytes], None]
Item = tuple[str | None, bytes]


class Outbox:
    """Messages waiting to be published: ``(address, body)``, address None for the channel."""

    def __init__(
        self,
        backend: Backend,
        publish: Publish,
        reset: Callable[[], None],
        logger: logging.Logger,
        recover: Callable[[], None] | None = None,
        limit: int = DEFAULT_LIMIT,
        name: str = "broker",
    ) -> None:
        if limit < 1:
            raise ValueError("the publish buffer holds at least one message")
        self.backend = backend
        self.publish = publish
        self.reset = reset
        self.recover = recover
        self.logger = logger
        self.limit = limit
        self.name = name
        #: Publishes several ``(address, body)`` in order at once, when the broker can.
        self.publish_many: Callable[[list[Item]], None] | None = None
        self._queue: collections.deque[Item] = collections.deque()
        self._lock = backend.atomic_lock()
        self._wake = backend.event()
        self._stopped = False
        self._task: object | None = None
        #: Messages dropped since the last successful publish (oldest first, past ``limit``).
        self.dropped = 0
        #: Every message dropped so far.
        self.dropped_total = 0
        #: Failed publish attempts in a row (0 while the broker answers).
        self.failures = 0

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, address: str | None, body: bytes) -> None:
        """Queue ``body`` for publishing; never blocks. Starts the publisher task on first use."""
        with self._lock:
            if len(self._queue) >= self.limit:
                self._queue.popleft()
                self.dropped += 1
                self.dropped_total += 1
                if self.dropped == 1:
                    self.logger.warning(
                        "%s unreachable and %d messages waiting: dropping the oldest",
                        self.name,
                        self.limit,
                    )
            self._queue.append((address, body))
            if self._task is None and not self._stopped:
                self._task = self.backend.spawn(self.run)
        self._wake.set()

    def drain(self, timeout: float) -> bool:
        """Wait until every message put so far was published, at most ``timeout`` seconds;
        whether they all were."""
        deadline = self.backend.monotonic() + timeout
        while self._queue:
            if self._stopped or self.backend.monotonic() >= deadline:
                return False
            self.backend.sleep(0.01)
        return True

    def stop(self) -> None:
        """End the publisher task after the message it is sending (the rest stay queued)."""
        self._stopped = True
        self._wake.set()

    def run(self) -> None:
        """The publisher task: publish in order, retrying the head with backoff on failure."""
        while not self._stopped:
            batch = self._head()
            if not batch:
                self._wake.wait(1.0)
                continue
            try:
                if self.failures and self.recover is not None:
                    self.recover()
                if len(batch) == 1 or self.publish_many is None:
                    self.publish(*batch[0])
                else:
                    self.publish_many(batch)
            except Exception as exc:  # noqa: BLE001 - any broker failure: reconnect and retry
                self._failed(exc)
                continue
            self._sent(batch)

    def _head(self) -> list[Item]:
        """The messages to publish next: the head, or up to ``BATCH`` with ``publish_many``."""
        with self._lock:
            if self._queue:
                if self.publish_many is None:
                    return [self._queue[0]]
                return list(itertools.islice(self._queue, BATCH))
            self._wake.clear()
            return []

    def _sent(self, batch: list[Item]) -> None:
        with self._lock:
            # put() may have dropped the oldest meanwhile: those are gone from the front already
            for item in batch:
                if self._queue and self._queue[0] is item:
                    self._queue.popleft()
        if self.failures:
            self.logger.info(
                "%s reachable again after %d failed attempts (%d messages dropped meanwhile)",
                self.name,
                self.failures,
                self.dropped,
            )
        self.failures = 0
        self.dropped = 0

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        first = self.failures == 1 and not self._stopped
        level = logging.WARNING if first else logging.DEBUG
        self.logger.log(level, "cannot publish to %s (%s): retrying", self.name, exc)
        try:
            self.reset()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail too
            self.logger.debug("%s: closing the publisher connection failed", self.name)
        delay = reconnect_delay(
            self.failures, random.random(), delay=0.1, delay_max=5.0, randomization_factor=0.5
        )
        self.backend.sleep(delay)
