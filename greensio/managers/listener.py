"""The subscribe side of a message-queue manager: one task per subscription, kept alive.

Theory of operation: ``run`` subscribes (``subscribe(address)``, which returns once the broker
confirmed it), then reads and hands each message to ``dispatch``. A failure to subscribe is
retried with backoff (``reconnect_delay``: 0.1 s doubling to 5 s, ±50 %); a connection lost while
reading is closed and made anew the same way. The health check: after ``interval`` seconds with
nothing received the task pings through the subscription (``Subscription.ping``), and when
nothing (not even the answer) comes in as long again the subscription counts as dead, is closed,
and a new one is made — a middlebox that silently dropped an idle connection is noticed within
twice the interval. ``subscribed`` is set while a subscription is up.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from greensio import exceptions
from greensio.backends.base import Backend
from greensio.protocol.socketio.reconnect import reconnect_delay

#: What ``Subscription.get`` returns for a sign of life that is no message (a pong).
ALIVE = b""

Raw = bytes | str | dict[str, Any]


class Subscription(Protocol):
    """One subscriber connection of a broker."""

    def get(self, timeout: float) -> Raw | None:
        """The next message (bytes, text, or an already decoded object); ``ALIVE`` for a sign of
        life only; None when nothing came within ``timeout``. Raises when the connection is
        lost."""
        ...

    def ping(self) -> None:
        """Ask for a sign of life through the subscription."""
        ...

    def close(self) -> None: ...


class Listener:
    def __init__(
        self,
        backend: Backend,
        address: str,
        subscribe: Callable[[str], Subscription],
        dispatch: Callable[[Raw], None],
        logger: logging.Logger,
        interval: float,
    ) -> None:
        self.backend = backend
        self.address = address
        self.subscribe = subscribe
        self.dispatch = dispatch
        self.logger = logger
        self.interval = interval
        self.subscribed = backend.event()
        self.closed = False
        #: Subscriptions made so far (1 plus the reconnections).
        self.subscriptions = 0

    def start(self) -> Listener:
        self.backend.spawn(self.run)
        return self

    def run(self) -> None:
        """The listener task: subscribe, read, and subscribe again when lost."""
        attempt = 0
        while not self.closed:
            try:
                subscription = self.subscribe(self.address)
            except Exception as exc:  # noqa: BLE001 - any broker failure: back off and retry
                attempt += 1
                level = logging.WARNING if attempt == 1 else logging.DEBUG
                self.logger.log(level, "cannot subscribe to %s (%s): retrying", self.address, exc)
                delay = reconnect_delay(
                    attempt, random.random(), delay=0.1, delay_max=5.0, randomization_factor=0.5
                )
                self.backend.sleep(delay)
                continue
            if attempt:
                self.logger.info("subscribed to %s again after %d attempts", self.address, attempt)
            attempt = 0
            self.subscriptions += 1
            self.subscribed.set()
            try:
                self._read(subscription)
            except Exception as exc:  # noqa: BLE001 - a lost connection: subscribe again
                if not self.closed:
                    self.logger.warning(
                        "subscription to %s lost (%s): reconnecting", self.address, exc
                    )
            finally:
                self.subscribed.clear()
                try:
                    subscription.close()
                except Exception:  # noqa: BLE001 - the connection is already broken
                    self.logger.debug("closing the subscription to %s failed", self.address)

    def _read(self, subscription: Subscription) -> None:
        monotonic = self.backend.monotonic
        interval = self.interval
        last = monotonic()
        pinged: float | None = None
        while not self.closed:
            raw = subscription.get(min(interval, 1.0))
            now = monotonic()
            if raw is None:
                if pinged is not None and now - pinged >= interval:
                    raise exceptions.ConnectionError(
                        f"no answer to a health check within {interval} s"
                    )
                if pinged is None and now - last >= interval:
                    subscription.ping()
                    pinged = now
                continue
            last, pinged = now, None
            if raw != ALIVE:
                self.dispatch(raw)
