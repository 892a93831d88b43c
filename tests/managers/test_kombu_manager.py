"""``KombuManager`` on a real RabbitMQ node: python-socketio's ``KombuManager`` and greensio's on
one exchange, both ways; the write-only emitter with callback and ``call()``; malformed messages.
A restart of the broker mid-test: what was published meanwhile is delivered after.
(The two-node scenarios run on RabbitMQ too: tests/managers/test_pubsub.py.)"""

from __future__ import annotations

import json
import time

import kombu
import pytest
import socketio

import greensio
from tests.support.brokers import Blackhole, rabbitmq_server
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


@pytest.fixture(scope="module")
def mixed(rabbitmq):
    channel = channel_name()
    with nodes(
        node("socketio", "kombu", rabbitmq.url, channel),
        node("greensio", "kombu", rabbitmq.url, channel),
    ) as (ps, gs):
        yield ps, gs, channel


def test_python_socketio_and_greensio_share_an_exchange(mixed):
    ps, gs, _ = mixed
    blob = {"raw": b"\x00\x01"}
    with members(ps.url, gs.url, answer="ok") as (p1, g1):
        assert p1.do("emit", event="hello", data={"from": "ps"}) == "ok"
        assert g1.record.wait_for("hello") == ({"from": "ps"},)
        assert g1.do("emit", event="blob", data=blob) == "ok"
        assert p1.record.wait_for("blob") == (blob,)
        assert g1.do("call", event="ask", data=1, to=p1.sid) == {"answer": "ok", "args": [1]}
        assert p1.do("call", event="ask", data=2, to=g1.sid) == {"answer": "ok", "args": [2]}
        assert p1.do("disconnect", sid=g1.sid) == "ok"
        g1.record.wait_for("disconnect", timeout=5 * UNIT)


def test_python_socketios_write_only_emitter_reaches_greensio(mixed, rabbitmq):
    _, gs, channel = mixed
    emitter = socketio.KombuManager(rabbitmq.url, channel=channel, write_only=True)
    with members(gs.url) as (g1,):
        emitter.emit("hello", ("a", 1), room=g1.sid, namespace="/")
        assert g1.record.wait_for("hello") == ("a", 1)


def test_write_only_emit_with_callback_and_call(rabbitmq):
    channel = channel_name()
    emitter = greensio.KombuManager(rabbitmq.url, channel=channel, write_only=True)
    acks = []
    try:
        with nodes(node("greensio", "kombu", rabbitmq.url, channel)) as (a,):
            with members(a.url, answer="rabbit") as (a1,):
                until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
                emitter.emit("ask", "cb", to=a1.sid, callback=lambda *args: acks.append(args))
                wait_until(lambda: acks, 5 * UNIT)
                assert acks == [({"answer": "rabbit", "args": ["cb"]},)]
                reply = emitter.call("ask", "call", to=a1.sid, timeout=5 * UNIT)
                assert reply == {"answer": "rabbit", "args": ["call"]}
    finally:
        emitter.close()


def test_malformed_messages_are_skipped_with_a_warning(rabbitmq):
    channel = channel_name()
    with nodes(node("greensio", "kombu", rabbitmq.url, channel)) as (a,):
        with members(a.url) as (a1,):
            with kombu.Connection(rabbitmq.url) as connection:
                exchange = kombu.Exchange(channel, type="fanout", durable=False)
                producer = connection.Producer(exchange=exchange)
                probe = {"method": "emit", "event": "probe", "data": [], "host_id": "x"}
                until_subscribed(lambda: producer.publish(json.dumps(probe)), a1)
                for raw in ("not json", {"method": "emit"}, [1, 2], '{"method": 3}'):
                    producer.publish(raw)
                good = {"method": "emit", "event": "hello", "data": ["fine"], "host_id": "x"}
                producer.publish(json.dumps(good))  # python-socketio's way: JSON text
                producer.publish(good)  # and a plain JSON object
            assert a1.record.wait_for("hello", count=2, timeout=10 * UNIT) == ("fine",)
            assert a1.do("sid") == a1.sid
    log = a.log  # read once the node has stopped: a log line can trail the events it caused
    assert log.count("skipping a malformed message") == 4
    assert "Traceback" not in log


def test_a_silent_subscriber_connection_is_noticed_and_replaced(rabbitmq):
    proxy = Blackhole(rabbitmq.port)
    emitter = greensio.KombuManager(rabbitmq.url, channel=channel_name(), write_only=True)
    try:
        proxied = f"amqp://guest:guest@127.0.0.1:{proxy.port}//"
        silent_subscriber_recovers("kombu", proxied, proxy, emitter)
    finally:
        emitter.close()
        proxy.close()


def test_a_rabbitmq_restart_delivers_what_was_published_meanwhile():
    with rabbitmq_server() as server:
        channel = channel_name()
        with nodes(*(node("greensio", "kombu", server.url, channel) for _ in range(2))) as (a, b):
            with members(a.url, b.url) as (a1, b1):
                # the nodes know each other (heartbeats): so they wait for each other after
                wait_until(lambda: a1.do("nodes") == 1 and b1.do("nodes") == 1, 20 * UNIT)
                assert a1.do("emit", event="hello", data="before") == "ok"
                assert b1.record.wait_for("hello") == ("before",)
                server.stop()
                down = time.monotonic()
                for n in range(20):
                    assert a1.do("emit", event="hello", data=n) == "ok"
                assert a1.record.wait_for("hello", count=21) == (19,)  # this node's own: at once
                server.start()
                up = time.monotonic()
                # node b's subscription is declared again on the new broker, then a's buffer
                # drains into it
                b1.record.wait_for("hello", count=21, timeout=60 * UNIT)
                delivered = time.monotonic()
                assert [args[0] for args in b1.got("hello")] == ["before", *range(20)]
                assert b1.do("emit", event="hello", data="after") == "ok"
                assert a1.record.wait_for("hello", count=22, timeout=20 * UNIT) == ("after",)
    print(f"rabbitmq down {up - down:.2f} s; buffered emits delivered {delivered - up:.2f} s after")
