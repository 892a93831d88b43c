"""The chat room on asyncio: Starlette serves the HTTP routes, greensio's ``AsyncServer`` the
messages, both in one ASGI app.

Run it under uvicorn or hypercorn::

    uvicorn examples.starlette_chat.app:app --port 5000 --ws-per-message-deflate false
    hypercorn examples.starlette_chat.app:app --bind 127.0.0.1:5000

(uvicorn compresses WebSocket messages unless told not to; Node's engine.io does not: see
docs/asyncio.md.)

``ASGIApp`` sends ``/socket.io/`` to the Socket.IO server and every other request (and the ASGI
lifespan) to the Starlette app; ``on_startup`` runs before Starlette's own startup.

Socket.IO events on namespace ``/`` (as examples/flask_chat, whose page works here too):
    connect     ``auth`` may carry ``{"name": ...}``; everyone else gets ``joined`` ``{"name"}``
    message     a text from a client; everyone else gets ``message`` ``{"name", "text"}``
    set_name    renames the sender and acks ``{"name"}`` (or ``{"error"}``)
    disconnect  everyone else gets ``left`` ``{"name"}``

HTTP routes: ``/api/users`` (the names online, as JSON) and ``/api/started`` (whether the lifespan
startup ran).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import greensio

MAX_NAME = 32
MAX_TEXT = 1000

sio = greensio.AsyncServer()
#: Socket.IO sid -> display name of everyone connected to this process.
names: dict[str, str] = {}
started: list[str] = []


def clean_name(value: object) -> str | None:
    """A display name made from client input, or None if there is nothing usable in it."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())[:MAX_NAME]
    return value or None


async def users(request: Request) -> JSONResponse:
    return JSONResponse({"users": sorted(names.values())})


async def startup_state(request: Request) -> JSONResponse:
    return JSONResponse({"started": started})


@sio.event
async def connect(sid: str, environ: dict, auth: object) -> None:
    name = clean_name(auth.get("name") if isinstance(auth, dict) else None) or f"guest-{sid[:4]}"
    names[sid] = name
    await sio.emit("joined", {"name": name}, skip_sid=sid)


@sio.event
async def message(sid: str, text: object) -> None:
    if isinstance(text, str) and text.strip():
        await sio.emit("message", {"name": names[sid], "text": text[:MAX_TEXT]}, skip_sid=sid)


@sio.event
async def set_name(sid: str, value: object) -> dict:
    name = clean_name(value)
    if name is None:
        return {"error": "a name needs at least one visible character"}
    old, names[sid] = names[sid], name
    await sio.emit("renamed", {"old": old, "new": name}, skip_sid=sid)
    return {"name": name}


@sio.event
async def disconnect(sid: str, reason: str) -> None:
    name = names.pop(sid, None)
    if name is not None:
        await sio.emit("left", {"name": name})


def on_startup() -> None:
    started.append("greensio")


web = Starlette(routes=[Route("/api/users", users), Route("/api/started", startup_state)])
app = greensio.ASGIApp(sio, other_asgi_app=web, on_startup=on_startup)
