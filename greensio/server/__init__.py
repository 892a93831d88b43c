"""The Socket.IO server front-ends: ``Server`` and ``AsyncServer`` (``server``, generated from
``async_server``), their namespaces, the server's record of each client (``remote_client``),
event handling (``events``), delivery to local clients for the managers (``delivery``), middlewares
and listeners (``listeners``), and the web server adapters ``WSGIApp`` (``wsgi``) and ``ASGIApp``
(``asgi``). Each ``async_*`` module is the source its greenlet twin is generated from
(scripts/unasync.py)."""

from greensio.server.asgi import ASGIApp
from greensio.server.async_namespace import AsyncNamespace
from greensio.server.async_server import AsyncServer
from greensio.server.namespace import Namespace
from greensio.server.server import Server
from greensio.server.wsgi import Middleware, WSGIApp

__all__ = [
    "ASGIApp",
    "AsyncNamespace",
    "AsyncServer",
    "Middleware",
    "Namespace",
    "Server",
    "WSGIApp",
]
