"""The Socket.IO server front-end: ``Server``, ``Namespace``, the server's record of each client
(``connection``), event handling (``events``) and the WSGI middleware (``wsgi``)."""

from greensio.server.namespace import Namespace
from greensio.server.server import Server
from greensio.server.wsgi import Middleware, WSGIApp

__all__ = ["Middleware", "Namespace", "Server", "WSGIApp"]
