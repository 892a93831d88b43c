"""Every exception greensio raises, under one root.

::

    GreensioError
    ├── ProtocolError            the peer sent bytes that break the Engine.IO/Socket.IO protocol
    │   └── MessageTooLarge      ... or more than a configured limit allows
    ├── UsageError               the application used the API wrongly (a local bug, not the peer's)
    ├── ConnectionError          also a builtins.ConnectionError
    │   └── ConnectionRefusedError   raise it in a connect handler to refuse; also the builtin
    ├── TimeoutError             also a builtins.TimeoutError; call() got no ack in time
    ├── BadNamespaceError        the namespace is not connected
    └── DisconnectedError        the peer went away while we were waiting on it

The names after ``ProtocolError`` are python-socketio's, so ``except socketio.exceptions.X`` keeps
working with ``import greensio as socketio``.
"""

from __future__ import annotations

import builtins
from typing import Any


class GreensioError(Exception):
    """Root of every greensio exception."""


class ProtocolError(GreensioError):
    """The remote peer broke the protocol; the connection it came on is closed."""


class MessageTooLarge(ProtocolError):
    """A message, payload or packet count went over a configured limit."""


class UsageError(GreensioError):
    """The local application misused the API (wrong argument, wrong state)."""


class ConnectionError(GreensioError, builtins.ConnectionError):  # noqa: A001
    """A connection could not be made or was lost."""


class ConnectionRefusedError(ConnectionError, builtins.ConnectionRefusedError):  # noqa: A001
    """Raise in a connect handler to refuse the connection.

    The arguments become the CONNECT_ERROR payload the client sees: no argument gives
    ``{"message": "Connection rejected by server"}``, one gives ``{"message": str(arg)}``, two or
    more give ``{"message": str(args[0]), "data": args[1]}`` (a tuple when more than two).
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        # OSError (a base through the builtin) would read two arguments as (errno, strerror)
        # and drop a third; keep the application's arguments as given.
        self.args = args
        if not args:
            self.error_args: dict[str, Any] = {"message": "Connection rejected by server"}
        elif len(args) == 1:
            self.error_args = {"message": str(args[0])}
        else:
            self.error_args = {
                "message": str(args[0]),
                "data": args[1] if len(args) == 2 else args[1:],
            }

    def __str__(self) -> str:
        return str(self.error_args["message"])


class TimeoutError(GreensioError, builtins.TimeoutError):  # noqa: A001
    """No answer came in time. ``replies``: what did come, where several were awaited
    (``broadcast_call``'s ``{sid: reply}``), else None."""

    def __init__(self, *args: Any, replies: dict[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.replies = replies


class BadNamespaceError(GreensioError):
    """The namespace is not connected."""


class DisconnectedError(GreensioError):
    """The peer disconnected while an operation waited on it."""


# python-socketio's root name, for code that catches it.
SocketIOError = GreensioError

__all__ = [
    "BadNamespaceError",
    "ConnectionError",
    "ConnectionRefusedError",
    "DisconnectedError",
    "GreensioError",
    "MessageTooLarge",
    "ProtocolError",
    "SocketIOError",
    "TimeoutError",
    "UsageError",
]
