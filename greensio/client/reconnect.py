# Generated from greensio/client/async_reconnect.py by scripts/unasync.py: do not edit.
"""The client's reconnection loop: wait out the core's backoff, try again, until it works.

The delays are the core's (``greensio.protocol.socketio.reconnect``); this loop draws the random
number for each, waits on the stop event (so ``disconnect()`` ends the wait at once) and reports
each attempt. It needs no backend of its own: the stop event is the backend's, so under the
deterministic ``FakeBackend`` its waits follow the fake clock.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin.
"""

from __future__ import annotations

import logging
import random as _random
from collections.abc import Callable
from typing import Any

from greensio import exceptions
from greensio.backends.base import EventLike
from greensio.protocol.socketio.reconnect import reconnect_delay


def check_backoff(delay: float, delay_max: float, randomization_factor: float) -> None:
    """Raise UsageError now, not at the first reconnection, for options the backoff refuses."""
    reconnect_delay(
        1, 0.5, delay=delay, delay_max=delay_max, randomization_factor=randomization_factor
    )


def retry_connection(
    connect_once: Callable[[], Any],
    stop: EventLike,
    *,
    attempts: int,
    delay: float,
    delay_max: float,
    randomization_factor: float,
    logger: logging.Logger,
    random: Callable[[], float] = _random.random,
) -> bool:
    """Call ``connect_once`` after each backoff delay until it returns (True), ``stop`` is set
    or ``attempts`` attempts failed (False; 0 is no limit).

    ``connect_once`` fails by raising ``ConnectionError``; any other exception (a ``url``,
    ``headers`` or ``auth`` callable that raised, say) is logged and counts as a failed attempt.
    """
    attempt = 0
    while not stop.is_set():
        attempt += 1
        wait = reconnect_delay(
            attempt,
            random(),
            delay=delay,
            delay_max=delay_max,
            randomization_factor=randomization_factor,
        )
        logger.info("reconnecting in %.2f s (attempt %d)", wait, attempt)
        if stop.wait(wait):
            break
        try:
            connect_once()
            logger.info("reconnected")
            return True
        except exceptions.ConnectionError as exc:
            logger.info("reconnection attempt %d failed: %s", attempt, exc)
        except Exception:  # the loop goes on; the traceback is logged
            logger.exception("reconnection attempt %d failed", attempt)
        if attempts and attempt >= attempts:
            logger.info("giving up after %d attempts", attempt)
            break
    return False


__all__ = ["check_backoff", "retry_connection"]
