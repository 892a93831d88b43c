"""The client's reconnection loop on the deterministic ``FakeBackend``: the attempts come at the
core's backoff delays on a clock that moves only when the test says so, with no real waiting."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import greensio
from greensio import exceptions
from greensio.backends.fake import FakeBackend
from greensio.client.reconnect import retry_connection
from greensio.engineio.client import EngineIOClient
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(30)

START = 1000.0
OPTIONS = {"delay": 1.0, "delay_max": 5.0, "randomization_factor": 0.5}
logger = logging.getLogger("tests.client.reconnect")


class Server:
    """``connect_once`` for the loop: fails ``failures`` times, then connects; notes when."""

    def __init__(self, backend: FakeBackend, failures: int, error: Exception | None = None):
        self.backend = backend
        self.failures = failures
        self.error = error or exceptions.ConnectionError("refused")
        self.attempts: list[float] = []

    def connect_once(self) -> None:
        self.attempts.append(self.backend.now - START)
        if len(self.attempts) <= self.failures:
            raise self.error


def run_loop(backend, server, stop, attempts=0, random=lambda: 0.5, **options):
    settings = {**OPTIONS, **options}
    return backend.spawn(
        retry_connection,
        server.connect_once,
        stop,
        attempts=attempts,
        logger=logger,
        random=random,
        **settings,
    )


def test_attempts_come_at_the_doubling_delays_until_one_succeeds() -> None:
    backend = FakeBackend(START)
    server = Server(backend, failures=5)
    task = run_loop(backend, server, backend.event())
    backend.advance(100)
    # waits of 1, 2, 4, 5, 5, 5 s (no jitter at random 0.5)
    assert server.attempts == [1.0, 3.0, 7.0, 12.0, 17.0, 22.0]
    assert task.done.is_set() and task.value is True


def test_jitter_follows_the_random_numbers_drawn() -> None:
    backend = FakeBackend(START)
    server = Server(backend, failures=2)
    draws = iter([0.0, 0.75, 0.5])
    run_loop(backend, server, backend.event(), random=lambda: next(draws))
    backend.advance(100)
    # 1 s * 0.5, then 2 s * 1.25, then 4 s
    assert server.attempts == [0.5, 3.0, 7.0]


def test_gives_up_after_the_attempts_allowed() -> None:
    backend = FakeBackend(START)
    server = Server(backend, failures=10)
    task = run_loop(backend, server, backend.event(), attempts=3)
    backend.advance(100)
    assert server.attempts == [1.0, 3.0, 7.0]
    assert task.value is False
    assert backend.pending_deadlines() == []  # nothing left waiting


def test_stop_ends_the_wait_at_once() -> None:
    backend = FakeBackend(START)
    server = Server(backend, failures=10)
    stop = backend.event()
    task = run_loop(backend, server, stop)
    backend.advance(2.0)  # the first attempt (at 1 s) failed; the next is due at 3 s
    stop.set()
    backend.run()
    assert task.value is False and server.attempts == [1.0]
    assert backend.now == START + 2.0


def test_no_attempt_once_stopped() -> None:
    backend = FakeBackend(START)
    server = Server(backend, failures=0)
    stop = backend.event()
    stop.set()
    task = run_loop(backend, server, stop)
    backend.run()
    assert task.value is False and server.attempts == []


def test_any_other_failure_is_logged_and_counts_as_an_attempt(caplog) -> None:
    backend = FakeBackend(START)
    server = Server(backend, failures=1, error=RuntimeError("the auth callable broke"))
    task = run_loop(backend, server, backend.event())
    backend.advance(10)
    assert server.attempts == [1.0, 3.0] and task.value is True
    assert "the auth callable broke" in caplog.text


# --- a whole Client on the fake clock -------------------------------------------------------------
# Nothing listens on port 1 of 127.0.0.1: each attempt is refused at once, with no real waiting,
# and every wait of the client is on FakeBackend's clock.
UNREACHABLE = "http://127.0.0.1:1"


class FakeEngineIOClient(EngineIOClient):
    def __init__(self, backend: FakeBackend, **options) -> None:
        self.fake = backend
        super().__init__(**options)

    def _backend(self, async_mode):
        return self.fake


class FakeClient(greensio.Client):
    """A Client whose backend is the test's FakeBackend (chosen by subclassing)."""

    def __init__(self, backend: FakeBackend, **options) -> None:
        self.fake = backend
        settings = {"handle_sigint": False, "reconnection_delay": 1, "reconnection_delay_max": 5}
        super().__init__(**{**settings, **options})

    def _engineio_client(self, **options):
        return FakeEngineIOClient(self.fake, **options)


def recorded_attempts(backend: FakeBackend, client: greensio.Client) -> list[float]:
    """The times (from START) at which the client's connect_error handler ran."""
    attempts: list[float] = []
    client.on("connect_error", lambda data: attempts.append(backend.now - START))
    return attempts


def test_connect_with_retry_waits_the_backoff_between_attempts() -> None:
    backend = FakeBackend(START)
    client = FakeClient(backend, reconnection_attempts=4, randomization_factor=0)
    assert client.async_mode == "fake"
    attempts = recorded_attempts(backend, client)
    with pytest.raises(exceptions.ConnectionError):
        client.connect(UNREACHABLE, transports=["polling"], retry=True)
    backend.run()
    # the first try, then four reconnection attempts after 1, 2, 4 and 5 s
    assert attempts == [0.0, 1.0, 3.0, 7.0, 12.0]
    client.wait()  # nothing left running
    assert backend.now == START + 12.0


def test_wait_blocks_while_reconnecting_and_disconnect_ends_it_at_once() -> None:
    backend = FakeBackend(START)
    client = FakeClient(backend, randomization_factor=0)
    attempts = recorded_attempts(backend, client)
    connecting = backend.spawn(client.connect, UNREACHABLE, transports=["polling"], retry=True)
    waiting = backend.spawn(client.wait)
    backend.advance(60)
    # attempts go on, 5 s apart once at the maximum, and wait() is still blocked
    assert attempts == [0.0, 1.0, 3.0, 7.0, *range(12, 60, 5)]
    assert not waiting.done.is_set() and not connecting.done.is_set()
    client.disconnect()
    assert backend.now == START + 60  # no waiting out the current delay
    backend.run()
    assert waiting.done.is_set() and connecting.done.is_set()
    assert isinstance(connecting.exception, exceptions.ConnectionError)
    count = len(attempts)
    backend.advance(60)
    assert len(attempts) == count  # stopped for good


# --- the asyncio source of the loop, on asyncio's own clock ---------------------------------------
def test_the_asyncio_loop_retries_until_connected_and_stop_ends_it() -> None:
    """``async_reconnect.retry_connection`` (the loop's source) with asyncio's Event, a
    coroutine ``connect_once`` and real, short delays (10 ms, doubling, no jitter)."""
    from greensio.backends.asyncio import AsyncioEvent
    from greensio.client.async_reconnect import retry_connection as retry_async

    options = {"delay": 0.01, "delay_max": 0.04, "randomization_factor": 0}

    async def main() -> tuple[bool, int, bool, float]:
        attempts: list[float] = []

        async def connect_once() -> None:
            attempts.append(time.monotonic())
            await asyncio.sleep(0)
            if len(attempts) < 3:
                raise exceptions.ConnectionError("refused")

        connected = await retry_async(
            connect_once, AsyncioEvent(), attempts=0, logger=logger, **options
        )
        count = len(attempts)

        async def never() -> None:
            raise exceptions.ConnectionError("refused")

        stop = AsyncioEvent()
        task = asyncio.get_running_loop().create_task(
            retry_async(never, stop, attempts=0, logger=logger, **{**options, "delay": 60})
        )
        await asyncio.sleep(0.05)
        started = time.monotonic()
        stop.set()
        stopped = await asyncio.wait_for(task, 5 * UNIT)
        return connected, count, stopped, time.monotonic() - started

    connected, count, stopped, took = asyncio.run(main())
    assert connected is True and count == 3
    assert stopped is False and took < 1 * UNIT  # not the 60 s delay
