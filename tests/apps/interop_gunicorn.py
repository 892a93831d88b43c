"""The interop app (tests/apps/interop.py) as a module-level WSGI app for ``gunicorn -k gevent``,
with a plain page at ``/`` (the Gunicorn test helper waits until the worker answers it)."""

from __future__ import annotations

from typing import Any

import greensio
from tests.apps import interop

_socketio = interop.build(greensio, ping_interval=2)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO", "").startswith("/socket.io"):
        return _socketio(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"interop"]
