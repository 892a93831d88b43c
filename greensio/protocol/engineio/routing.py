"""Which Engine.IO action an HTTP request asks for, or why it is refused (server side).

Theory of operation
-------------------
``route()`` looks at a request as plain values (its method, its query parameters, whether its
Origin is allowed and whether it asks for a WebSocket, and, when it names a session, that
session's current transport) and returns one ``Route``: open a session over polling or WebSocket,
upgrade a polling session, answer a GET (poll) or a POST, answer a CORS preflight, or reject with
an HTTP status and an Engine.IO error code. The driver only carries it out.

The checks come in the reference server's order (engine.io ``Server.verify``): the Origin, then the
preflight, the protocol version (5), the transport (0), then either the handshake (2: a new
session is opened by a GET only) or the session (1: unknown sid; 3: a polling request on a
session that is no longer polling, or a method polling has no use for). A WebSocket request must
carry ``Upgrade: websocket`` (3).

Failures found while carrying a route out (a refused connect, an oversized body, a request the
session itself refuses) are answered with the rejections defined here too, so every Engine.IO
error code lives in this module.
"""

from __future__ import annotations

import enum
from collections.abc import Container, Mapping
from dataclasses import dataclass


class Action(enum.Enum):
    OPEN_POLLING = "open polling"  # a handshake over long-polling: answer with the OPEN packet
    OPEN_WEBSOCKET = "open websocket"  # a handshake over WebSocket: accept it, send OPEN on it
    UPGRADE = "upgrade"  # a WebSocket for a polling session: accept it as the upgrade's probe
    POLL = "poll"  # a GET of a polling session: answer with its outbox once there is something
    POST = "post"  # a POST of a polling session: feed its body to the session
    PREFLIGHT = "preflight"  # a CORS preflight (OPTIONS): answer 200 with the CORS headers
    REJECT = "reject"  # answer ``status`` with the JSON error ``{"code", "message"}``


@dataclass(frozen=True, slots=True)
class Route:
    """What to do with one request. ``status``, ``message`` and ``code`` are the error
    response's when ``action`` is REJECT; ``polling`` tells a long-polling request (its response
    should leave without Nagle's delay)."""

    action: Action
    status: int = 200
    message: str = ""
    code: int = 0
    polling: bool = False


#: Engine.IO error codes (engine.io ``Server.errors``).
TRANSPORT_UNKNOWN = 0
UNKNOWN_SID = 1
BAD_HANDSHAKE_METHOD = 2
BAD_REQUEST = 3
FORBIDDEN = 4
UNSUPPORTED_PROTOCOL_VERSION = 5


def _reject(status: int, message: str, code: int, polling: bool = False) -> Route:
    return Route(Action.REJECT, status, message, code, polling)


#: The rejections the driver uses once a route is under way.
REFUSED_ORIGIN = _reject(400, "Not an accepted origin", FORBIDDEN)
UNAUTHORIZED = _reject(401, "Unauthorized", FORBIDDEN)
REJECTED = _reject(400, "Bad request", BAD_REQUEST)
PAYLOAD_TOO_LARGE = _reject(413, "Payload too large", BAD_REQUEST)

_PREFLIGHT = Route(Action.PREFLIGHT)
_BAD_VERSION = _reject(400, "Unsupported protocol version", UNSUPPORTED_PROTOCOL_VERSION)
_BAD_TRANSPORT = _reject(400, "Transport unknown", TRANSPORT_UNKNOWN)


def _routes(polling: bool) -> dict[str, Route]:
    return {
        "open polling": Route(Action.OPEN_POLLING, polling=polling),
        "open websocket": Route(Action.OPEN_WEBSOCKET, polling=polling),
        "upgrade": Route(Action.UPGRADE, polling=polling),
        "poll": Route(Action.POLL, polling=polling),
        "post": Route(Action.POST, polling=polling),
        "bad method": _reject(400, "Bad handshake method", BAD_HANDSHAKE_METHOD, polling),
        "unknown sid": _reject(400, "Session ID unknown", UNKNOWN_SID, polling),
        "bad request": _reject(400, "Bad request", BAD_REQUEST, polling),
    }


#: Every route, made once: by whether the request is a polling one, then by name.
_ROUTES = {polling: _routes(polling) for polling in (False, True)}


def route(
    method: str,
    query: Mapping[str, str],
    *,
    transports: Container[str],
    session_transport: str | None = None,
    origin_allowed: bool = True,
    websocket_request: bool = False,
) -> Route:
    """The route for one request.

    Args:
        method: the HTTP method.
        query: the query parameters (``EIO``, ``transport``, ``sid``).
        transports: the transports the server allows.
        session_transport: the current transport ("polling" or "websocket") of the session the
            query's ``sid`` names, or None when the server knows no such session.
        origin_allowed: whether the CORS policy accepts the request's Origin.
        websocket_request: whether the request asks for a WebSocket (``Upgrade: websocket``).
    """
    if not origin_allowed:
        return REFUSED_ORIGIN
    if method == "OPTIONS":
        return _PREFLIGHT
    if query.get("EIO") != "4":
        return _BAD_VERSION
    transport = query.get("transport")
    if transport not in transports:
        return _BAD_TRANSPORT
    routes = _ROUTES[transport == "polling"]
    if "sid" not in query:
        if method != "GET":
            return routes["bad method"]
        if transport == "polling":
            return routes["open polling"]
        return routes["open websocket"] if websocket_request else routes["bad request"]
    if session_transport is None:
        return routes["unknown sid"]
    if transport == "websocket":
        return routes["upgrade"] if websocket_request else routes["bad request"]
    if session_transport != "polling":
        return routes["bad request"]
    if method == "GET":
        return routes["poll"]
    return routes["post"] if method == "POST" else routes["bad request"]
