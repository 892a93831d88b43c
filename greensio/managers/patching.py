"""Small helpers of ``PubSubManager``: which library made sockets cooperative, and rooms as JSON
carries them."""

from __future__ import annotations

import socket
from typing import Any


def patched_by() -> str | None:
    """'gevent' or 'eventlet' when that library made ``socket.socket`` cooperative."""
    module = socket.socket.__module__
    return next((name for name in ("gevent", "eventlet") if module.startswith(name)), None)


#: The call that makes sockets cooperative, by backend.
PATCH = {"gevent": "gevent.monkey.patch_all()", "eventlet": "eventlet.monkey_patch()"}


def jsonable_rooms(value: Any) -> Any:
    """A room or a list of rooms as JSON carries it (a set or tuple becomes a list)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return value
