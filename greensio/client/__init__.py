"""The Socket.IO client front-end: ``Client`` (its event and ack side in ``events``, its
reconnection in ``reconnect``), ``ClientNamespace`` and ``SimpleClient``."""

from greensio.client.client import Client
from greensio.client.namespace import ClientNamespace
from greensio.client.simple import SimpleClient

__all__ = ["Client", "ClientNamespace", "SimpleClient"]
