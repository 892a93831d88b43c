"""greensio/engineio/shutdown.py's helpers; the gunicorn behaviour is in
tests/interop/test_gunicorn_restarts.py."""

from __future__ import annotations

import socket
import types
from typing import Any

from greensio.engineio import shutdown


def test_a_handshake_is_refused_with_503_and_a_session_request_is_not() -> None:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append((status, dict(headers)))

    body = shutdown.refuse_new_session({"QUERY_STRING": "EIO=4&transport=polling"}, start_response)
    assert seen[0][0].startswith("503") and seen[0][1]["Connection"] == "close"
    assert b"".join(body) == b""  # see refuse_new_session
    assert shutdown.refuse_new_session({"QUERY_STRING": "EIO=4&sid=x"}, start_response) is None


def test_no_gunicorn_worker_outside_gunicorn() -> None:
    assert shutdown.find_gunicorn_worker() is None


def test_the_drain_stays_below_graceful_timeout() -> None:
    worker = types.SimpleNamespace(cfg=types.SimpleNamespace(graceful_timeout=2))
    assert shutdown.graceful_timeout(worker) == 1.0
    worker.cfg.graceful_timeout = 60
    assert shutdown.graceful_timeout(worker) == shutdown.DRAIN_TIMEOUT


def test_the_watch_stops_once_the_worker_is_not_alive() -> None:
    listener = socket.socket()
    worker = types.SimpleNamespace(
        alive=True, cfg=types.SimpleNamespace(graceful_timeout=30), sockets=[listener]
    )
    stopped: list[tuple[float, bool]] = []
    naps = iter(range(5))

    def sleep(seconds: float) -> None:
        if next(naps) == 2:
            worker.alive = False

    def stop(timeout: float, hold: Any) -> None:
        stopped.append((timeout, hold()))
        listener.close()  # as gunicorn's run loop does, up to a second later
        stopped.append((timeout, hold()))

    shutdown.watch_worker(worker, sleep, stop)
    # The drain holds the transports open while the worker still listens.
    assert stopped == [(shutdown.DRAIN_TIMEOUT, True), (shutdown.DRAIN_TIMEOUT, False)]
