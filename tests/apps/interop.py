# Generated from tests/apps/async_interop.py by scripts/unasync.py: do not edit.
"""The interop test application: one server that every foreign peer (JS, python-socketio) talks to.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (tests/apps/interop.py), so
the interop tests check both front-ends with one app.

Built as ``build(socketio, **options)`` by ``tests.support.serve``; ``socketio`` is either greensio
or python-socketio (the reference), so this module uses only the API both share.

Namespace ``/``:
    connect          emits ``welcome`` {sid, auth} from inside the handler;
                     auth ``{"refuse": true}`` is refused with data ``{"reason": "bad"}``
    echo             acks with its arguments unchanged
    echo_event       emits ``echo_event`` with the same data back to the sender
    binary           acks with a nested object holding bytes, plus the bytes it received
    ask_client       emits ``question`` with a callback; the client's ack comes back as ``answer``
    multi            emits ``multi`` with three arguments
    disconnect_me    the server disconnects the sender
Namespace ``/private``:
    connect          requires auth ``{"token": "secret"}``; emits ``welcome`` like ``/``
    echo             acks with its arguments unchanged
"""

from __future__ import annotations

#: The nested binary object the ``binary`` event sends back; tests compare against it byte for byte.
SERVER_BLOB = {"blob": b"\x00\x01\xff", "list": [b"ab", {"x": b"cd"}]}
PRIVATE = "/private"
TOKEN = {"token": "secret"}


def build(socketio, async_mode=None, **options):
    """Return the web app of a fresh interop server.

    Args:
        socketio: the Socket.IO package under test (greensio, or python-socketio as a reference).
        async_mode: the server's (None: its own choice: gevent under gevent, the asyncio one).
        **options: keyword arguments for the server (``transports``, ``ping_interval``...).
    """
    sio = socketio.Server(async_mode=async_mode, **options)
    _root_handlers(socketio, sio)
    _private_handlers(socketio, sio)
    return socketio.WSGIApp(sio)


def _root_handlers(socketio, sio) -> None:
    @sio.event
    def connect(sid, environ, auth):
        if auth == {"refuse": True}:
            raise socketio.exceptions.ConnectionRefusedError("refused", {"reason": "bad"})
        sio.emit("welcome", {"sid": sid, "auth": auth}, to=sid)

    @sio.event
    def echo(sid, *args):
        return args

    @sio.event
    def echo_event(sid, data):
        sio.emit("echo_event", data, to=sid)

    @sio.event
    def binary(sid, data):
        # The server's own nested bytes and what the client sent: a peer checks both directions.
        return SERVER_BLOB, data

    @sio.event
    def ask_client(sid, data):
        def answered(*args):
            sio.emit("answer", list(args), to=sid)

        sio.emit("question", data, to=sid, callback=answered)

    @sio.event
    def multi(sid):
        sio.emit("multi", (1, "two", {"three": 3}), to=sid)

    @sio.event
    def disconnect_me(sid):
        sio.disconnect(sid)


def _private_handlers(socketio, sio) -> None:
    @sio.on("connect", namespace=PRIVATE)
    def connect(sid, environ, auth):
        if auth != TOKEN:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        sio.emit("welcome", {"sid": sid, "auth": auth}, to=sid, namespace=PRIVATE)

    @sio.on("echo", namespace=PRIVATE)
    def echo(sid, *args):
        return args
