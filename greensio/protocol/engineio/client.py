"""Per-connection Engine.IO v4 state, client side.

Theory of operation
-------------------
The session starts CONNECTING on long-polling or WebSocket. The first packet from the server must
be OPEN; it yields ``SessionOpened`` with the server's heartbeat settings. From then on the server
sends PING and the client answers PONG at once; when no PING comes within ``ping_interval +
ping_timeout`` of the last one (or of OPEN) the server is presumed gone (``PING_TIMEOUT``).

Outgoing packets wait in one outbox, drained by ``take_poll_body()`` (a POST) or
``take_websocket_frames()``, whichever transport is current. On long-polling the session knows
which requests are in flight: ``begin_poll()`` says whether a GET may go out (and counts it until
``receive_poll_body()``), ``take_poll_body()`` counts its POST until ``post_done()``.

Upgrade (engine.io-protocol, "Upgrade"), driven by the caller: ``probe_frames()`` gives ``2probe``
to send on a new WebSocket; ``receive_probe_message('3probe')`` returns True when the probe
succeeded. From then on polling *pauses*: no new GET (``begin_poll()`` is False), no new POST
(what is sent waits in the outbox). Once the GET and POST in flight have ended (the server answers
the pending GET with NOOP when the probe arrives), ``upgrade_may_complete()`` is True — the caller
checks it after each request it ends — and ``complete_upgrade()`` gives the ``5`` to send on the
WebSocket and makes it the transport, so nothing sent over polling arrives after what goes over the
WebSocket. ``abandon_upgrade()`` gives up: before the pause polling simply goes on; during it the
connection is lost (polling has stopped), a TRANSPORT_ERROR.

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


class _Upgrade(enum.Enum):
    NONE = 0
    PROBING = 1  # ``2probe`` sent, polling goes on
    PAUSING = 2  # ``3probe`` received: no new GET or POST until the upgrade completes


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
        self._upgrade = _Upgrade.NONE
        self._polling = False  # a GET is in flight
        self._posting = False  # a POST is in flight
        self._deadline: float | None = None

    @property
    def opened(self) -> bool:
        return self._state is _State.OPEN

    @property
    def closed(self) -> bool:
        return self._state is _State.CLOSED

    # --- input -----------------------------------------------------------------------------------
    def receive_poll_body(self, body: bytes | str, now: float) -> list[Event]:
        """A GET response body arrived. The GET still counts as in flight until ``poll_done()``:
        the caller dispatches what it brought first, so nothing the WebSocket brings after an
        upgrade can overtake it. Bad input closes the session (TRANSPORT_ERROR)."""
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

    def begin_poll(self) -> bool:
        """Whether to send the next GET now; True counts it in flight until ``poll_done()``
        (a failed GET is also ``transport_closed``). False (closed, upgraded, paused for the
        upgrade, or a GET already out): the caller's poll loop ends."""
        if (
            self._state is not _State.OPEN
            or self.transport is not Transport.POLLING
            or self._upgrade is _Upgrade.PAUSING
            or self._polling
        ):
            return False
        self._polling = True
        return True

    def take_poll_body(self) -> str | None:
        """The next POST body, or None when there is nothing to send (or not polling, or paused
        for the upgrade, or a POST is out). A body counts as in flight until ``post_done()``."""
        if (
            self.transport is not Transport.POLLING
            or not self._outbox
            or self._upgrade is _Upgrade.PAUSING
            or self._posting
        ):
            return None
        body = encode_payload(self._outbox)
        self._outbox.clear()
        self._posting = True
        return body

    def poll_done(self) -> None:
        """The GET of ``begin_poll()`` has ended and what it brought was dispatched (on a failure
        the caller also calls ``transport_closed``)."""
        self._polling = False

    def post_done(self) -> None:
        """The POST of ``take_poll_body()`` has ended, answered or not (on a failure the caller
        also calls ``transport_closed``)."""
        self._posting = False

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
            and self._upgrade is _Upgrade.NONE
        )

    def probe_frames(self) -> list[str]:
        """Start the upgrade: the frames to send on the new WebSocket."""
        if not self.can_upgrade():
            raise UsageError("cannot upgrade now")
        self._upgrade = _Upgrade.PROBING
        return ["2probe"]

    def receive_probe_message(self, message: str | bytes) -> bool:
        """True when ``message`` is the server's ``3probe``: polling pauses; the caller waits
        for ``upgrade_may_complete()``. Raises ProtocolError otherwise (the probe is over)."""
        if self._upgrade is not _Upgrade.PROBING or message != "3probe":
            if self._upgrade is _Upgrade.PROBING:
                self._upgrade = _Upgrade.NONE
            raise ProtocolError(f"unexpected answer to the upgrade probe: {message!r:.40}")
        self._upgrade = _Upgrade.PAUSING
        return True

    def upgrade_may_complete(self) -> bool:
        """True once the probe succeeded and no GET or POST is in flight: the caller may call
        ``complete_upgrade()`` (after ending a request, it wakes the task that will)."""
        return (
            self._upgrade is _Upgrade.PAUSING
            and self._state is _State.OPEN
            and not self._polling
            and not self._posting
        )

    def complete_upgrade(self) -> list[str]:
        """Switch to the WebSocket; the frames to send on it (``5``). Only when
        ``upgrade_may_complete()``."""
        if not self.upgrade_may_complete():
            raise UsageError("the upgrade cannot complete now")
        self._upgrade = _Upgrade.NONE
        self.transport = Transport.WEBSOCKET
        return ["5"]

    def abandon_upgrade(self) -> list[Event]:
        """Give the upgrade up. Once polling paused for it the connection is lost: the events
        of its closing (TRANSPORT_ERROR)."""
        paused, self._upgrade = self._upgrade is _Upgrade.PAUSING, _Upgrade.NONE
        return self._close(CloseReason.TRANSPORT_ERROR) if paused else []

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
        self._upgrade = _Upgrade.NONE  # a CLOSE still queued goes out over polling
        if not keep_outbox:
            self._outbox.clear()
        return [SessionClosed(reason.value)]


__all__ = ["ClientEngineSession", "Transport"]
