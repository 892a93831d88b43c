"""The Engine.IO drivers: the server (``server``, with its request handling in ``requests``; its
asyncio twin ``async_server``, answering ASGI in ``asgi_requests``), the
client (``client``), and the socket both drive (``socket``). They move bytes between the transports
and the protocol core's Engine.IO sessions; every protocol decision is the core's."""

from greensio.engineio.async_server import AsyncEngineIOServer
from greensio.engineio.client import EngineIOClient
from greensio.engineio.server import EngineIOServer

__all__ = ["AsyncEngineIOServer", "EngineIOClient", "EngineIOServer"]
