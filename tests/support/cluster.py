"""Multi-node test clusters: nodes of ``tests.support.cluster_app`` and the clients that drive them.

``node(impl, manager, url, channel)`` is one server process (greensio's, or python-socketio's as
the reference); ``Member`` is a python-socketio client connected to one node, recording the
events it is sent and driving its node with ``do(op, **fields)``.
"""

from __future__ import annotations

import contextlib
import functools
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from tests.support.peers import Peer
from tests.support.servers import UNIT, ServerProcess, python_server

APP = "tests.support.cluster_app:build"
#: The events members record.
EVENTS = ("hello", "blob", "room_news", "cb_result", "bye", "ask", "probe")


def channel_name() -> str:
    """A channel of the test's own, so that tests sharing one broker do not see each other."""
    return f"greensio-test-{uuid.uuid4().hex[:12]}"


def node(impl: str, manager: str, url: str, channel: str, **options: Any) -> ServerProcess:
    """One node (not started): ``impl`` 'greensio' or 'socketio'; ``manager`` 'redis' or 'kombu'."""
    return python_server(
        APP, impl, manager=manager, url=url, channel=channel, manager_options=options
    )


@contextlib.contextmanager
def nodes(*servers: ServerProcess) -> Iterator[list[ServerProcess]]:
    """Start ``servers``; stop them (by PID) on the way out, each one's log shown on failure."""
    started: list[ServerProcess] = []
    try:
        for server in servers:
            started.append(server.start())
        _settle(started)
        yield started
    except BaseException:
        for server in started:
            print(f"--- node {server.url} ---\n{server.log[-3000:]}")
        raise
    finally:
        for server in started:
            server.stop()


class Member(Peer):
    """A python-socketio client of one node; ``answer`` is its ack to ``ask``."""

    def __init__(self, url: str, answer: Any = None) -> None:
        super().__init__(events=EVENTS)
        self.answer = answer
        self.sio.on("ask", self._ask)
        self.connect(url, transports=["websocket"])
        self.sid: str = self.sio.get_sid()

    def _ask(self, *args: Any) -> Any:
        self.record.add("ask", *args)
        return {"answer": self.answer, "args": list(args)}

    def do(self, op: str, wait: float = 10 * UNIT, **fields: Any) -> Any:
        """Have this member's node run ``op`` (see ``cluster_app``); the node's result within
        ``wait`` seconds."""
        return self.sio.call("do", {"op": op, **fields}, timeout=wait)

    def got(self, event: str) -> list[tuple]:
        return self.record.all(event)


@contextlib.contextmanager
def members(*urls: str, answer: Any = None) -> Iterator[list[Member]]:
    """One connected ``Member`` per URL, disconnected on the way out."""
    made: list[Member] = []
    try:
        for url in urls:
            made.append(Member(url, answer))
        yield made
    finally:
        for member in made:
            member.close()


def until_subscribed(publish: Callable[[], object], member: Member, timeout: float = 10 * UNIT):
    """Call ``publish`` (which sends ``probe`` to ``member`` through the broker) until one
    arrives: the member's node has subscribed (a node starts listening after it starts serving,
    and pub/sub drops what is published before)."""
    deadline = time.monotonic() + timeout
    while not member.got("probe"):
        assert time.monotonic() < deadline, "the node did not subscribe in time"
        publish()
        time.sleep(0.1 * UNIT)


def _settle(servers: list[ServerProcess]) -> None:
    """Wait until every node of a cluster of several has subscribed: each receives a probe
    through the broker from the next one."""
    if len(servers) < 2:
        return
    with members(*(server.url for server in servers)) as made:
        for i, member in enumerate(made):
            sender = made[(i + 1) % len(made)]
            probe = functools.partial(sender.do, "emit", event="probe", to=member.sid)
            until_subscribed(probe, member)


def silent_subscriber_recovers(kind: str, proxied_url: str, proxy: Any, emitter: Any) -> None:
    """A node of ``kind`` reaches its broker through ``proxy`` (a ``Blackhole``) at
    ``proxied_url``, with a 0.5 s health check; once its connections go silent it must notice,
    subscribe anew, and receive what ``emitter`` (a write-only manager, straight to the broker)
    publishes after that."""
    options = {"health_check_interval": 0.5 * UNIT}
    with nodes(node("greensio", kind, proxied_url, emitter.channel, **options)) as (a,):
        with members(a.url) as (a1,):
            until_subscribed(lambda: emitter.emit("probe", None, to=a1.sid), a1)
            proxy.swallow()  # the node's connections go silent, nothing is closed
            deadline = time.monotonic() + 10 * UNIT
            while "no answer to a health check" not in a.log:
                assert time.monotonic() < deadline, "the silent subscription went unnoticed"
                time.sleep(0.02)
            for _ in range(100):  # at most once: retry until the new subscription is up
                emitter.emit("hello", "after")
                if a1.got("hello"):
                    break
                time.sleep(0.1 * UNIT)
            assert a1.got("hello")[0] == ("after",)
