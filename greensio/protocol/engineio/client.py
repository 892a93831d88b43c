"""Per-connection Engine.IO v4 state, client side.

Theory of operation
-------------------
The session starts CONNECTING on long-polling or WebSocket. The first packet from the server must
be OPEN; it yields ``SessionOpened`` with the server's heartbeat settings. From then on the server
sends PING and the client answers PONG at once; when no PING comes within ``ping_interval +
ping_timeout`` of the last one (or of OPEN) the server is presumed gone (``PING_TIMEOUT``).

Outgoing packets wait in one outbox, drained by ``take_poll_body()`` (a POST) or
``take_websocket_frames()``, whichever transport is current.

Upgrade (engine.io-protocol, "Upgrade"), driven by the caller: ``probe_frames()`` gives ``2probe``
to send on a new WebSocket; ``receive_probe_message('3probe')`` returns True when the probe
succeeded; the caller then stops polling (lets its current GET finish) and calls
``complete_upgrade()``, which gives the ``5`` to send on the WebSocket and makes it the transport.

Nobody but this class changes this state.
"""

from __future__ import annotations

import enum
import json

from greensio.exceptions import ProtocolError, UsageError
from greensio.protocol.engineio.packets import (
    Packet,
    PacketType,
    decode_frame,
    decode_payload,
    encode_payload,
    encode_text,
)
from greensio.protocol.engineio.session import CloseReason, Transport
from greensio.protocol.events import MessageReceived, SessionClosed, SessionOpened

Event = SessionOpened | MessageReceived | SessionClosed

_PONG = Packet(PacketType.PONG)


class _State(enum.Enum):
    CONNECTING = 0
    OPEN = 1
    CLOSED = 2


class ClientEngineSession:
    """The client's view of one Engine.IO connection; see the module docstring."""

    def __init__(self, transport: Transport, *, max_payload_packets: int = 1000) -> None:
        self.transport = transport
        self.sid: str | None = None
        self.upgrades: tuple[str, ...] = ()
        self.ping_interval = 25.0
        self.ping_timeout = 20.0
        self.max_payload = 1_000_000
        self.max_payload_packets = max_payload_packets
        self.close_reason: CloseReason | None = None
        self._state = _State.CONNECTING
        self._outbox: list[Packet] = []
        self._probing = False
        self._deadline: float | None = None

    @property
    def opened(self) -> bool:
        return self._state is _State.OPEN

    @property
    def closed(self) -> bool:
        return self._state is _State.CLOSED

    # --- input -----------------------------------------------------------------------------------
    def receive_poll_body(self, body: bytes | str, now: float) -> list[Event]:
        """A GET response body arrived. Bad input closes the session (TRANSPORT_ERROR)."""
        if self._state is _State.CLOSED:
            return []
        try:
            packets = decode_payload(body, self.max_payload_packets)
        except ProtocolError:
            return self._close(CloseReason.TRANSPORT_ERROR)
        return self._receive(packets, now)

    def receive_websocket_message(self, message: str | bytes, now: float) -> list[Event]:
        """A message arrived on the current WebSocket. Bad input closes the session."""
        if self._state is _State.CLOSED:
            return []
        try:
            packet = decode_frame(message)
        except ProtocolError:
            return self._close(CloseReason.TRANSPORT_ERROR)
        return self._receive([packet], now)

    def _receive(self, packets: list[Packet], now: float) -> list[Event]:
        events: list[Event] = []
        for packet in packets:
            if self._state is _State.CLOSED:
                break
            if self._state is _State.CONNECTING:
                events += self._open(packet, now)
            elif packet.type is PacketType.MESSAGE:
                events.append(MessageReceived(packet.data))
            elif packet.type is PacketType.PING:
                self._outbox.append(_PONG)
                self._deadline = now + self.ping_interval + self.ping_timeout
            elif packet.type is PacketType.CLOSE:
                events += self._close(CloseReason.TRANSPORT_CLOSE)
            elif packet.type is not PacketType.NOOP:
                events += self._close(CloseReason.TRANSPORT_ERROR)
        return events

    def _open(self, packet: Packet, now: float) -> list[Event]:
        if packet.type is not PacketType.OPEN or not isinstance(packet.data, str):
            return self._close(CloseReason.TRANSPORT_ERROR)
        try:
            handshake = json.loads(packet.data)
            sid = handshake["sid"]
            upgrades = tuple(handshake.get("upgrades", ()))
            ping_interval = handshake["pingInterval"] / 1000
            ping_timeout = handshake["pingTimeout"] / 1000
            max_payload = int(handshake.get("maxPayload", 1_000_000))
            if not isinstance(sid, str) or not all(isinstance(u, str) for u in upgrades):
                raise TypeError("bad handshake field")
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._close(CloseReason.TRANSPORT_ERROR)
        self.sid, self.upgrades, self.max_payload = sid, upgrades, max_payload
        self.ping_interval, self.ping_timeout = float(ping_interval), float(ping_timeout)
        self._state = _State.OPEN
        self._deadline = now + self.ping_interval + self.ping_timeout
        return [SessionOpened(sid, upgrades, self.ping_interval, self.ping_timeout, max_payload)]

    # --- output ----------------------------------------------------------------------------------
    def send_messages(self, messages: list[str | bytes]) -> None:
        """Queue MESSAGEs as one unit."""
        if self._state is _State.CLOSED:
            raise UsageError("the Engine.IO session is closed")
        self._outbox.extend([Packet(PacketType.MESSAGE, m) for m in messages])

    def can_write_directly(self) -> bool:
        """True when MESSAGEs may skip the outbox and go straight to the WebSocket."""
        return (
            self.transport is Transport.WEBSOCKET
            and self._state is _State.OPEN
            and not self._outbox
        )

    def has_output(self) -> bool:
        return bool(self._outbox)

    def take_poll_body(self) -> str | None:
        """The next POST body, or None when there is nothing to send (or not polling)."""
        if self.transport is not Transport.POLLING or not self._outbox:
            return None
        body = encode_payload(self._outbox)
        self._outbox.clear()
        return body

    def take_websocket_frames(self) -> list[str | bytes]:
        if self.transport is not Transport.WEBSOCKET or not self._outbox:
            return []
        frames = [encode_text(p) for p in self._outbox]
        self._outbox.clear()
        return frames

    # --- upgrade ---------------------------------------------------------------------------------
    def can_upgrade(self) -> bool:
        return (
            self._state is _State.OPEN
            and self.transport is Transport.POLLING
            and "websocket" in self.upgrades
            and not self._probing
        )

    def probe_frames(self) -> list[str]:
        """Start the upgrade: the frames to send on the new WebSocket."""
        if not self.can_upgrade():
            raise UsageError("cannot upgrade now")
        self._probing = True
        return ["2probe"]

    def receive_probe_message(self, message: str | bytes) -> bool:
        """True when ``message`` is the server's ``3probe``; raises ProtocolError otherwise."""
        if not self._probing or message != "3probe":
            self._probing = False
            raise ProtocolError(f"unexpected answer to the upgrade probe: {message!r:.40}")
        return True

    def complete_upgrade(self) -> list[str]:
        """Polling has stopped: switch to the WebSocket; the frames to send on it (``5``)."""
        if not self._probing or self._state is not _State.OPEN:
            raise UsageError("no probe succeeded")
        self._probing = False
        self.transport = Transport.WEBSOCKET
        return ["5"]

    def abandon_upgrade(self) -> None:
        self._probing = False

    # --- timers and closing ----------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        return self._deadline if self._state is _State.OPEN else None

    def handle_timer(self, now: float) -> list[Event]:
        """Close with PING_TIMEOUT when the server has been silent too long."""
        if self._state is _State.OPEN and self._deadline is not None and now >= self._deadline:
            return self._close(CloseReason.PING_TIMEOUT)
        return []

    def close(self) -> list[Event]:
        """Close from this side; a CLOSE packet is queued for the server."""
        if self._state is _State.OPEN:
            self._outbox.append(Packet(PacketType.CLOSE))
        return self._close(CloseReason.CLIENT_DISCONNECT, keep_outbox=True)

    def transport_closed(self, error: bool = False) -> list[Event]:
        reason = CloseReason.TRANSPORT_ERROR if error else CloseReason.TRANSPORT_CLOSE
        return self._close(reason)

    def _close(self, reason: CloseReason, keep_outbox: bool = False) -> list[Event]:
        if self._state is _State.CLOSED:
            return []
        self._state = _State.CLOSED
        self.close_reason = reason
        if not keep_outbox:
            self._outbox.clear()
        return [SessionClosed(reason.value)]


__all__ = ["ClientEngineSession", "Transport"]
