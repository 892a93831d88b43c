"""A bare Engine.IO server (no Socket.IO on top): echoes every message, answers a few commands.

Built as ``build(greensio, **options)`` by ``tests.support.serve``: ``greensio.EngineIOServer``
wrapped in ``greensio.WSGIApp``, so it answers under ``/socket.io/``. ``**options`` go to
``EngineIOServer`` unchanged (``max_http_buffer_size``, ``ping_interval``, ``transports``...). The
front-end tests drive it with raw WebSocket frames (``tests/transports/test_websocket.py``) and
with python-engineio's own client (``tests/engineio/test_server.py``).

Handlers (registered both ways python-engineio allows: as a decorator and as a call):
    connect     refuses (returns False) when the query string has ``refuse``; otherwise records
                what the handler saw of the WSGI environ, and sends ``welcome`` when the query
                has ``welcome``
    message     a text message in ``COMMANDS`` runs that command; any other message (text or
                binary) is sent back unchanged
    disconnect  records the reason per sid

Commands (text messages; replies are text):
    ``cmd:environ``     JSON of what the connect handler saw of this client's environ
    ``cmd:transport``   ``eio.transport(sid)``
    ``cmd:reasons``     JSON ``{sid: reason}`` of every disconnect so far
    ``cmd:disconnect``  the server disconnects this client
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

ENVIRON = "cmd:environ"
TRANSPORT = "cmd:transport"
REASONS = "cmd:reasons"
DISCONNECT = "cmd:disconnect"
COMMANDS = (ENVIRON, TRANSPORT, REASONS, DISCONNECT)
#: The request header the connect handler reports (as ``header``), to show it sees the real environ.
TEST_HEADER = "X-Greensio-Test"


def build(greensio, **options):
    """Return the WSGI app of a fresh echo server.

    Args:
        greensio: the package under test (only greensio has ``EngineIOServer``).
        **options: keyword arguments for ``greensio.EngineIOServer``.
    """
    eio = greensio.EngineIOServer(async_mode="gevent", **options)
    seen: dict[str, dict] = {}
    reasons: dict[str, str] = {}

    @eio.on("connect")
    def connect(sid, environ):
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "refuse" in query:
            return False
        seen[sid] = {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": {key: values[0] for key, values in query.items()},
            "header": environ.get("HTTP_" + TEST_HEADER.upper().replace("-", "_")),
        }
        if "welcome" in query:
            eio.send(sid, "welcome")
        return None

    def message(sid, data):
        if data == ENVIRON:
            eio.send(sid, json.dumps(seen.get(sid)))
        elif data == TRANSPORT:
            eio.send(sid, eio.transport(sid))
        elif data == REASONS:
            eio.send(sid, json.dumps(reasons))
        elif data == DISCONNECT:
            eio.disconnect(sid)
        else:
            eio.send(sid, data)

    def disconnect(sid, reason):
        reasons[sid] = reason
        seen.pop(sid, None)

    eio.on("message", message)
    eio.on("disconnect", disconnect)
    return greensio.WSGIApp(eio)
