"""What a manager needs of the server: the narrow seam between them (DESIGN.md, "Layers").

A manager decides *who* receives a packet (rooms, and for message-queue managers, other
processes); the server owns the Engine.IO sessions of this process and *delivers*. The server
hands an implementation of ``Delivery`` to ``Manager.set_server``; managers import nothing from
``greensio.server``.

``volatile`` is true while an emit is volatile (``emit(volatile=True)``): the server sets it
around ``manager.emit``, a message-queue manager carries it to the other nodes (the emit
message's ``volatile``) and sets it around their delivery, and the server's ``encode_event``
reads it. A context variable is per task, per greenlet and per thread.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, Protocol

from greensio.backends.base import CoreBackend
from greensio.transports.frames import PreparedMessages

#: True while a volatile emit is delivered (see the module docstring).
volatile: contextvars.ContextVar[bool] = contextvars.ContextVar("greensio_volatile", default=False)


class Delivery(Protocol):
    """Delivery to this process's connected clients, by Engine.IO sid."""

    @property
    def backend(self) -> CoreBackend:
        """The server's concurrency backend, for a manager's own tasks (a broker listener)."""
        ...

    def disconnect(self, sid: str, namespace: str) -> None:
        """Disconnect this process's ``sid`` from ``namespace`` as ``Server.disconnect`` does
        (DISCONNECT to the client, then its disconnect handler, in a task of its own); nothing
        if it is not here. Returns at once."""
        ...

    def encode_event(self, namespace: str, event: str, args: list[Any]) -> PreparedMessages:
        """Encode an EVENT once, to ``deliver`` to any number of recipients."""
        ...

    def deliver(self, eio_sid: str, namespace: str, prepared: PreparedMessages) -> None:
        """Send an encoded packet to one connection's ``namespace`` (nothing if it is gone)."""
        ...

    def deliver_with_ack(
        self,
        eio_sid: str,
        namespace: str,
        event: str,
        args: list[Any],
        callback: Callable[..., Any],
        timeout: float | None = None,
    ) -> None:
        """Send an EVENT asking for an ack (its own ack id, so encoded per recipient); the ack
        goes to ``callback(*args)``; with ``timeout``, ``callback(error)`` when none comes."""
        ...
