"""The servers that the official protocol suites run against (test_official_suites.py).

Each mirrors the reference configuration the suite's authors give for Node (the README of
``socketio/engine.io-protocol`` and of ``socketio/socket.io-protocol``, section "Test suite"):
``pingInterval: 300``, ``pingTimeout: 200``, ``maxPayload: 1000000`` (here
``ping_interval=0.3``, ``ping_timeout=0.2``, ``max_http_buffer_size=1_000_000``), CORS open to
every origin. Built as ``build_engineio(greensio)`` / ``build_socketio(greensio)`` by
``tests.support.serve``; ``**options`` go to the server unchanged.

``build_engineio_asgi`` and ``build_socketio_asgi`` are the same servers on the asyncio classes
(``AsyncEngineIOServer``, ``AsyncServer``), behind ``ASGIApp``, for uvicorn and hypercorn.

``build_engineio``: a bare Engine.IO server at ``/engine.io/`` that sends every message (text or
binary) back to its sender, as Node's ``socket.on("data", ...) -> socket.send(...)``.

``build_socketio``: a Socket.IO server at ``/socket.io/``:
    ``/``        on connect emits ``auth`` with the CONNECT payload (``{}`` when there is none, as
                 ``socket.handshake.auth`` is in JavaScript); ``message`` -> ``message-back`` with
                 the same arguments; ``message-with-ack`` acknowledged with the same arguments
    ``/custom``  on connect emits ``auth`` the same way, and nothing else
Any other namespace is refused (the suite expects ``Invalid namespace``).
"""

from __future__ import annotations

#: Node's reference configuration of both suites, in greensio's (python-engineio's) option names.
REFERENCE = {
    "ping_interval": 0.3,
    "ping_timeout": 0.2,
    "max_http_buffer_size": 1_000_000,
    "cors_allowed_origins": "*",
}


def build_engineio(greensio, **options):
    """Return the WSGI app of the Engine.IO echo server (``/engine.io/``)."""
    eio = greensio.EngineIOServer(async_mode="gevent", **{**REFERENCE, **options})

    @eio.on("message")
    def message(sid, data):
        eio.send(sid, data)

    return greensio.WSGIApp(eio, socketio_path="engine.io")


def build_socketio(greensio, **options):
    """Return the WSGI app of the Socket.IO server (``/socket.io/``)."""
    sio = greensio.Server(async_mode="gevent", **{**REFERENCE, **options})

    def emit_auth(namespace: str):
        def connect(sid, environ, auth):
            sio.emit("auth", {} if auth is None else auth, to=sid, namespace=namespace)

        return connect

    sio.on("connect", emit_auth("/"))
    sio.on("connect", emit_auth("/custom"), namespace="/custom")

    @sio.on("message")
    def message(sid, *args):
        sio.emit("message-back", args, to=sid)

    @sio.on("message-with-ack")
    def message_with_ack(sid, *args):
        return args

    return greensio.WSGIApp(sio)


def build_engineio_asgi(greensio, **options):
    """``build_engineio`` on the asyncio Engine.IO server: its ASGI app."""
    from greensio.engineio import AsyncEngineIOServer

    eio = AsyncEngineIOServer(**{**REFERENCE, **options})

    @eio.on("message")
    def message(sid, data):
        eio.send(sid, data)

    return greensio.ASGIApp(eio, socketio_path="engine.io")


def build_socketio_asgi(greensio, **options):
    """``build_socketio`` on ``AsyncServer``: its ASGI app."""
    sio = greensio.AsyncServer(**{**REFERENCE, **options})

    def emit_auth(namespace: str):
        async def connect(sid, environ, auth):
            await sio.emit("auth", {} if auth is None else auth, to=sid, namespace=namespace)

        return connect

    sio.on("connect", emit_auth("/"))
    sio.on("connect", emit_auth("/custom"), namespace="/custom")

    @sio.on("message")
    async def message(sid, *args):
        await sio.emit("message-back", args, to=sid)

    @sio.on("message-with-ack")
    async def message_with_ack(sid, *args):
        return args

    return greensio.ASGIApp(sio)
