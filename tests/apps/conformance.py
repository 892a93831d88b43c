# Generated from tests/apps/async_conformance.py by scripts/unasync.py: do not edit.
"""The conformance test application: the reference server of the official protocol test suites.

Mirrors the server that ``socketio/socket.io-protocol``'s ``test-suite/`` expects (its README gives
it in JavaScript), written against the API greensio shares with python-socketio, so the raw-wire
tests in ``tests/conformance/`` run against either package. Built as ``build(socketio, **options)``
by ``tests.support.serve``.

Configuration: ``ping_interval=0.3`` and ``ping_timeout=0.2`` seconds (the suites expect 300 ms and
200 ms on the wire); ``maxPayload`` is left at its default (1 000 000). Further ``**options`` go to
the server unchanged (``max_http_buffer_size``, ``cors_allowed_origins``,
``connect_timeout``, ...).

Namespaces ``/`` and ``/custom`` (the reference server gives ``/custom`` only the ``auth`` emit;
here it gets the same events, so tests can use either namespace):
    connect           emits ``auth`` with the CONNECT payload to the new socket, from inside the
                      handler (``{}`` when the client sent none, as ``socket.handshake.auth`` is in
                      JavaScript); a payload of ``{"refuse": true}`` is refused with ``refused``
    message           emits ``message-back`` with the same arguments to the sender
    message-with-ack  acknowledges with the same arguments

Not mirrored: the newer suite's ``emit-with-ack`` event (the server emits with an ack callback,
then re-emits the client's ack arguments) needs ``sio.emit(..., callback=...)``, outside the API
this app keeps to; server-initiated acks are left to the interop tests. The reference server's
``cors: {origin: "*"}`` is not set: the CORS tests pass ``cors_allowed_origins`` themselves.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (tests/apps/conformance.py).
"""

from __future__ import annotations

CUSTOM = "/custom"
NAMESPACES = ("/", CUSTOM)
#: A CONNECT payload that the connect handler refuses.
REFUSE = {"refuse": True}


def build(socketio, **options):
    """Return the web app of a fresh conformance server.

    Args:
        socketio: the Socket.IO package under test (greensio, or python-socketio as a reference).
        **options: further keyword arguments for the server.
    """
    sio = socketio.Server(ping_interval=0.3, ping_timeout=0.2, **options)
    for namespace in NAMESPACES:
        _handlers(socketio, sio, namespace)
    return socketio.WSGIApp(sio)


def _handlers(socketio, sio, namespace: str) -> None:
    @sio.on("connect", namespace=namespace)
    def connect(sid, environ, auth):
        if auth == REFUSE:
            raise socketio.exceptions.ConnectionRefusedError("refused")
        sio.emit("auth", {} if auth is None else auth, to=sid, namespace=namespace)

    @sio.on("message", namespace=namespace)
    def message(sid, *args):
        sio.emit("message-back", args, to=sid, namespace=namespace)

    @sio.on("message-with-ack", namespace=namespace)
    def message_with_ack(sid, *args):
        return args
