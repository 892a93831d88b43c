"""greensio: Socket.IO (Engine.IO v4 + Socket.IO v5) for Python over greenlets.

``import greensio as socketio`` runs python-socketio code that uses the features below.
"""

from greensio import exceptions
from greensio._version import __version__
from greensio.client import Client
from greensio.client_namespace import ClientNamespace
from greensio.engineio_client import EngineIOClient
from greensio.engineio_server import EngineIOServer
from greensio.manager import Manager
from greensio.namespace import Namespace
from greensio.server import Server
from greensio.simple_client import SimpleClient
from greensio.wsgi import Middleware, WSGIApp

__all__ = [
    "Client",
    "ClientNamespace",
    "EngineIOClient",
    "EngineIOServer",
    "Manager",
    "Middleware",
    "Namespace",
    "Server",
    "SimpleClient",
    "WSGIApp",
    "__version__",
    "exceptions",
]
