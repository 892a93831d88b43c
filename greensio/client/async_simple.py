"""``greensio.AsyncSimpleClient``: a client without callbacks — connect, emit, call, receive.

Events arrive in a queue that ``receive()`` reads in order, as python-socketio's
AsyncSimpleClient.

Written once, for asyncio; scripts/unasync.py makes the greenlet twin, ``greensio.SimpleClient``.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

from greensio import exceptions
from greensio.client.async_client import _WAIT_SLICE, AsyncClient


class AsyncSimpleClient:
    """A Socket.IO client for scripts and tests; ``*args, **kwargs`` go to ``AsyncClient``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args, self.client_kwargs = args, kwargs
        self.client: AsyncClient | None = None
        self.namespace = "/"
        self.connected_event: Any = None
        self._events: collections.deque[list[Any]] = collections.deque()
        self._arrived: Any = None

    async def connect(
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
            await self.client.disconnect()  # stops a previous client that is still reconnecting
        self._events.clear()
        self.namespace = namespace
        client = AsyncClient(*self.client_args, **self.client_kwargs)
        self.client = client
        self._arrived = client.backend.event()

        @client.on("*", namespace=namespace)
        def on_event(event: str, *args: Any) -> None:
            self._events.append([event, *args])
            self._arrived.set()

        @client.on("disconnect", namespace=namespace)
        def on_disconnect(reason: str) -> None:
            self._arrived.set()

        await client.connect(
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

    async def emit(self, event: str, data: Any = None) -> None:
        """Emit ``event`` (tuple data: several arguments). Raises DisconnectedError."""
        await self._connected_client().emit(event, data, namespace=self.namespace)

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        """Emit and wait for the ack. Raises TimeoutError or DisconnectedError."""
        return await self._connected_client().call(
            event, data, namespace=self.namespace, timeout=timeout
        )

    async def receive(self, timeout: float | None = None) -> list[Any]:
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
            # In slices, so that Ctrl+C is seen (see AsyncClient.wait).
            await self._arrived.wait(
                _WAIT_SLICE if remaining is None else min(remaining, _WAIT_SLICE)
            )
        return self._events.popleft()

    async def disconnect(self) -> None:
        """Disconnect (idempotent)."""
        if self.client is not None:
            await self.client.disconnect()
            self._arrived.set()

    def _connected_client(self) -> AsyncClient:
        if self.client is None or not self.connected:
            raise exceptions.DisconnectedError("not connected")
        return self.client

    async def __aenter__(self) -> AsyncSimpleClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()
