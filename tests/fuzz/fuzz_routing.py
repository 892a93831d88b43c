"""The handshake's query string and the request routing: ``greensio.transports.http.query`` on
the raw ``QUERY_STRING``, then ``greensio.protocol.engineio.routing.route`` on what it gives,
for each method, each session state and each transport set."""

from __future__ import annotations

from greensio.protocol.engineio.routing import Action, Route, route
from greensio.transports import http

#: What libFuzzer's coverage is taken from (instrumented once the target is imported).
COVERS = ("greensio.protocol.engineio.routing", "greensio.transports.http")

METHODS = ("GET", "POST", "OPTIONS", "PUT", "")
TRANSPORTS = (("polling", "websocket"), ("polling",), ("websocket",))
SESSIONS = (None, "polling", "websocket")


def one_input(data: bytes) -> None:
    selector = data[0] if data else 0
    query_string = data[1:].decode("latin-1")  # what a WSGI server puts in the environ
    q = http.query({"QUERY_STRING": query_string})
    assert isinstance(q, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in q.items())
    assert sum(len(k) + len(v) for k, v in q.items()) <= len(query_string)
    method = METHODS[selector % len(METHODS)]
    transports = TRANSPORTS[(selector // 5) % len(TRANSPORTS)]
    session = SESSIONS[(selector // 15) % len(SESSIONS)]
    where = route(
        method,
        q,
        transports=transports,
        session_transport=session if "sid" in q else None,
        origin_allowed=bool(selector & 0x80),
        websocket_request=bool(selector & 0x40),
    )
    assert isinstance(where, Route)
    if where.action is Action.REJECT:
        assert where.status in (400, 401, 413) and where.message
    elif where.action is not Action.PREFLIGHT:
        assert q.get("EIO") == "4" and q.get("transport") in transports
