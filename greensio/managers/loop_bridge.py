"""A message-queue manager serving an ``AsyncServer``: the broker I/O stays in threads, the
server's work hops into the event loop.

Theory of operation: redis-py and kombu are blocking libraries, so the ``Outbox`` publisher and
the ``Listener`` run on the threading backend exactly as for a thread ``Server`` (same reconnect
with backoff, health check, outbox buffering during an outage). What touches the server happens
on the loop's thread only:

- each message from the channel is handed to the manager's ``_dispatch`` with
  ``loop.call_soon_threadsafe`` (so membership and delivery are never touched from a thread);
- the callback of an ``emit(callback=)`` to another node (and a ``call()``'s waiter) runs on the
  loop (a coroutine function as a task of its own), when the ack comes back or times out;
- ``call_remote`` (``AsyncServer.call`` to a sid of another node) is a coroutine awaiting an
  asyncio future;
- the cluster-wide operations (``fetch_sockets``, ``server_side_call``, ``broadcast_call``, ...):
  the manager's ``ClusterLink`` beats in a thread, but handles what comes in on the loop (the
  hop above) and runs the server's handler of another node's request as a loop task; the
  server awaits its gatherings' asyncio Events, which the replies set on the loop's thread.

The loop is the one running when the server first hands a client to the manager (``connect``),
or emits, or calls, or makes a cluster-wide request: an ``AsyncServer`` is often made at import
time, before the loop exists. Before that no client is connected here, so a message from the
channel has nothing to act on and is skipped; and the node does not announce itself to the
cluster (no heartbeat), so no other node waits for its answers. Publishing (``Outbox.put``)
never blocks, so the loop never waits on the broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from greensio import exceptions
from greensio.backends import get_backend
from greensio.backends.asyncio import AsyncioBackend
from greensio.handlers import ack_value
from greensio.managers.base import Manager
from greensio.managers.cluster import ClusterLink
from greensio.managers.delivery import Delivery


class LoopBridge:
    """The loop a manager hops into, and its wrappers of the manager's entry points."""

    def __init__(self, manager: Any) -> None:
        self.manager = manager
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_backend = AsyncioBackend()
        self._dispatch = manager._dispatch
        self._register_ack = manager._register_ack
        self._connect = manager.connect
        self._emit = manager.emit
        self._cluster_request = manager.cluster_request
        # Instance attributes shadow the methods (the Listener is handed ``_dispatch`` later).
        manager._dispatch = self.dispatch
        manager._register_ack = self.register_ack
        manager.connect = self.connect
        manager.emit = self.emit
        manager.cluster_request = self.cluster_request
        manager.call_remote = self.call_remote
        manager.loop_bridge = self

    def bind(self) -> asyncio.AbstractEventLoop | None:
        """The loop, learnt from the caller when it runs on one."""
        if self.loop is None or self.loop.is_closed():
            try:
                self.loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
        return self.loop

    def connect(self, eio_sid: str, namespace: str, sid: str) -> str:
        self.bind()
        result: str = self._connect(eio_sid, namespace, sid)
        return result

    def emit(self, *args: Any, **kwargs: Any) -> Any:
        self.bind()
        return self._emit(*args, **kwargs)

    def cluster_request(self, *args: Any, **kwargs: Any) -> None:
        self.bind()
        self._cluster_request(*args, **kwargs)

    def ready(self) -> bool:
        """Whether the loop is known (and open): then other nodes' requests can be served."""
        loop = self.loop
        return loop is not None and not loop.is_closed()

    def dispatch(self, raw: Any) -> None:
        """In the listener's thread: act on ``raw`` on the loop."""
        loop = self.loop
        if loop is None:
            return  # no client here yet: nothing to deliver to
        try:
            loop.call_soon_threadsafe(self._dispatch, raw)
        except RuntimeError:  # the loop is closed: the server is gone
            return

    def register_ack(self, callback: Callable[..., Any], timeout: float | None) -> int:
        loop = self.bind()
        if loop is None:
            raise exceptions.UsageError("emit(callback=) to another node needs a running loop")
        run_soon = self.loop_backend.run_soon

        def on_loop(*args: Any) -> None:  # called in a thread of the RemoteAcks
            try:
                loop.call_soon_threadsafe(run_soon, callback, *args)
            except RuntimeError:
                return

        ack_id: int = self._register_ack(on_loop, timeout)
        return ack_id

    async def call_remote(
        self, event: str, args: list[Any], sid: str, namespace: str, timeout: float
    ) -> Any:
        """``AsyncServer.call`` (or a write-only ``call``) to a sid of another node."""
        manager = self.manager
        loop = asyncio.get_running_loop()
        self.bind()
        if manager.write_only:  # subscribing to the reply channel blocks: not on the loop
            manager._start()
            listener = manager._listen_on(manager.reply_channel)
            await loop.run_in_executor(None, listener.subscribed.wait, 10.0)
        future: asyncio.Future[list[Any]] = loop.create_future()

        def got(*reply: Any) -> None:
            if not future.done():
                future.set_result(list(reply))

        data = tuple(args) if manager.write_only else args
        manager.emit(event, data, namespace, room=sid, callback=got)
        try:
            reply = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise exceptions.TimeoutError(f"no ack from {sid} within {timeout} s") from None
        return ack_value(reply)


def serve_asyncio(manager: Any, server: Delivery) -> None:
    """``set_server`` of an ``AsyncServer``: start the broker threads, bridge to its loop."""
    Manager.set_server(manager, server)
    bridge = bridged(manager)
    bridge.bind()  # made on the loop (an app factory): known at once
    threads = manager._start(get_backend("threading"))
    listener = manager._listen_on(manager.channel)
    if manager.cluster is None:
        link = ClusterLink(manager, threads, manager._dumps, bridge.loop_backend, bridge.ready)
        manager.cluster = link.start(listener)


def bridged(manager: Any) -> LoopBridge:
    """``manager``'s bridge to the loop, made on first use (a write-only asyncio emitter)."""
    bridge: LoopBridge | None = getattr(manager, "loop_bridge", None)
    return bridge if bridge is not None else LoopBridge(manager)


__all__ = ["LoopBridge", "bridged", "serve_asyncio"]
