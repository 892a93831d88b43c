"""greensio: Socket.IO (Engine.IO v4 + Socket.IO v5) for Python over greenlets, and asyncio.

``import greensio as socketio`` runs python-socketio code that uses the features below.
"""

from greensio import exceptions
from greensio._version import __version__
from greensio.client.async_client import AsyncClient
from greensio.client.async_namespace import AsyncClientNamespace
from greensio.client.async_simple import AsyncSimpleClient
from greensio.client.client import Client
from greensio.client.namespace import ClientNamespace
from greensio.client.simple import SimpleClient
from greensio.engineio.client import EngineIOClient
from greensio.engineio.server import EngineIOServer
from greensio.managers.async_managers import (
    AsyncAioPikaManager,
    AsyncRedisManager,
    AsyncRedisStreamsManager,
)
from greensio.managers.base import AsyncManager, Manager
from greensio.managers.kombu_manager import KombuManager
from greensio.managers.pubsub import PubSubManager
from greensio.managers.redis_manager import RedisManager
from greensio.managers.redis_streams_manager import RedisStreamsManager
from greensio.server.asgi import ASGIApp
from greensio.server.async_namespace import AsyncNamespace
from greensio.server.async_server import AsyncServer
from greensio.server.namespace import Namespace
from greensio.server.server import Server
from greensio.server.wsgi import Middleware, WSGIApp

__all__ = [
    "ASGIApp",
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncAioPikaManager",
    "AsyncManager",
    "AsyncRedisManager",
    "AsyncRedisStreamsManager",
    "AsyncNamespace",
    "AsyncServer",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "EngineIOClient",
    "EngineIOServer",
    "KombuManager",
    "Manager",
    "Middleware",
    "Namespace",
    "PubSubManager",
    "RedisManager",
    "RedisStreamsManager",
    "Server",
    "SimpleClient",
    "WSGIApp",
    "__version__",
    "exceptions",
]
