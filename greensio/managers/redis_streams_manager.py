"""``RedisStreamsManager``: the channel is a Redis stream, read from where each node left off.

Theory of operation: a node publishes with ``XADD <channel> MAXLEN ~ <stream_maxlen> * m
<message>`` (the same JSON messages as ``RedisManager``'s) and reads with ``XREAD BLOCK``,
remembering the id of the last entry it read. A subscription made anew (after a dropped
connection, a Redis restart) goes on from that id, so nothing XADDed while the node was away is
missed; with the publisher's buffer (``greensio.managers.outbox``), which keeps what is emitted
while Redis is down and XADDs it once Redis is back, every emit made during a Redis restart
reaches its clients after it. Delivery is **at least once**: a publish whose answer was lost is
published again. The first subscription starts at the stream's end (the entries already there are
history). Redis gives entry ids from its clock, so after a restart without persistence the new
entries still sort after the last one read.

``XREAD``'s own timeout is the health check: Redis answers an empty read at the end of each block,
and a connection that stops answering fails the read after ``socket_timeout``.

Replies to a write-only emitter still go over pub/sub (``<channel>.reply.<host_id>``).
python-socketio has no such manager: its nodes cannot share this channel.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from greensio.managers.listener import ALIVE
from greensio.managers.redis_manager import RedisManager


class _StreamSubscription:
    def __init__(self, manager: RedisStreamsManager) -> None:
        self.manager = manager
        self.client = manager._client()
        self.pending: deque[bytes] = deque()
        if manager.last_id is None:  # the first subscription: from the stream's end
            newest = self.client.xrevrange(manager.channel, count=1)
            manager.last_id = newest[0][0] if newest else b"0-0"

    def get(self, timeout: float) -> bytes | None:
        if not self.pending:
            block = max(1, int(timeout * 1000))
            streams = {self.manager.channel: self.manager.last_id}
            found = self.client.xread(streams, count=100, block=block)
            for _name, entries in found or ():
                for entry_id, fields in entries:
                    self.manager.last_id = entry_id
                    body = fields.get(b"m")
                    if body is not None:
                        self.pending.append(body)
        if self.pending:
            return self.pending.popleft()
        return ALIVE  # Redis answered: the connection is alive

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()


class RedisStreamsManager(RedisManager):
    """Client manager over a Redis stream: at-least-once across a Redis restart.

    Args are ``RedisManager``'s, plus ``stream_maxlen``: about how many entries the stream keeps
    (``XADD MAXLEN ~``, 10,000 by default): a node that was away longer than that many messages
    misses the oldest.
    """

    name = "redis-streams"
    #: One XADD at a time (``_publish_raw``), not RedisManager's pipeline of PUBLISHes.
    pipelined = False

    def __init__(self, *args: Any, stream_maxlen: int = 10_000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream_maxlen = stream_maxlen
        #: The id of the last stream entry read (None before the first subscription).
        self.last_id: bytes | None = None

    def _publish_raw(self, address: str | None, body: bytes) -> None:
        if address is not None:  # a write-only emitter's reply channel: pub/sub
            super()._publish_raw(address, body)
            return
        if self._publisher is None:
            self._publisher = self._client()
        fields: dict[Any, Any] = {"m": body}
        self._publisher.xadd(self.channel, fields, maxlen=self.stream_maxlen, approximate=True)

    def _recover(self) -> None:
        """Nothing to wait for: the other nodes read the stream from where they left off."""

    def _subscribe(self, address: str) -> Any:
        if address != self.channel:
            return super()._subscribe(address)
        return _StreamSubscription(self)
