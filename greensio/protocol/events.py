"""Events the protocol core hands to its caller: frozen, slotted nouns with no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


# --- Engine.IO -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MessageReceived:
    """An Engine.IO MESSAGE arrived; ``data`` is str for text, bytes for binary."""

    data: str | bytes


@dataclass(frozen=True, slots=True)
class TransportUpgraded:
    """The session moved from long-polling to its WebSocket (the client sent UPGRADE)."""


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """The Engine.IO session ended; ``reason`` is a ``CloseReason`` value."""

    reason: str


# --- Socket.IO -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NamespaceConnectRequested:
    """The client sent CONNECT for ``namespace``; ``auth`` is None when it sent no payload."""

    namespace: str
    auth: Any


@dataclass(frozen=True, slots=True)
class EventReceived:
    """An EVENT (or BINARY_EVENT, reassembled); ``ack_id`` is None when no ack was asked."""

    namespace: str
    event: str
    args: list[Any]
    ack_id: int | None


@dataclass(frozen=True, slots=True)
class AckReceived:
    """An ACK (or BINARY_ACK) for an ack id this side handed out."""

    namespace: str
    ack_id: int
    args: list[Any]


@dataclass(frozen=True, slots=True)
class NamespaceDisconnected:
    """The client sent DISCONNECT for ``namespace``, whose Socket.IO sid was ``sid``."""

    namespace: str
    reason: str
    sid: str = ""


@dataclass(frozen=True, slots=True)
class ConnectTimedOut:
    """The connection went its connect timeout without joining a namespace: close it."""


# --- client side ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SessionOpened:
    """The server's OPEN packet arrived (engine.io-protocol, "Handshake"); times in seconds."""

    sid: str
    upgrades: tuple[str, ...]
    ping_interval: float
    ping_timeout: float
    max_payload: int


@dataclass(frozen=True, slots=True)
class NamespaceConnected:
    """The server accepted our CONNECT to ``namespace`` and named us ``sid`` there."""

    namespace: str
    sid: str


@dataclass(frozen=True, slots=True)
class NamespaceConnectFailed:
    """The server refused our CONNECT with CONNECT_ERROR; ``data`` is its payload."""

    namespace: str
    data: Any
