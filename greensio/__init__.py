"""greensio: Socket.IO (Engine.IO v4 + Socket.IO v5) for Python over greenlets.

``import greensio as socketio`` runs python-socketio server code that uses the features below.
"""

from greensio import exceptions
from greensio._version import __version__
from greensio.engineio_server import EngineIOServer
from greensio.manager import Manager
from greensio.namespace import Namespace
from greensio.server import Server
from greensio.wsgi import Middleware, WSGIApp

__all__ = [
    "EngineIOServer",
    "Manager",
    "Middleware",
    "Namespace",
    "Server",
    "WSGIApp",
    "__version__",
    "exceptions",
]
