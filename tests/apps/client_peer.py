"""The server the client tests talk to: the interop app's events, plus what only client tests need.

Built as ``build(socketio, **options)`` by ``tests.support.serve``. Every handler here is
mirrored, name for name and ack for ack, by the Node reference server
``tests/interop/js/reference_server.js``, so that each client test runs against both and must
see the same thing.

Everything in ``tests.apps.interop`` (``welcome``, refusal, ``echo``, ``echo_event``, ``binary``,
``ask_client``, ``multi``, ``disconnect_me``, ``/private`` with its token), plus:

Namespaces ``/`` and ``/private``:
    headers(name)                acks with the value of request header ``name`` (None if absent)
    kick                         the server disconnects the sender from this namespace
    emit_later(delay, event, data)  emits ``event`` with ``data`` to the sender ``delay`` s later
Namespace ``/``:
    close_me                     the server disconnects the sender and closes the connection
Namespace ``/private``:
    echo_event                   as on ``/``
Never handled (so never acked), on purpose: ``never_acked``.
"""

from __future__ import annotations

from tests.apps.interop import PRIVATE, _private_handlers, _root_handlers


def build(socketio, **options):
    """Return the WSGI app of a fresh client-peer server.

    Args:
        socketio: the Socket.IO package serving (greensio, or python-socketio as a reference).
        **options: keyword arguments for ``socketio.Server`` (``transports``, ``serializer``...).
    """
    sio = socketio.Server(async_mode="gevent", **options)
    _root_handlers(socketio, sio)
    _private_handlers(socketio, sio)
    for namespace in ("/", PRIVATE):
        _client_test_handlers(sio, namespace)
    return socketio.WSGIApp(sio)


def _client_test_handlers(sio, namespace: str) -> None:
    @sio.on("headers", namespace=namespace)
    def headers(sid, name):
        environ = sio.get_environ(sid, namespace=namespace) or {}
        return environ.get("HTTP_" + name.upper().replace("-", "_"))

    @sio.on("kick", namespace=namespace)
    def kick(sid):
        sio.disconnect(sid, namespace=namespace)

    @sio.on("emit_later", namespace=namespace)
    def emit_later(sid, delay, event, data):
        def later():
            sio.sleep(delay)
            sio.emit(event, data, to=sid, namespace=namespace)

        sio.start_background_task(later)

    if namespace == "/":

        @sio.on("close_me")
        def close_me(sid):
            # socket.io's ``socket.disconnect(true)``: DISCONNECT, then the connection closes.
            eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
            sio.disconnect(sid)
            sio.eio.disconnect(eio_sid)

    if namespace != "/":

        @sio.on("echo_event", namespace=namespace)
        def echo_event(sid, data):
            sio.emit("echo_event", data, to=sid, namespace=namespace)
