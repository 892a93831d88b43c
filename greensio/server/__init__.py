"""The Socket.IO server front-end: ``Server``, ``Namespace``, the server's record of each client
(``remote_client``), event handling (``events``), delivery to local clients for the managers
(``delivery``) and the WSGI middleware (``wsgi``)."""

from greensio.server.namespace import Namespace
from greensio.server.server import Server
from greensio.server.wsgi import Middleware, WSGIApp

__all__ = ["Middleware", "Namespace", "Server", "WSGIApp"]
