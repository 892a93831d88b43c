"""The Engine.IO request router: every route and every error code, from plain inputs."""

from __future__ import annotations

import pytest

from greensio.protocol.engineio.routing import (
    PAYLOAD_TOO_LARGE,
    REFUSED_ORIGIN,
    REJECTED,
    UNAUTHORIZED,
    Action,
    Route,
    route,
)

pytestmark = pytest.mark.timeout(10)

BOTH = ("polling", "websocket")
POLL = {"EIO": "4", "transport": "polling"}
WS = {"EIO": "4", "transport": "websocket"}
SID = {"sid": "abc"}

#: (method, query, transports, session_transport, websocket_request) ->
#: (action, status, code, polling)
CASES = [
    # handshakes
    ("GET", POLL, BOTH, None, False, Action.OPEN_POLLING, 200, 0, True),
    ("GET", WS, BOTH, None, True, Action.OPEN_WEBSOCKET, 200, 0, False),
    ("GET", WS, BOTH, None, False, Action.REJECT, 400, 3, False),
    ("POST", POLL, BOTH, None, False, Action.REJECT, 400, 2, True),
    ("PUT", WS, BOTH, None, True, Action.REJECT, 400, 2, False),
    # the protocol version and the transport come first
    ("GET", {"transport": "polling"}, BOTH, None, False, Action.REJECT, 400, 5, False),
    ("GET", {**POLL, "EIO": "3"}, BOTH, "polling", False, Action.REJECT, 400, 5, False),
    ("GET", {"EIO": "4"}, BOTH, None, False, Action.REJECT, 400, 0, False),
    ("GET", {**POLL, "transport": "flash"}, BOTH, None, False, Action.REJECT, 400, 0, False),
    ("GET", POLL, ("websocket",), None, False, Action.REJECT, 400, 0, False),
    ("GET", WS, ("polling",), None, True, Action.REJECT, 400, 0, False),
    # requests of a session
    ("GET", {**POLL, **SID}, BOTH, None, False, Action.REJECT, 400, 1, True),
    ("GET", {**WS, **SID}, BOTH, None, True, Action.REJECT, 400, 1, False),
    ("GET", {**POLL, **SID}, BOTH, "polling", False, Action.POLL, 200, 0, True),
    ("POST", {**POLL, **SID}, BOTH, "polling", False, Action.POST, 200, 0, True),
    ("PUT", {**POLL, **SID}, BOTH, "polling", False, Action.REJECT, 400, 3, True),
    ("GET", {**POLL, **SID}, BOTH, "websocket", False, Action.REJECT, 400, 3, True),
    ("POST", {**POLL, **SID}, BOTH, "websocket", False, Action.REJECT, 400, 3, True),
    ("GET", {**WS, **SID}, BOTH, "polling", True, Action.UPGRADE, 200, 0, False),
    ("GET", {**WS, **SID}, BOTH, "polling", False, Action.REJECT, 400, 3, False),
    # the session decides whether it takes a second WebSocket (it does not)
    ("GET", {**WS, **SID}, BOTH, "websocket", True, Action.UPGRADE, 200, 0, False),
]


@pytest.mark.parametrize(
    ("method", "query", "transports", "session", "websocket", "action", "status", "code", "poll"),
    CASES,
)
def test_routes(method, query, transports, session, websocket, action, status, code, poll) -> None:
    got = route(
        method,
        query,
        transports=transports,
        session_transport=session,
        websocket_request=websocket,
    )
    assert (got.action, got.status, got.code, got.polling) == (action, status, code, poll)
    assert bool(got.message) == (action is Action.REJECT)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"transport": "polling"}, "Unsupported protocol version"),
        ({"EIO": "4", "transport": "x"}, "Transport unknown"),
        ({**POLL, **SID}, "Session ID unknown"),
        (WS, "Bad request"),
    ],
)
def test_error_messages_are_the_reference_servers(query, message) -> None:
    assert route("GET", query, transports=BOTH).message == message
    assert route("POST", POLL, transports=BOTH).message == "Bad handshake method"


def test_the_origin_is_checked_before_anything_else() -> None:
    assert route("OPTIONS", {}, transports=BOTH, origin_allowed=False) is REFUSED_ORIGIN
    assert (REFUSED_ORIGIN.status, REFUSED_ORIGIN.code) == (400, 4)
    assert REFUSED_ORIGIN.message == "Not an accepted origin"


def test_a_preflight_needs_no_valid_query() -> None:
    assert route("OPTIONS", {}, transports=BOTH) == Route(Action.PREFLIGHT)


def test_the_rejections_of_a_route_under_way() -> None:
    assert (UNAUTHORIZED.status, UNAUTHORIZED.message, UNAUTHORIZED.code) == (
        401,
        "Unauthorized",
        4,
    )
    assert (REJECTED.status, REJECTED.message, REJECTED.code) == (400, "Bad request", 3)
    assert (PAYLOAD_TOO_LARGE.status, PAYLOAD_TOO_LARGE.code) == (413, 3)
    assert {r.action for r in (UNAUTHORIZED, REJECTED, PAYLOAD_TOO_LARGE)} == {Action.REJECT}


def test_routes_are_frozen() -> None:
    with pytest.raises(AttributeError):
        REJECTED.status = 200  # type: ignore[misc]
