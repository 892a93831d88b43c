"""``RedisStreamsManager`` on a real redis-server: nothing emitted during a Redis restart is lost.
(The two-node scenarios run on it too: tests/managers/test_pubsub.py.)"""

from __future__ import annotations

import time

import pytest

import greensio
from tests.support.brokers import redis_server
from tests.support.cluster import channel_name, members, node, nodes, until_subscribed
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(120)


def first_seen(values: list) -> list:
    """``values`` without repeats (at least once may repeat one), in order of first arrival."""
    seen: list = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def test_every_emit_made_during_a_redis_restart_reaches_the_other_node():
    with redis_server() as server:
        channel = channel_name()
        cluster = (node("greensio", "redis-streams", server.url, channel) for _ in range(2))
        with nodes(*cluster) as (a, b):
            with members(a.url, b.url) as (a1, b1):
                assert a1.do("emit", event="hello", data="before") == "ok"
                assert b1.record.wait_for("hello") == ("before",)
                server.stop()
                down = time.monotonic()
                for n in range(50):
                    assert a1.do("emit", event="hello", data=n) == "ok"
                time.sleep(UNIT)
                server.start()
                up = time.monotonic()
                wait = 20 * UNIT
                while len(first_seen(b1.got("hello"))) < 51 and time.monotonic() < up + wait:
                    time.sleep(0.02)
                delivered = time.monotonic()
                values = [args[0] for args in b1.got("hello")]
                assert first_seen(values) == ["before", *range(50)]
                assert b1.do("emit", event="hello", data="after") == "ok"
                assert a1.record.wait_for("hello", count=52) == ("after",)
    print(
        f"redis down {up - down:.2f} s; 50 emits delivered {delivered - up:.2f} s after, "
        f"{len(values) - 51} repeated"
    )


def test_write_only_emitter_on_a_stream(redis):
    channel = channel_name()
    emitter = greensio.RedisStreamsManager(redis.url, channel=channel, write_only=True)
    try:
        with nodes(node("greensio", "redis-streams", redis.url, channel)) as (a,):
            with members(a.url, answer="s") as (a1,):
                until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
                emitter.emit("hello", ("x", b"\x00"), to=a1.sid)
                assert a1.record.wait_for("hello") == ("x", b"\x00")
                assert emitter.call("ask", 1, to=a1.sid, timeout=5 * UNIT) == {
                    "answer": "s",
                    "args": [1],
                }
    finally:
        emitter.close()
