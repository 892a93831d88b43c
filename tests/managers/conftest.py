"""The brokers of the manager tests: one redis-server and one RabbitMQ node for the session,
each our own child process on a loopback port (``tests.support.brokers``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.brokers import RabbitMQServer, RedisServer, rabbitmq_server, redis_server


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[RabbitMQServer]:
    with rabbitmq_server() as server:
        yield server
