"""``RedisManager``: a ``PubSubManager`` over Redis (or Valkey) pub/sub, with redis-py.

Every node subscribes to the channel (``SUBSCRIBE socketio``) on a connection of its own and
publishes on another (``PUBLISH``). Both connections have TCP keepalive on (middleboxes drop idle
pub/sub connections); redis-py's own retries are off, since the manager backs off and reconnects
itself (``greensio.managers.pubsub``). The health check is a ``PING`` on the subscriber
connection, answered there by a pong.

After an outage the publisher waits, at most ``resubscribe_wait`` seconds, until as many
subscribers are back on the channel as the last ``PUBLISH`` reached (``PUBSUB NUMSUB``), so that
what was buffered meanwhile is not published to nobody.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlparse

from greensio.backends.base import Backend
from greensio.exceptions import UsageError
from greensio.managers.listener import ALIVE
from greensio.managers.outbox import DEFAULT_LIMIT
from greensio.managers.pubsub import PubSubManager
from greensio.managers.recovery_store import RedisRecoveryStore
from greensio.protocol.socketio.recovery import RecoveryOptions

SCHEMES = ("redis", "rediss", "unix", "valkey", "valkeys", "redis+sentinel", "valkey+sentinel")


def _redis_module() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise UsageError("RedisManager needs redis-py: pip install greensio[redis]") from exc
    return redis


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str | None, dict[str, Any]]:
    """``redis+sentinel://[user:password@]host:port[,host:port...][/db[/service]]``: the
    sentinels, the service name and the connection options."""
    parsed = urlparse(url)
    sentinels = []
    for host_port in parsed.netloc.rpartition("@")[2].split(","):
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"a sentinel is host:port, not {host_port!r} in {url!r}")
        sentinels.append((host, int(port)))
    options: dict[str, Any] = {}
    if parsed.username:
        options["username"] = unquote(parsed.username)
    if parsed.password:
        options["password"] = unquote(parsed.password)
    parts = parsed.path.split("/")
    if len(parts) > 1 and parts[1]:
        options["db"] = int(parts[1])
    service = parts[2] if len(parts) > 2 and parts[2] else None
    return sentinels, service, options


class _RedisSubscription:
    def __init__(self, client: Any, address: str, timeout: float) -> None:
        self.client = client
        self.pubsub = client.pubsub()
        self.pubsub.subscribe(address)
        # SUBSCRIBE is confirmed on the connection: wait for it, so that the caller may publish
        # what must reach this subscription (a write-only emitter's request) right after.
        message = self.pubsub.get_message(timeout=timeout)
        if message is None or message.get("type") != "subscribe":
            self.close()
            raise ConnectionError(f"SUBSCRIBE {address} not confirmed within {timeout} s")

    def get(self, timeout: float) -> bytes | None:
        message = self.pubsub.get_message(timeout=timeout)
        if message is None:
            return None
        if message.get("type") == "message":
            data: bytes = message["data"]
            return data
        return ALIVE

    def ping(self) -> None:
        self.pubsub.ping("greensio-health-check")

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()


class RedisManager(PubSubManager):
    """Client manager over Redis pub/sub, python-socketio's ``RedisManager`` in shape and on the
    wire (a fleet of both shares one channel).

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS), ``unix:///path``,
            or ``redis+sentinel://[:password@]host:port[,host:port...]/db/service``
            (``valkey://`` works too, through redis-py).
        channel: the channel every node shares (python-socketio's default, ``socketio``).
        write_only: True for an emitter outside any server (see ``PubSubManager``).
        logger: where to log (``greensio.managers`` by default).
        json: a module with ``dumps``/``loads`` for the channel's messages.
        redis_options: keyword arguments for ``redis.Redis.from_url`` (or ``Sentinel``).
        max_buffer: most messages held while Redis is unreachable (10,000).
        health_check_interval: seconds of silence before the subscriber pings Redis (15).
        resubscribe_wait: after an outage, the most seconds to wait for the other nodes to
            subscribe again before publishing what was buffered (5).
    """

    name = "redis"
    #: The outbox publishes what waits in one pipeline (``_publish_many``).
    pipelined = True

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
        *,
        max_buffer: int = DEFAULT_LIMIT,
        health_check_interval: float = 15.0,
        resubscribe_wait: float = 5.0,
    ) -> None:
        scheme = urlparse(url).scheme.lower()
        if scheme not in SCHEMES:
            raise UsageError(f"unsupported Redis URL scheme {scheme!r}: one of {SCHEMES}")
        _redis_module()
        super().__init__(
            channel,
            write_only,
            logger,
            json,
            max_buffer=max_buffer,
            health_check_interval=health_check_interval,
        )
        self.redis_url = url
        self.redis_options = dict(redis_options or {})
        self.resubscribe_wait = resubscribe_wait
        self._publisher: Any = None
        self._subscriber_clients: list[Any] = []
        #: Subscribers the last PUBLISH on the channel reached.
        self.receivers = 0

    def _client(self) -> Any:
        redis = _redis_module()
        # keepalive: middleboxes drop idle connections; a timeout: a reply that never comes (a
        # connection silently dropped) fails the publish, which is then retried.
        options: dict[str, Any] = {"socket_connect_timeout": 5, "socket_timeout": 10}
        if urlparse(self.redis_url).scheme != "unix":
            options["socket_keepalive"] = True
        if "retry" not in self.redis_options:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            options["retry"] = Retry(NoBackoff(), 0)
        options.update(self.redis_options)
        if "+sentinel" in urlparse(self.redis_url).scheme:
            sentinels, service, url_options = parse_sentinel_url(self.redis_url)
            sentinel = redis.sentinel.Sentinel(sentinels, **{**options, **url_options})
            return sentinel.master_for(service or self.channel)
        url = self.redis_url
        if url.startswith("valkey"):
            url = "redis" + url[len("valkey") :]
        return redis.Redis.from_url(url, **options)

    def _start(self, backend: Backend | None = None) -> Backend:
        started = super()._start(backend)
        if self.pipelined:
            assert self.outbox is not None
            self.outbox.publish_many = self._publish_many
        return started

    def _publish_raw(self, address: str | None, body: bytes) -> None:
        if self._publisher is None:
            self._publisher = self._client()
        count = self._publisher.publish(address or self.channel, body)
        if address is None:
            self.receivers = count

    def _publish_many(self, batch: list[tuple[str | None, bytes]]) -> None:
        """Several PUBLISHes in one round trip (a pipeline, no transaction)."""
        if self._publisher is None:
            self._publisher = self._client()
        pipeline = self._publisher.pipeline(transaction=False)
        for address, body in batch:
            pipeline.publish(address or self.channel, body)
        counts = pipeline.execute()
        for (address, _), count in zip(batch, counts, strict=True):
            if address is None:
                self.receivers = count

    def _reset_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            publisher.close()

    def _recover(self) -> None:
        want = self.receivers
        if not want:
            return
        if self._publisher is None:
            self._publisher = self._client()
        assert self.backend is not None
        deadline = self.backend.monotonic() + self.resubscribe_wait
        while self.backend.monotonic() < deadline:
            counts = self._publisher.pubsub_numsub(self.channel)
            if counts and counts[0][1] >= want:
                return
            self.backend.sleep(0.05)
        self.logger.warning(
            "publishing what was buffered though fewer than %d nodes subscribed again", want
        )

    def _subscribe(self, address: str) -> _RedisSubscription:
        return _RedisSubscription(self._client(), address, timeout=5.0)

    def recovery_store(self, options: RecoveryOptions) -> RedisRecoveryStore:
        """Connection state recovery's log and lost sessions in Redis, for every node of the
        channel (``greensio.managers.recovery_store``)."""
        return RedisRecoveryStore(
            self._client, self.channel, options, self._dumps, self._loads, self.logger
        )

    def owner_registry(self) -> RedisOwnerRegistry:
        """Where this cluster's workers find each other (greensio/engineio/forwarding.py)."""
        return RedisOwnerRegistry(self._client, f"greensio:owner:{self.channel}:")

    def _close(self) -> None:
        self._reset_publisher()


class RedisOwnerRegistry:
    """Workers' private endpoints, one Redis key each (``prefix`` + owner id) with a TTL."""

    def __init__(self, connect: Any, prefix: str) -> None:
        self.connect = connect
        self.prefix = prefix
        self._client: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            self._client = self.connect()
        return self._client

    def register(self, owner_id: str, record: str, ttl: float) -> None:
        try:
            self._redis().set(self.prefix + owner_id, record, ex=max(1, round(ttl)))
        except Exception:
            self._client = None
            raise

    def lookup(self, owner_id: str) -> str | None:
        try:
            value = self._redis().get(self.prefix + owner_id)
        except Exception:
            self._client = None
            raise
        return value.decode() if isinstance(value, bytes) else value
