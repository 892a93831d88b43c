"""The table of acks owed to this node by other nodes' clients, on the fake backend."""

from __future__ import annotations

import logging

import pytest

from greensio import exceptions
from greensio.backends.fake import FakeBackend
from greensio.managers.remote_acks import LIFETIME, RemoteAcks

pytestmark = pytest.mark.timeout(30)
log = logging.getLogger("tests.remote_acks")


def test_remote_acks_resolve_once_and_time_out() -> None:
    backend = FakeBackend()
    acks = RemoteAcks(backend, log, limit=2)
    seen: list = []
    first = acks.add(lambda *args: seen.append(args), timeout=None)
    assert acks.resolve(first, [1, 2])
    assert not acks.resolve(first, [3])  # one remote ack per emit, as python-socketio
    backend.run()
    assert seen == [(1, 2)]
    timed = acks.add(seen.append, timeout=1.0)
    backend.advance(2)
    assert isinstance(seen[-1], exceptions.TimeoutError) and not acks.resolve(timed, [])
    silent = acks.add(seen.append, timeout=None)
    backend.advance(LIFETIME + 1)
    assert len(acks) == 0 and not acks.resolve(silent, [])
    assert len(seen) == 2  # no timeout asked: dropped without a call


def test_remote_acks_are_bounded(caplog) -> None:
    backend = FakeBackend()
    acks = RemoteAcks(backend, log, limit=2)
    ids = [acks.add(lambda *args: None, timeout=None) for _ in range(3)]
    assert len(acks) == 2 and not acks.resolve(ids[0], [])
    assert "forgetting the oldest" in caplog.text
    acks.stop()
