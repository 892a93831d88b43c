"""An app for the Server options that change the wire: cookie, always_connect, json, serializer.

``build(socketio, json_module=None, **options)``: ``json_module`` names a module to pass as
``json=`` (options arrive as JSON, so a name rather than the module).
"""

from __future__ import annotations

import importlib


def build(socketio, json_module=None, **options):
    if json_module is not None:
        options["json"] = importlib.import_module(json_module)
    sio = socketio.Server(**options)

    @sio.event
    def connect(sid, environ, auth):
        if auth == {"refuse": True}:
            raise socketio.exceptions.ConnectionRefusedError("refused")
        sio.emit("welcome", {"text": "héllo ✓", "blob": b"\x00\xff"}, to=sid)

    @sio.event
    def echo(sid, *args):
        return args

    return socketio.WSGIApp(sio)
