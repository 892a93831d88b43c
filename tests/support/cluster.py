"""Multi-node test clusters: nodes of ``tests.support.cluster_app`` and the clients that drive them.

``node(impl, manager, url, channel)`` is one server process (greensio's, or python-socketio's as
the reference); ``Member`` is a python-socketio client connected to one node, recording the
events it is sent and driving its node with ``do(op, **fields)``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from tests.support.peers import Peer
from tests.support.servers import UNIT, ServerProcess, python_server

APP = "tests.support.cluster_app:build"
#: The events members record.
EVENTS = ("hello", "blob", "room_news", "cb_result", "bye", "ask")


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
