"""The Socket.IO client front-end: ``AsyncClient`` (its event and ack side in ``async_events``,
its reconnection in ``async_reconnect``), ``AsyncClientNamespace`` and ``AsyncSimpleClient``, and
their greenlet twins ``Client``, ``ClientNamespace`` and ``SimpleClient`` generated from them."""

from greensio.client.async_client import AsyncClient
from greensio.client.async_namespace import AsyncClientNamespace
from greensio.client.async_simple import AsyncSimpleClient
from greensio.client.client import Client
from greensio.client.namespace import ClientNamespace
from greensio.client.simple import SimpleClient

__all__ = [
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "SimpleClient",
]
