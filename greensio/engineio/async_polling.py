"""The long-polling exchanges of one request, for either web server interface.

A GET waits until the core has a payload for it; a POST feeds the body it read to the core. How
the body is read and the answer written is the caller's (``RequestHandler`` for WSGI,
``AsgiRequestHandler`` for ASGI); what is decided is the core's.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin (``polling``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from greensio.backends.base import CoreBackend
from greensio.engineio.socket import EngineSocket
from greensio.protocol.engineio.routing import PAYLOAD_TOO_LARGE, REJECTED, Route
from greensio.protocol.engineio.session import EngineSession, RequestRejected

Socket = EngineSocket[EngineSession]


class PollingSide(Protocol):
    """What these exchanges need of the request side (``RequestRouting``)."""

    backend: CoreBackend
    settings: Any  # RequestSettings: max_http_buffer_size and the heartbeat times

    def admit(self, sock: Socket, begin: Callable[[float], None]) -> bool: ...
    def forget(self, sock: Socket) -> None: ...
    def dispatch(self, sock: Any, events: list[Any]) -> None: ...


async def serve_poll(requests: PollingSide, sock: Socket) -> str | bytes | Route:
    """A GET's answer: the payload the core has for it (waiting for one), or the route of its
    rejection (a 400: a second GET, say)."""
    session = sock.session
    if not requests.admit(sock, session.begin_poll):
        return REJECTED
    settings = requests.settings
    wait = settings.ping_interval + settings.ping_timeout + settings.ping_grace
    while True:
        with sock.lock:
            sock.wake.clear()
            payload = session.end_poll()
        if payload is not None:
            if session.closed and not session.has_output():
                requests.forget(sock)
            sock.traced("sent payload", payload)
            return payload
        await sock.wake.wait(wait)


async def serve_post(
    requests: PollingSide,
    sock: Socket,
    read_body: Callable[[int], Any],
) -> Route | None:
    """A POST: its body (``read_body(limit)``, None past the limit) to the core. None when it
    was taken (a 200), else the route of its rejection."""
    session = sock.session
    if not requests.admit(sock, session.begin_post):
        return REJECTED
    try:
        body = await read_body(requests.settings.max_http_buffer_size)
    finally:
        with sock.lock:
            session.end_post()
    if body is None:
        return PAYLOAD_TOO_LARGE
    sock.traced("received payload", body)
    rejected = None
    with sock.lock:
        try:
            events = session.receive_poll_body(body, requests.backend.monotonic())
        except RequestRejected as exc:
            events, rejected = exc.events, REJECTED
        sock.flush()
        sock.schedule()
    requests.dispatch(sock, events)
    return rejected
