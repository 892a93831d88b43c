"""Client managers: who is connected, in which rooms, and the fan-out of emits. ``base`` holds the
interface and the in-memory manager; ``pubsub`` the message-queue managers' common part, with
``redis_manager``, ``redis_streams_manager`` and ``kombu_manager`` for the brokers (their client
libraries are imported only when one is made); ``loop_bridge`` serves an ``AsyncServer`` with
any of them, and ``async_managers`` holds python-socketio's asyncio names."""

from greensio.managers.async_managers import (
    AsyncAioPikaManager,
    AsyncRedisManager,
    AsyncRedisStreamsManager,
)
from greensio.managers.base import Manager
from greensio.managers.kombu_manager import KombuManager
from greensio.managers.pubsub import PubSubManager
from greensio.managers.redis_manager import RedisManager
from greensio.managers.redis_streams_manager import RedisStreamsManager

__all__ = [
    "AsyncAioPikaManager",
    "AsyncRedisManager",
    "AsyncRedisStreamsManager",
    "KombuManager",
    "Manager",
    "PubSubManager",
    "RedisManager",
    "RedisStreamsManager",
]
