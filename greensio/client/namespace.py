# Generated from greensio/client/async_namespace.py by scripts/unasync.py: do not edit.
"""Class-based namespaces for the client: ``greensio.ClientNamespace`` (python-socketio's).

A subclass's ``on_<event>`` methods are its handlers (coroutines or plain functions); the other
methods forward to the client with this namespace as the default.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin,
``greensio.ClientNamespace``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greensio.backends.tasks import invoke
from greensio.exceptions import UsageError
from greensio.handlers import NamespaceBase

if TYPE_CHECKING:
    from greensio.client.client import Client


class ClientNamespace(NamespaceBase):
    """Base class for client-side class-based namespaces.

    Attributes:
        namespace: the namespace path ('/' by default).
        client: the ``Client`` it is registered with (set by ``register_namespace``).
    """

    def __init__(self, namespace: str | None = None) -> None:
        super().__init__(namespace)
        self.client: Client | None = None

    def _attach(self, client: Client) -> None:
        if client.awaits_handlers != self.awaits_handlers:
            mine = type(client).__name__
            base = ("Async" if client.awaits_handlers else "") + "ClientNamespace"  # (as is)
            raise UsageError(
                f"{type(self).__name__} is for the other client class, not {mine}: subclass "
                f"{base} for {mine}"
            )
        self.client = client

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch ``event`` to the ``on_<event>`` method (None when there is none), waiting for
        it when it is a coroutine; ``on_disconnect`` may leave out its ``reason``."""
        return invoke(super().trigger_event, event, *args)

    def _cli(self) -> Client:
        if self.client is None:
            raise UsageError("register the namespace on the client (register_namespace()) first")
        return self.client

    def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Any = None,
        timeout: float | None = None,
    ) -> None:
        """Emit to the server (see ``Client.emit``)."""
        self._cli().emit(
            event, data, namespace=namespace or self.namespace, callback=callback, timeout=timeout
        )

    def send(
        self,
        data: Any,
        namespace: str | None = None,
        callback: Any = None,
        timeout: float | None = None,
    ) -> None:
        """Send a ``message`` event (see ``Client.send``)."""
        self._cli().send(
            data, namespace=namespace or self.namespace, callback=callback, timeout=timeout
        )

    def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60
    ) -> Any:
        """Emit and wait for the server's ack (see ``Client.call``)."""
        return self._cli().call(event, data, namespace=namespace or self.namespace, timeout=timeout)

    def disconnect(self) -> None:
        """Disconnect the client (all namespaces), as python-socketio does."""
        self._cli().disconnect()
