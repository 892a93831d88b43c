"""``KombuManager``: a ``PubSubManager`` over kombu (RabbitMQ first), python-socketio's shape.

The channel is a non-durable ``fanout`` exchange named after it; each node consumes from a
non-durable queue of its own bound to it (``greensio.<host_id>``, expiring 5 minutes after its
last consumer went, ``x-expires``: the queue keeps what arrives while this node reconnects).
Messages are published as python-socketio publishes them: the JSON text of the message, itself
serialized by kombu as a JSON string (so the two share one exchange). A write-only emitter's
replies come on a queue named ``<channel>.reply.<host_id>``, reached through the default
exchange. The health check publishes a marker to the node's own queue and waits for it there.
py-amqp turns TCP keepalive on.

A broker restart loses the (non-durable) exchange, queues and bindings: each node declares its
queue again when it reconnects. After an outage the publisher waits, at most
``resubscribe_wait`` seconds, until every greensio node it knows of (the cluster heartbeat's
peers, and itself) consumes from its queue again, so that what was buffered meanwhile is not
routed to nobody. python-socketio's nodes are not known by name, so not waited for.
"""

from __future__ import annotations

import logging
from typing import Any

from greensio.exceptions import UsageError
from greensio.managers.listener import ALIVE
from greensio.managers.outbox import DEFAULT_LIMIT
from greensio.managers.pubsub import PubSubManager

#: The payload of a health-check message (never a JSON object, so never a manager message).
HEALTH_CHECK = "greensio-health-check"


def _kombu() -> Any:
    try:
        import kombu
    except ImportError as exc:
        raise UsageError("KombuManager needs kombu: pip install greensio[kombu]") from exc
    return kombu


class _KombuSubscription:
    def __init__(self, connection: Any, queue: Any) -> None:
        self.connection = connection
        self.queue = queue
        connection.ensure_connection(max_retries=1)
        self.simple = connection.SimpleQueue(queue)  # declares, binds and consumes now

    def get(self, timeout: float) -> bytes | str | dict[str, Any] | None:
        try:
            message = self.simple.get(block=True, timeout=timeout)
        except self.simple.Empty:
            return None
        message.ack()
        payload = message.payload
        if payload == HEALTH_CHECK:
            return ALIVE
        if isinstance(payload, bytes):
            return payload.decode("utf-8", "replace")
        return payload

    def ping(self) -> None:
        producer = self.connection.Producer()  # the default exchange: to the queue by its name
        producer.publish(HEALTH_CHECK, routing_key=self.queue.name)

    def close(self) -> None:
        # Without a word to the broker: a graceful close waits for its answers, forever on a
        # connection gone silent. The broker drops the consumer when the socket closes.
        self.connection.collect()


class KombuManager(PubSubManager):
    """Client manager over kombu (RabbitMQ's AMQP; kombu's other transports too), wire-compatible
    with python-socketio's ``KombuManager``.

    Args:
        url: the broker, e.g. ``amqp://guest:guest@localhost:5672//``.
        channel: the fanout exchange every node shares (``socketio``).
        write_only: True for an emitter outside any server (see ``PubSubManager``).
        logger: where to log (``greensio.managers`` by default).
        json: a module with ``dumps``/``loads`` for the channel's messages.
        connection_options: keyword arguments for ``kombu.Connection``.
        exchange_options: for ``kombu.Exchange`` (default ``type='fanout', durable=False``).
        queue_options: for ``kombu.Queue`` (default ``durable=False``, ``x-expires`` 300 s).
        producer_options: for ``kombu.Producer``.
        max_buffer: most messages held while the broker is unreachable (10,000).
        health_check_interval: seconds of silence before the subscriber checks its queue (15).
        resubscribe_wait: after an outage, the most seconds to wait for the other nodes'
            queues to be consumed again before publishing what was buffered (10).
    """

    name = "kombu"

    def __init__(
        self,
        url: str = "amqp://guest:guest@localhost:5672//",
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        connection_options: dict[str, Any] | None = None,
        exchange_options: dict[str, Any] | None = None,
        queue_options: dict[str, Any] | None = None,
        producer_options: dict[str, Any] | None = None,
        *,
        max_buffer: int = DEFAULT_LIMIT,
        health_check_interval: float = 15.0,
        resubscribe_wait: float = 10.0,
    ) -> None:
        _kombu()
        super().__init__(
            channel,
            write_only,
            logger,
            json,
            max_buffer=max_buffer,
            health_check_interval=health_check_interval,
        )
        self.url = url
        self.connection_options = dict(connection_options or {})
        self.exchange_options = dict(exchange_options or {})
        self.queue_options = dict(queue_options or {})
        self.producer_options = dict(producer_options or {})
        self.resubscribe_wait = resubscribe_wait
        self._publisher: Any = None
        self._producer: Any = None
        self._direct: Any = None

    def _connection(self) -> Any:
        return _kombu().Connection(self.url, **self.connection_options)

    def _exchange(self) -> Any:
        options: dict[str, Any] = {"type": "fanout", "durable": False}
        options.update(self.exchange_options)
        return _kombu().Exchange(self.channel, **options)

    def _queue(self, address: str) -> Any:
        kombu = _kombu()
        options: dict[str, Any] = {"durable": False, "queue_arguments": {"x-expires": 300000}}
        options.update(self.queue_options)
        if address == self.channel:
            return kombu.Queue(f"greensio.{self.host_id}", self._exchange(), **options)
        # a reply queue: the default exchange routes to it by its name
        return kombu.Queue(address, kombu.Exchange(""), routing_key=address, **options)

    def _publish_raw(self, address: str | None, body: bytes) -> None:
        if self._producer is None:
            self._publisher = self._connection()
            self._publisher.ensure_connection(max_retries=1)
            self._producer = self._publisher.Producer(
                exchange=self._exchange(), **self.producer_options
            )
            # to a reply queue, through the default exchange (publish(exchange="") would fall
            # back on the producer's own)
            self._direct = self._publisher.Producer(**self.producer_options)
        text = body.decode("utf-8")  # python-socketio's body: the JSON text as a JSON string
        if address is None:
            self._producer.publish(text)
        else:
            self._direct.publish(text, routing_key=address)

    def _reset_publisher(self) -> None:
        publisher, self._publisher, self._producer = self._publisher, None, None
        self._direct = None
        if publisher is not None:
            publisher.collect()  # no graceful close: the connection may be gone silent

    def _recover(self) -> None:
        hosts = set() if self.cluster is None else set(self.cluster.peers) | {self.host_id}
        if not hosts:
            return
        assert self.backend is not None
        deadline = self.backend.monotonic() + self.resubscribe_wait
        with self._connection() as connection:
            connection.ensure_connection(max_retries=1)  # still down: the outbox backs off
            while hosts and self.backend.monotonic() < deadline:
                hosts = {host for host in hosts if not self._consumed(connection, host)}
                if hosts:
                    self.backend.sleep(0.05)
        if hosts:
            self.logger.warning(
                "publishing what was buffered though %d nodes have not subscribed again",
                len(hosts),
            )

    def _consumed(self, connection: Any, host_id: str) -> bool:
        """Whether node ``host_id``'s queue exists and has its consumer (a passive declare)."""
        channel = connection.channel()
        try:
            _, _, consumers = channel.queue_declare(queue=f"greensio.{host_id}", passive=True)
        except connection.channel_errors:  # 404: not declared yet (and the channel is closed)
            return False
        channel.close()
        return bool(consumers)

    def _subscribe(self, address: str) -> _KombuSubscription:
        return _KombuSubscription(self._connection(), self._queue(address))

    def _close(self) -> None:
        self._reset_publisher()
