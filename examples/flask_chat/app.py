"""A small chat room: Flask serves the page, greensio carries the messages.

Run it under gunicorn's gevent worker, which monkey-patches the worker itself::

    gunicorn -k gevent -w 1 -b 127.0.0.1:5000 examples.flask_chat.app:app     # or: make demo

or on gevent's own WSGI server with ``python -m examples.flask_chat`` (see ``__main__.py``). The
same app runs under every server of the deployment guide (docs/deployment.md): the other
``serve_*.py`` files here are the entry points of the servers that need one.

One worker only: the names below live in this process's memory, and the in-memory manager reaches
only the clients connected to this process.

Socket.IO events on namespace ``/``:
    connect     ``auth`` may carry ``{"name": ...}``; everyone else gets ``joined`` ``{"name"}``
    message     a text from a client; everyone else gets ``message`` ``{"name", "text"}``
    set_name    renames the sender and acks ``{"name"}`` (or ``{"error"}``); everyone else gets
                ``renamed`` ``{"old", "new"}``
    disconnect  everyone else gets ``left`` ``{"name"}``

After each connect, rename and disconnect, everyone connected gets ``online`` ``{"users"}``: the
sorted names of who is online, the list the page shows.

HTTP routes: ``/`` (the page) and ``/api/users`` (the names online, as JSON).
"""

from __future__ import annotations

import flask

import greensio

MAX_NAME = 32
MAX_TEXT = 1000

# async_mode=None: gevent when the process runs gevent (gunicorn -k gevent, a patch_all() entry
# point), threads otherwise (the Werkzeug dev server, gunicorn --threads).
sio = greensio.Server(async_mode=None)
app = flask.Flask(__name__)
# Socket.IO requests (/socket.io/...) go to greensio; every other request falls through to Flask.
app.wsgi_app = greensio.WSGIApp(sio, app.wsgi_app)

#: Socket.IO sid -> display name of everyone connected to this process.
names: dict[str, str] = {}


def clean_name(value: object) -> str | None:
    """A display name made from client input, or None if there is nothing usable in it."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())[:MAX_NAME]
    return value or None


@app.get("/")
def index() -> str:
    return flask.render_template("index.html")


@app.get("/api/users")
def users() -> flask.Response:
    return flask.jsonify(users=online())


def online() -> list[str]:
    """The names of everyone connected, sorted (two guests may share a name: both are listed)."""
    return sorted(names.values())


def announce_online() -> None:
    """Send everyone the list of who is online."""
    sio.emit("online", {"users": online()})


@sio.event
def connect(sid: str, environ: dict, auth: object) -> None:
    # auth is None when the client sent none, or whatever JSON value it sent.
    name = clean_name(auth.get("name") if isinstance(auth, dict) else None)
    names[sid] = name or f"guest-{sid[:4]}"
    sio.emit("joined", {"name": names[sid]}, skip_sid=sid)
    # Emits made in the connect handler reach the new client after its CONNECT reply.
    announce_online()


@sio.event
def message(sid: str, text: object) -> None:
    if not isinstance(text, str) or not text.strip():
        return
    sio.emit("message", {"name": names[sid], "text": text[:MAX_TEXT]}, skip_sid=sid)


@sio.on("set_name")
def set_name(sid: str, new_name: object) -> dict[str, str]:
    # The return value is the acknowledgement the client's callback receives.
    name = clean_name(new_name)
    if name is None:
        return {"error": "a name needs at least one visible character"}
    old, names[sid] = names[sid], name
    sio.emit("renamed", {"old": old, "new": name}, skip_sid=sid)
    announce_online()
    return {"name": name}


@sio.event
def disconnect(sid: str, reason: object = None) -> None:
    name = names.pop(sid, None)
    if name is not None:
        sio.emit("left", {"name": name}, skip_sid=sid)
        announce_online()
