"""``RedisManager`` on a real redis-server: the write-only emitter that waits for acks, a Redis
restart mid-test (the bounded buffer), the subscriber health check behind a connection that went
silent, malformed messages on the channel, and the API's errors."""

from __future__ import annotations

import json
import logging
import time

import pytest

import greensio
from greensio import exceptions
from greensio.exceptions import UsageError
from greensio.managers.redis_manager import parse_sentinel_url
from tests.support.brokers import Blackhole, redis_server
from tests.support.client_servers import wait_until
from tests.support.cluster import (
    channel_name,
    members,
    node,
    nodes,
    silent_subscriber_recovers,
    until_subscribed,
)
from tests.support.servers import UNIT

pytestmark = pytest.mark.timeout(120)


# --- the write-only emitter ---------------------------------------------------------------------
def test_write_only_emit_with_callback_and_call(redis):
    channel = channel_name()
    emitter = greensio.RedisManager(redis.url, channel=channel, write_only=True)
    acks = []
    try:
        with nodes(node("greensio", "redis", redis.url, channel)) as (a,):
            with members(a.url, answer="pong") as (a1,):
                until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
                emitter.emit("ask", {"q": 1}, to=a1.sid, callback=lambda *args: acks.append(args))
                wait_until(lambda: acks, 5 * UNIT)
                assert acks == [({"answer": "pong", "args": [{"q": 1}]},)]
                assert emitter.call("ask", ("x", 2), to=a1.sid, timeout=5 * UNIT) == {
                    "answer": "pong",
                    "args": ["x", 2],
                }
                with pytest.raises(exceptions.TimeoutError):
                    emitter.call("ask", to="nobody", timeout=0.5 * UNIT)
                emitter.enter_room(a1.sid, "/", "from-outside")
                emitter.emit("room_news", "hi room", to="from-outside")
                assert a1.record.wait_for("room_news") == ("hi room",)
                emitter.disconnect(a1.sid)
                a1.record.wait_for("disconnect", timeout=5 * UNIT)
    finally:
        emitter.close()
    # the replies came on the emitter's own channel, not on the cluster's
    assert emitter.reply_channel == f"{channel}.reply.{emitter.host_id}"


def test_a_burst_of_emits_goes_out_in_pipelines_in_order(redis):
    channel = channel_name()
    emitter = greensio.RedisManager(redis.url, channel=channel, write_only=True)
    batches: list[int] = []
    publish_many = emitter._publish_many

    def counted(batch):
        batches.append(len(batch))
        publish_many(batch)

    emitter._publish_many = counted  # type: ignore[method-assign]
    try:
        with nodes(node("greensio", "redis", redis.url, channel)) as (a,):
            with members(a.url) as (a1,):
                until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
                for n in range(600):
                    emitter.emit("hello", n, to=a1.sid)
                assert emitter.flush(10 * UNIT)
                wait_until(lambda: len(a1.got("hello")) == 600, 10 * UNIT)
                assert a1.got("hello") == [(n,) for n in range(600)]
    finally:
        emitter.close()
    # far fewer round trips than messages: what queued up during one went out in the next
    assert batches and max(batches) > 1 and len(batches) < 600
    assert emitter.receivers == 1


def test_write_only_emit_callback_timeout(redis):
    emitter = greensio.RedisManager(redis.url, channel=channel_name(), write_only=True)
    errors = []
    try:
        emitter.emit("ask", None, to="nobody", callback=errors.append, timeout=0.3 * UNIT)
        wait_until(lambda: errors, 5 * UNIT)
    finally:
        emitter.close()
    assert isinstance(errors[0], exceptions.TimeoutError)


def test_write_only_manager_refuses_a_server(redis):
    with pytest.raises(UsageError, match="write_only=False"):
        greensio.Server(client_manager=greensio.RedisManager(redis.url, write_only=True))


def test_urls_and_options_errors():
    with pytest.raises(UsageError, match="scheme"):
        greensio.RedisManager("http://localhost:6379")
    with pytest.raises(UsageError, match="channel"):
        greensio.RedisManager("redis://localhost", channel="")
    assert parse_sentinel_url("redis+sentinel://:pw@h1:26379,h2:26380/2/mymaster") == (
        [("h1", 26379), ("h2", 26380)],
        "mymaster",
        {"password": "pw", "db": 2},
    )
    with pytest.raises(UsageError, match="host:port"):
        parse_sentinel_url("redis+sentinel://h1/0")


@pytest.mark.parametrize("scheme", ["unix", "valkey"])
def test_unix_socket_and_valkey_urls(redis, scheme):
    channel = channel_name()
    url = (
        f"unix://{redis.unix_socket}" if scheme == "unix" else f"valkey://127.0.0.1:{redis.port}/0"
    )
    emitter = greensio.RedisManager(url, channel=channel, write_only=True)
    try:
        with nodes(node("greensio", "redis", redis.url, channel)) as (a,):
            with members(a.url) as (a1,):
                until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
                emitter.emit("hello", scheme)
                assert a1.record.wait_for("hello") == (scheme,)
    finally:
        emitter.close()


# --- malformed messages -------------------------------------------------------------------------
MALFORMED = [
    "not json at all",
    "[1, 2, 3]",
    '{"method": "emit", "host_id": "x"}',
    '{"method": "nope", "host_id": "x"}',
    '{"method": "emit", "host_id": "x", "event": "hello", "data": [[1], "@@"], "binary": true}',
    '{"method": "emit", "host_id": "x", "event": "hello", "data": [1], "callback": [1]}',
    '{"method": "callback", "host_id": "x", "sid": "s", "id": "one", "args": []}',
    '{"method": "enter_room", "host_id": "x", "sid": 5, "room": "r"}',
    "\xff\xfe",
]


def test_malformed_messages_are_skipped_with_a_warning(redis):
    channel = channel_name()
    with nodes(node("greensio", "redis", redis.url, channel)) as (a,):
        with members(a.url) as (a1,):
            probe = json.dumps({"method": "emit", "event": "probe", "data": [], "host_id": "x"})
            until_subscribed(lambda: redis.cli("PUBLISH", channel, probe), a1)
            for raw in MALFORMED:
                redis.cli("PUBLISH", channel, raw)
            good = {"method": "emit", "event": "hello", "data": ["still here"], "host_id": "cli"}
            redis.cli("PUBLISH", channel, json.dumps(good))
            assert a1.record.wait_for("hello", timeout=10 * UNIT) == ("still here",)
            assert a1.do("sid") == a1.sid  # and the node serves its clients
    log = a.log  # read once the node has stopped: a log line can trail the events it caused
    assert log.count("skipping a malformed message") == len(MALFORMED)
    assert "Traceback" not in log


# --- Redis goes away and comes back -------------------------------------------------------------
def test_a_redis_restart_delivers_what_was_published_meanwhile():
    with redis_server() as server:
        channel = channel_name()
        with nodes(*(node("greensio", "redis", server.url, channel) for _ in range(2))) as (a, b):
            with members(a.url, b.url) as (a1, b1):
                assert a1.do("emit", event="hello", data="before") == "ok"
                assert b1.record.wait_for("hello") == ("before",)
                server.stop()
                down = time.monotonic()
                for n in range(20):
                    assert a1.do("emit", event="hello", data=n) == "ok"
                assert a1.record.wait_for("hello", count=21) == (19,)  # this node's own: at once
                time.sleep(UNIT)  # the publisher retries meanwhile (backoff)
                server.start()
                up = time.monotonic()
                b1.record.wait_for("hello", count=21, timeout=20 * UNIT)
                delivered = time.monotonic()
                assert [args[0] for args in b1.got("hello")] == ["before", *range(20)]
                # and the cluster works as before
                assert b1.do("emit", event="hello", data="after") == "ok"
                assert a1.record.wait_for("hello", count=22) == ("after",)
    print(f"redis down {up - down:.2f} s; buffered emits delivered {delivered - up:.2f} s after")


def test_the_buffer_keeps_the_newest_messages_up_to_its_bound():
    with redis_server() as server:
        channel = channel_name()
        bounded = node("greensio", "redis", server.url, channel, max_buffer=5)
        with nodes(bounded, node("greensio", "redis", server.url, channel)) as (a, b):
            with members(a.url, b.url) as (a1, b1):
                assert a1.do("emit", event="hello", data="before") == "ok"
                assert b1.record.wait_for("hello") == ("before",)
                server.stop()
                for n in range(12):
                    assert a1.do("emit", event="hello", data=n) == "ok"
                server.start()
                b1.record.wait_for("hello", count=6, timeout=20 * UNIT)
                assert b1.do("emit", event="bye") == "ok"  # a fence through b's own node
                b1.record.wait_for("bye")
                a1.record.wait_for("bye")
                assert [args[0] for args in b1.got("hello")] == ["before", 7, 8, 9, 10, 11]
        assert "dropping the oldest" in a.log


# --- the health check ---------------------------------------------------------------------------
def test_a_silent_subscriber_connection_is_noticed_and_replaced(redis):
    proxy = Blackhole(redis.port)
    emitter = greensio.RedisManager(redis.url, channel=channel_name(), write_only=True)
    try:
        proxied = f"redis://127.0.0.1:{proxy.port}/0"
        silent_subscriber_recovers("redis", proxied, proxy, emitter)
    finally:
        emitter.close()
        proxy.close()


def test_logger_option_is_used(redis, caplog):
    logger = logging.getLogger("tests.mine")
    emitter = greensio.RedisManager(
        redis.url, channel=channel_name(), write_only=True, logger=logger
    )
    assert emitter.logger is logger
    emitter._dispatch(b"garbage")
    emitter.close()
    assert any(record.name == "tests.mine" for record in caplog.records)


# --- a threading server in this process, and a node started while Redis is down -----------------
def test_a_threading_server_in_this_process_joins_the_cluster(redis):
    from tests.support.peers import Peer
    from tests.support.threaded_server import serving

    channel = channel_name()
    manager = greensio.RedisManager(redis.url, channel=channel)
    sio = greensio.Server(async_mode="threading", client_manager=manager)
    try:
        with (
            serving(greensio.WSGIApp(sio)) as url,
            nodes(node("greensio", "redis", redis.url, channel)) as (a,),
        ):
            here = Peer(events=["hello", "probe"]).connect(url, transports=["polling"])
            try:
                with members(a.url) as (a1,):
                    until_subscribed(lambda: sio.emit("probe", to=a1.sid), a1)
                    sio.emit("hello", "from threads")
                    assert a1.record.wait_for("hello") == ("from threads",)
                    assert here.record.wait_for("hello") == ("from threads",)
                    assert a1.do("emit", event="hello", data="from gevent") == "ok"
                    assert here.record.wait_for("hello", count=2) == ("from gevent",)
                    assert sio.call("ask", "?", to=a1.sid, timeout=5 * UNIT)["args"] == ["?"]
            finally:
                here.close()
    finally:
        manager.close()
        sio.shutdown()


def test_a_node_started_while_redis_is_down_joins_once_it_is_up():
    with redis_server() as server:
        channel = channel_name()
        server.stop()
        with nodes(node("greensio", "redis", server.url, channel)) as (a,):
            with members(a.url) as (a1,):
                assert a1.do("emit", event="hello", data="local") == "ok"
                assert a1.record.wait_for("hello") == ("local",)
                server.start()
                emitter = greensio.RedisManager(server.url, channel=channel, write_only=True)
                try:
                    until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
                finally:
                    emitter.close()
            assert "cannot subscribe" in a.log


def test_an_async_server_takes_a_redis_manager(redis):
    sio = greensio.AsyncServer(client_manager=greensio.RedisManager(redis.url))
    assert sio.manager.backend.name == "threading"  # broker threads; hops into the loop
    sio.manager.close()


def test_unpatched_gevent_sockets_are_refused_with_the_fix(redis):
    from greensio.backends import get_backend

    manager = greensio.RedisManager(redis.url, write_only=True)  # this process is not patched
    with pytest.raises(UsageError, match=r"gevent.monkey.patch_all\(\)"):
        manager._start(get_backend("gevent"))
