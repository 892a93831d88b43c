# Generated from greensio/client/async_simple.py by scripts/unasync.py: do not edit.
"""``greensio.SimpleClient``: a client without callbacks — connect, emit, call, receive.

Events arrive in a queue that ``receive()`` reads in order, as python-socketio's
SimpleClient.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin, ``greensio.SimpleClient``.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

from greensio import exceptions
from greensio.client.client import _WAIT_SLICE, Client


class SimpleClient:
    """A Socket.IO client for scripts and tests; ``*args, **kwargs`` go to ``Client``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args, self.client_kwargs = args, kwargs
        self.client: Client | None = None
        self.namespace = "/"
        self.connected_event: Any = None
        self._events: collections.deque[list[Any]] = collections.deque()
        self._arrived: Any = None

    def connect(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        transports: list[str] | None = None,
        namespace: str = "/",
        socketio_path: str = "socket.io",
        wait_timeout: float = 5,
    ) -> None:
        """Connect to ``url`` and join ``namespace``.

        Raises:
            ConnectionError: the connection or the namespace was refused.
        """
        if self.client is not None and self.client.connected:
            raise exceptions.ConnectionError("already connected")
        if self.client is not None:
            self.client.disconnect()  # stops a previous client that is still reconnecting
        self._events.clear()
        self.namespace = namespace
        client = Client(*self.client_args, **self.client_kwargs)
        self.client = client
        self._arrived = client.backend.event()

        @client.on("*", namespace=namespace)
        def on_event(event: str, *args: Any) -> None:
            self._events.append([event, *args])
            self._arrived.set()

        @client.on("disconnect", namespace=namespace)
        def on_disconnect(reason: str) -> None:
            self._arrived.set()

        client.connect(
            url,
            headers=headers or {},
            auth=auth,
            transports=transports,
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=wait_timeout,
        )

    @property
    def sid(self) -> str | None:
        return self.client.get_sid(self.namespace) if self.client is not None else None

    @property
    def transport(self) -> str:
        return (self.client.transport() if self.client is not None else None) or ""

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.get_sid(self.namespace) is not None

    def emit(self, event: str, data: Any = None) -> None:
        """Emit ``event`` (tuple data: several arguments). Raises DisconnectedError."""
        self._connected_client().emit(event, data, namespace=self.namespace)

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        """Emit and wait for the ack. Raises TimeoutError or DisconnectedError."""
        return self._connected_client().call(event, data, namespace=self.namespace, timeout=timeout)

    def receive(self, timeout: float | None = None) -> list[Any]:
        """The next event from the server as ``[event, *args]``.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` seconds.
            DisconnectedError: the connection ended and nothing is left to read.
        """
        client = self.client
        if client is None:
            raise exceptions.DisconnectedError("not connected")
        deadline = None if timeout is None else client.backend.monotonic() + timeout
        while not self._events:
            if not self.connected and not client._reconnecting:
                raise exceptions.DisconnectedError("disconnected")
            self._arrived.clear()
            if self._events:
                break
            remaining = None if deadline is None else deadline - client.backend.monotonic()
            if remaining is not None and remaining <= 0:
                raise exceptions.TimeoutError("no event within the timeout")
            # In slices, so that Ctrl+C is seen (see Client.wait).
            self._arrived.wait(_WAIT_SLICE if remaining is None else min(remaining, _WAIT_SLICE))
        return self._events.popleft()

    def disconnect(self) -> None:
        """Disconnect (idempotent)."""
        if self.client is not None:
            self.client.disconnect()
            self._arrived.set()

    def _connected_client(self) -> Client:
        if self.client is None or not self.connected:
            raise exceptions.DisconnectedError("not connected")
        return self.client

    def __enter__(self) -> SimpleClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()
