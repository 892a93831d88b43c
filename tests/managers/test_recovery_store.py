"""``RedisRecoveryStore`` on a real redis-server: two nodes' stores (two managers on one
channel) share the log and the lost sessions.

The end-to-end runs (the official JS client, two server processes) are
tests/server/test_recovery_nodes.py.
"""

from __future__ import annotations

import logging
import time

import pytest

import greensio
from greensio.managers.recovery_store import RETRY_AFTER, UNLOGGED, RedisRecoveryStore
from greensio.protocol.socketio.recovery import KeptSession, RecoveryOptions
from tests.support.brokers import free_port
from tests.support.cluster import channel_name
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(60 * UNIT)


def stores(redis, n: int = 2, **options) -> list[RedisRecoveryStore]:
    """``n`` nodes' stores on one fresh channel."""
    channel = channel_name()
    made = []
    for _ in range(n):
        manager = greensio.RedisStreamsManager(redis.url, channel=channel)
        store = manager.recovery_store(RecoveryOptions(**options))
        assert isinstance(store, RedisRecoveryStore)
        made.append(store)
    return made


def kept(sid: str = "s1", rooms=("s1", "r1"), namespace: str = "/", data=None) -> KeptSession:
    return KeptSession(f"pid-{sid}", sid, namespace, list(rooms), data)


def stream_id(offset: str) -> tuple[int, int]:
    ms, _, seq = offset.partition("-")
    return int(ms), int(seq)


def test_a_session_lost_on_one_node_is_restored_on_the_other_with_what_it_missed(redis):
    a, b = stores(redis)
    last = a.record(0, "/", ["e", 0], "s1")
    a.keep(kept(data={"mark": 1}), 0)
    assert b.is_kept("pid-s1")
    offsets = [
        a.record(0, "/", ["m", "a-to-sid"], "s1"),
        b.record(0, "/", ["m", "b-to-room"], ["r1", "r9"]),
        b.record(0, "/", ["m", "b-to-all"]),
        b.record(0, "/", ["m", "skipped"], "r1", skip="s1"),
        a.record(0, "/", ["m", "excepted"], None, excepted="r1"),
        a.record(0, "/", ["m", "other-room"], "r2"),
        a.record(0, "/", ["m", "other-sid"], "s2"),
        b.record(0, "/chat", ["m", "other-namespace"], "s1"),
        a.record(0, "/", ["m", "a-to-sid-2"], ["s1"]),
    ]
    # The two nodes' offsets are one sequence: Redis's stream ids, in the order of the XADDs.
    assert sorted(offsets[:7] + offsets[8:], key=stream_id) == offsets[:7] + offsets[8:]
    restored = b.restore("/", "pid-s1", last, 0)
    assert restored is not None
    assert (restored.sid, restored.rooms, restored.data) == ("s1", ["s1", "r1"], {"mark": 1})
    assert restored.missed == [
        ["m", "a-to-sid", offsets[0]],
        ["m", "b-to-room", offsets[1]],
        ["m", "b-to-all", offsets[2]],
        ["m", "a-to-sid-2", offsets[8]],
    ]
    # Restored once, on whichever node asks first.
    assert a.restore("/", "pid-s1", last, 0) is None
    assert not a.is_kept("pid-s1")


def test_nothing_missed_and_the_namespace_of_the_session(redis):
    a, b = stores(redis)
    last = a.record(0, "/chat", ["e", 0], "s1")
    a.keep(kept(namespace="/chat"), 0)
    assert b.restore("/", "pid-s1", last, 0) is None  # another namespace's pid
    assert b.is_kept("pid-s1", "/chat")
    restored = b.restore("/chat", "pid-s1", last, 0)
    assert restored is not None and restored.missed == []


@pytest.mark.parametrize("offset", ["1-0", "not-an-offset", UNLOGGED, "", "99999999999999-0"])
def test_an_offset_not_in_the_log_gives_a_fresh_session(redis, offset):
    a, b = stores(redis)
    a.record(0, "/", ["e", 0], "s1")
    a.keep(kept(), 0)
    assert b.restore("/", "pid-s1", offset, 0) is None
    assert not a.is_kept("pid-s1")  # taken: a second try from the right offset fails too


def test_binary_data_and_data_that_is_not_json(redis, caplog):
    a, b = stores(redis)
    last = a.record(0, "/", ["e", 0], "s1")
    a.keep(kept(), 0)
    offset = a.record(0, "/", ["blob", b"\x00\xff", {"inner": [b"x"]}], "s1")
    with caplog.at_level(logging.WARNING, logger="greensio.managers"):
        assert a.record(0, "/", ["odd", object()], "s1") == UNLOGGED
    assert "not JSON" in caplog.text
    restored = b.restore("/", "pid-s1", last, 0)
    assert restored is not None
    assert restored.missed == [["blob", b"\x00\xff", {"inner": [b"x"]}, offset]]


def test_an_unknown_pid_gives_a_fresh_session(redis):
    (a,) = stores(redis, 1)
    last = a.record(0, "/", ["e", 0], "s1")
    assert a.restore("/", "pid-nobody", last, 0) is None


def test_sessions_and_the_log_expire_after_the_window(redis):
    window = 0.3 * UNIT
    a, b = stores(redis, max_disconnection_duration=window)
    last = a.record(0, "/", ["e", 0], "s1")
    a.keep(kept(), 0)
    client = a._redis()
    assert 0 < client.pttl(a.session_key("/", "pid-s1")) <= window * 1000
    assert 0 < client.pttl(a.log_key("/")) <= window * 1000
    time.sleep(window + 0.2 * UNIT)
    assert not b.is_kept("pid-s1")
    assert b.restore("/", "pid-s1", last, 0) is None
    assert b.log_length() == 0


def test_the_log_is_bounded_by_max_buffered_packets(redis):
    (a,) = stores(redis, 1, max_buffered_packets=100)
    pipe_rounds = 1000
    for i in range(pipe_rounds):
        a.record(0, "/", ["e", i], "s1")
    # XADD MAXLEN ~: Redis trims whole nodes of its radix tree (100 entries each by default).
    assert 100 <= a.log_length() <= 300


def test_entries_older_than_the_window_are_trimmed(redis):
    window = 0.2 * UNIT
    (a,) = stores(redis, 1, max_disconnection_duration=window)
    for i in range(150):
        a.record(0, "/", ["old", i], "s1")
    time.sleep(window + 0.1 * UNIT)
    a.record(0, "/", ["new", 0], "s1")
    a.record(0, "/", ["new", 1], "s1")  # trims from the previous entry's time: XTRIM MINID ~
    assert a.log_length() < 150


def test_a_session_that_is_not_json_is_not_kept(redis, caplog):
    (a,) = stores(redis, 1)
    with caplog.at_level(logging.WARNING, logger="greensio.managers"):
        a.keep(kept(data={"socket": object()}), 0)
    assert "is not JSON" in caplog.text
    assert not a.is_kept("pid-s1")


def test_redis_unreachable_degrades_to_fresh_sessions(caplog):
    options = RecoveryOptions()
    manager = greensio.RedisManager(f"redis://127.0.0.1:{free_port()}/0", channel=channel_name())
    store = manager.recovery_store(options)
    with caplog.at_level(logging.WARNING, logger="greensio.managers"):
        assert store.record(10.0, "/", ["e", 0], "s1") == UNLOGGED
        # Within RETRY_AFTER of the failure Redis is not tried: no wait, no warning.
        store.keep(kept(), 10.0 + RETRY_AFTER / 2)
        assert store.restore("/", "pid-s1", "1-0", 10.0 + RETRY_AFTER / 2) is None
        assert caplog.text.count("connection state recovery:") == 1
        store.keep(kept(), 10.0 + RETRY_AFTER)  # tried again, failed again
    assert caplog.text.count("connection state recovery:") == 2


def test_redis_back_after_a_failure(redis):
    (a,) = stores(redis, 1)
    a._retry_at = 5.0  # (as after a failure at 4.0)
    assert a.record(4.5, "/", ["e", 0], "s1") == UNLOGGED
    offset = a.record(5.0, "/", ["e", 1], "s1")
    assert offset != UNLOGGED and a.log_length() == 1


def test_memory_per_kept_session_and_per_logged_event(redis):
    """What Redis holds for recovery (``MEMORY USAGE``): printed for docs/emitting.md."""
    (a,) = stores(redis, 1)
    client = a._redis()
    sessions = 1000
    for i in range(sessions):
        data = {"user": f"user-{i}", "mark": "joined r1"}
        a.keep(kept(f"sid-{i:016d}xxxx", rooms=[f"sid-{i:016d}xxxx", "r1"], data=data), 0)
    key = a.session_key("/", "pid-sid-0000000000000000xxxx")
    per_session = client.memory_usage(key, samples=0)
    events = 10_000
    for i in range(events):
        a.record(0, "/", ["news", {"n": i, "text": "hello"}], "r1")
    per_event = client.memory_usage(a.log_key("/"), samples=0) / events
    print(f"\nper kept session: {per_session} B; per logged event: {per_event:.0f} B")
    assert per_session < 1000 and per_event < 500
