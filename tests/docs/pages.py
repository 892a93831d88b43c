"""What the docs pages' code blocks need and do not show, for tests/docs/test_docs_code.py.

The pages call these from their ``<!-- test: setup ... -->`` comments: a served server and
connected clients for the server page's fragments (server.md), and for the client page
(client.md) the server its examples connect to at http://localhost:5000, which answers the events
those examples emit.
"""

from __future__ import annotations

from typing import Any

import greensio


def serve_and_connect(app: Any, clients: int) -> list[str]:
    """Serve ``app`` on gevent's pywsgi (a free port); the sids of ``clients`` connected clients.

    For a page whose process is patched by gevent, as server.md's is.
    """
    from gevent.pywsgi import WSGIServer

    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    sids = []
    for _ in range(clients):
        client = greensio.Client(reconnection=False)
        client.connect(f"http://127.0.0.1:{server.server_port}", wait_timeout=5)
        sids.append(client.sid)
    return sids


def serve_client_page() -> None:
    """The server client.md's examples talk to: http://localhost:5000, and https://localhost:5443.

    A Socket.IO server on threads (on Werkzeug's server, in this process) that accepts any
    namespace and answers the examples' events: ``echo`` returns its argument, ``add`` the sum,
    ``question`` says yes, ``join`` is answered with a ``news`` event; on ``/chat``,
    ``set_username`` is answered ``username_set`` and ``chat_message`` is broadcast as ``message``.
    Two events end a connection from the server's side, so that the examples' ``wait()`` returns:
    a ``chat`` after an ``echo`` on the same connection (the first example's order), and a
    ``chat_message`` on ``/chat``. An Engine.IO server at ``/engine.io/`` answers every message
    with ``bye`` and closes the connection. Ports 5000 and 5443 are held against other test runs
    for the life of the process, and ``ca.pem`` (the test CA) is written to the current folder.
    """
    import ssl
    import threading
    from contextlib import ExitStack

    import trustme
    from werkzeug.serving import make_server

    from tests.support.servers import port_reserved

    sio = greensio.Server(async_mode="threading", namespaces="*")
    eio = greensio.EngineIOServer(async_mode="threading")
    echoed: set[str] = set()

    @sio.on("echo")
    def echo(sid: str, value: Any) -> Any:
        echoed.add(sid)
        return value

    @sio.on("chat")
    def chat(sid: str, data: Any) -> None:
        if sid in echoed:
            sio.disconnect(sid)

    @sio.on("add")
    def add(sid: str, a: int, b: int) -> int:
        return a + b

    @sio.on("question")
    def question(sid: str, text: str) -> str:
        return "yes"

    @sio.on("join")
    def join(sid: str, room: str) -> None:
        sio.enter_room(sid, room)
        sio.emit("news", {"title": f"welcome to {room}"}, to=sid)

    @sio.on("set_username", namespace="/chat")
    def set_username(sid: str, data: Any) -> None:
        sio.emit("welcome", {"message": "hello"}, to=sid, namespace="/chat")
        sio.emit("username_set", {"success": True}, to=sid, namespace="/chat")

    @sio.on("chat_message", namespace="/chat")
    def chat_message(sid: str, data: Any) -> None:
        sio.emit("message", {"username": "Alice", **data}, namespace="/chat")
        sio.disconnect(sid, namespace="/chat")
        sio.disconnect(sid)

    @eio.on("message")
    def message(sid: str, data: Any) -> None:
        eio.send(sid, "bye")
        eio.disconnect(sid)

    app = greensio.WSGIApp(sio, greensio.WSGIApp(eio, socketio_path="engine.io"))
    ca = trustme.CA()
    ca.cert_pem.write_to_path("ca.pem")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(tls)

    reservations = ExitStack()  # never closed: held until the process ends
    for port, context in ((5000, None), (5443, tls)):
        reservations.enter_context(port_reserved(port))
        server = make_server("127.0.0.1", port, app, threaded=True, ssl_context=context)
        threading.Thread(target=server.serve_forever, daemon=True).start()
