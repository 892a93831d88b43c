"""Class-based namespaces for the client: ``greensio.ClientNamespace`` (python-socketio's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
        self.client = client

    def _cli(self) -> Client:
        if self.client is None:
            raise UsageError("register the namespace with Client.register_namespace() first")
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
        """Emit and block until the server's ack (see ``Client.call``)."""
        return self._cli().call(event, data, namespace=namespace or self.namespace, timeout=timeout)

    def disconnect(self) -> None:
        """Disconnect the client (all namespaces), as python-socketio does."""
        self._cli().disconnect()
