"""Per-connection Engine.IO v4 state, server side.

Theory of operation
-------------------
A session starts on one transport: long-polling (``Transport.POLLING``) or WebSocket. All outgoing
packets wait in one outbox; the caller drains it with ``end_poll()`` (answering a GET) or
``take_websocket_frames()`` (writing frames), whichever transport is current.

Heartbeat (engine.io-protocol, "Heartbeat"): ``ping_interval`` after the handshake or the last PONG
the session queues a PING and expects a PONG within ``ping_timeout``; otherwise it closes with
``PING_TIMEOUT``. Time is never read here: the caller passes ``now`` and asks ``next_deadline()``
when to call ``handle_timer(now)`` again.

Long-polling: at most one GET may be pending (``begin_poll``/``end_poll``) and one POST read
(``begin_post``/``end_post``). A second concurrent GET or POST closes the session: a pending GET
is answered with CLOSE and the intruder gets an error (engine.io-protocol, "HTTP long-polling").

Upgrade (engine.io-protocol, "Upgrade"): a polling session may attach one probe WebSocket
(``attach_probe``). The caller passes every WebSocket message to ``receive_websocket`` saying
which WebSocket it came on (``probe``) and gets back, besides events, a ``WebSocketOutcome``: what
to write on that WebSocket, whether it now carries the session, whether to close it. The probe
sends ``2probe`` and gets ``3probe``; any pending GET is then answered with NOOP (so is every GET
until the upgrade) so the client's poll cycle ends; the client's UPGRADE (``5``) over the probe
switches the session to WebSocket for good (the outcome says: adopt it). From then on polling
requests on the session are refused. Anything else on the probe ends the probe, not the session.

Closing: ``close()`` (server), a CLOSE packet (client), a heartbeat timeout, a transport that went
away (``transport_closed``) or a protocol violation end the session once, reported as one
``SessionClosed`` event. A server close queues a CLOSE packet for the client; a pending GET is
answered (CLOSE, or NOOP when the client itself closed), and without one the next GET gets it
(``awaits_last_poll``); after that every request on the session is refused.

Nobody but this class changes this state.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from greensio.exceptions import ProtocolError, UsageError
from greensio.protocol.engineio.packets import (
    Packet,
    PacketType,
    decode_frame,
    decode_payload,
    encode_payload,
    encode_text,
)
from greensio.protocol.events import MessageReceived, SessionClosed, TransportUpgraded

Event = MessageReceived | SessionClosed | TransportUpgraded


class Transport(str, enum.Enum):
    POLLING = "polling"
    WEBSOCKET = "websocket"


class CloseReason(str, enum.Enum):
    """Why a connection ended; the values are python-socketio's disconnect reasons."""

    SERVER_DISCONNECT = "server disconnect"
    CLIENT_DISCONNECT = "client disconnect"
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"


class _Probe(enum.Enum):
    NONE = 0
    ATTACHED = 1  # a WebSocket with this sid is open, waiting for 2probe
    PROBED = 2  # 3probe sent, waiting for 5


@dataclass(frozen=True, slots=True)
class WebSocketOutcome:
    """What the caller does with the WebSocket a message came on, besides dispatching events."""

    #: Messages to write on that WebSocket now (the probe's ``3probe``).
    reply: tuple[str, ...] = ()
    #: That WebSocket now carries the session: its frames go out there from now on.
    adopt: bool = False
    #: Why that WebSocket must be closed and no longer read (the session may live on), or None.
    end: str | None = None


#: Nothing to do but dispatch the events (and stop reading once the session is closed).
CONTINUE = WebSocketOutcome()
_ANSWER_PROBE = WebSocketOutcome(reply=("3probe",))
_ADOPT = WebSocketOutcome(adopt=True)

_PING = Packet(PacketType.PING)
_NOOP_PAYLOAD = "6"


class EngineSession:
    """The state of one Engine.IO connection; see the module docstring."""

    def __init__(
        self,
        sid: str,
        *,
        transport: Transport,
        now: float,
        ping_interval: float,
        ping_timeout: float,
        ping_grace: float = 0.0,
        max_payload: int,
        upgrades: tuple[str, ...] = ("websocket",),
        max_payload_packets: int = 1000,
        poll_batch_packets: int = 16,
    ) -> None:
        self.sid = sid
        self.transport = transport
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        #: Extra time for a late PONG, not announced in the handshake (python-engineio's).
        self.ping_grace = ping_grace
        self.max_payload = max_payload
        self.max_payload_packets = max_payload_packets
        #: Most packets per GET (python-engineio's client refuses over 16); the rest wait.
        self.poll_batch_packets = poll_batch_packets
        self.upgrades = upgrades if transport is Transport.POLLING else ()
        self.close_reason: CloseReason | None = None
        self._outbox: list[Packet] = []
        #: Size of the outbox's MESSAGEs (len of each): what ``max_outbound_buffer`` bounds.
        self.outbox_bytes = 0
        self._probe = _Probe.NONE
        self._poll_pending = False
        self._post_pending = False
        self._answer_poll_with_noop = False
        self._next_ping_at = now + ping_interval
        self._pong_deadline: float | None = None

    # --- handshake -------------------------------------------------------------------------------
    def open_packet(self) -> str:
        """The OPEN packet to send first, as text (engine.io-protocol, "Handshake")."""
        handshake = {
            "sid": self.sid,
            "upgrades": list(self.upgrades),
            "pingInterval": round(self.ping_interval * 1000),
            "pingTimeout": round(self.ping_timeout * 1000),
            "maxPayload": self.max_payload,
        }
        return "0" + json.dumps(handshake, separators=(",", ":"))

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    @property
    def awaits_last_poll(self) -> bool:
        """Closed with no GET pending, the next GET must still be answered: it fetches the
        server's CLOSE, or the NOOP due to the client's GET sent with its CLOSE."""
        return (
            self.close_reason is not None
            and self.transport is Transport.POLLING
            and not self._poll_pending
            and (bool(self._outbox) or self._answer_poll_with_noop)
        )

    # --- output ----------------------------------------------------------------------------------
    def send_messages(self, messages: list[str | bytes]) -> None:
        """Queue MESSAGEs back to back (a Socket.IO packet and its attachments)."""
        if self.close_reason is None:
            self._outbox.extend([Packet(PacketType.MESSAGE, m) for m in messages])
            self.outbox_bytes += sum(map(len, messages))

    def can_write_directly(self) -> bool:
        """True when MESSAGEs may skip the outbox and go straight to the WebSocket (nothing is
        queued ahead of them and the session is open): the caller then writes the frames of
        ``message_frames()`` itself instead of calling ``send_messages``."""
        return (
            self.transport is Transport.WEBSOCKET and self.close_reason is None and not self._outbox
        )

    def has_output(self) -> bool:
        """True when a pending GET (or the WebSocket writer) has something to send now."""
        return bool(self._outbox) or self._answer_poll_with_noop or self._probe is _Probe.PROBED

    def take_websocket_frames(self) -> list[str | bytes]:
        """Drain the outbox as WebSocket messages; the caller writes them in order."""
        if self.transport is not Transport.WEBSOCKET or not self._outbox:
            return []
        frames = [encode_text(p) for p in self._outbox]
        self._outbox.clear()
        self.outbox_bytes = 0
        return frames

    # --- long-polling ----------------------------------------------------------------------------
    def begin_poll(self, now: float | None = None) -> None:
        """A GET arrived. Raises RequestRejected when the GET must get a 400; a GET while another
        is pending closes the session (the pending one is answered with CLOSE). With ``now``, the
        heartbeat is judged first: a client silent for ``ping_interval`` + ``ping_timeout`` since
        its last PONG is gone even if the timer has not run yet (python-engineio checks so)."""
        expired = self._expire(now) if now is not None else []
        if self.transport is not Transport.POLLING:
            raise RequestRejected("session is not polling", expired)
        if self.close_reason is not None and not self.awaits_last_poll:
            raise RequestRejected("session is closed", expired)
        if self._poll_pending:
            events = self._close(CloseReason.TRANSPORT_ERROR, notify_client=True)
            raise RequestRejected("concurrent GET on one session", events)
        self._poll_pending = True

    def end_poll(self) -> str | None:
        """Answer the pending GET: the payload to send, or None if nothing is due yet. Call it when
        ``has_output()`` or ``closed``; a GET with nothing to send keeps waiting (a PING is queued
        at least every ``ping_interval``)."""
        if not self._poll_pending:
            raise UsageError("no GET is pending")
        if self._outbox:
            batch = self._outbox[: self.poll_batch_packets]
            del self._outbox[: self.poll_batch_packets]
            payload = encode_payload(batch)
            self.outbox_bytes -= sum([len(p.data) for p in batch])
        elif (
            self._answer_poll_with_noop
            or self._probe is _Probe.PROBED
            or self.close_reason is not None
        ):
            payload = _NOOP_PAYLOAD
        else:
            return None
        self._answer_poll_with_noop = False
        self._poll_pending = False
        return payload

    def abandon_poll(self) -> None:
        """The pending GET's connection went away before it was answered."""
        self._poll_pending = False

    def begin_post(self, now: float) -> None:
        """A POST arrived: call it before reading the body, ``end_post()`` once it is read.
        Raises RequestRejected for a 400 (heartbeat judged first, as in ``begin_poll``); a POST
        while another is read closes the session (a pending GET is answered with CLOSE)."""
        expired = self._expire(now)
        if self.transport is not Transport.POLLING or self.close_reason is not None:
            raise RequestRejected("session is not polling", expired)
        if self._post_pending:
            events = self._close(CloseReason.TRANSPORT_ERROR, notify_client=True)
            raise RequestRejected("concurrent POST on one session", events)
        self._post_pending = True

    def end_post(self) -> None:
        """The body of the POST ``begin_post`` admitted has been read (or its reading failed)."""
        self._post_pending = False

    def receive_poll_body(self, body: bytes, now: float) -> list[Event]:
        """A POST body arrived. Returns events; raises RequestRejected when the POST must get 400
        (a payload that does not decode closes the session: its event is in the exception)."""
        if self.transport is not Transport.POLLING or self.close_reason is not None:
            raise RequestRejected("session is not polling")
        try:
            packets = decode_payload(body, self.max_payload_packets)
        except ProtocolError as exc:
            raise RequestRejected(str(exc), self._close(CloseReason.TRANSPORT_ERROR)) from exc
        return self._receive_packets(packets, now)

    # --- WebSocket -------------------------------------------------------------------------------
    def receive_websocket_message(self, message: str | bytes, now: float) -> list[Event]:
        """A message arrived on the session's own WebSocket (``receive_websocket`` with
        ``probe=False``, events only). A bad packet closes the session."""
        if self.close_reason is not None:
            return []  # a closed session reports nothing after its SessionClosed
        if type(message) is str and message[:1] == "4":
            return [MessageReceived(message[1:])]  # the common case, without a Packet
        try:
            packet = decode_frame(message)
        except ProtocolError:
            return self._close(CloseReason.TRANSPORT_ERROR)
        return self._receive_packets([packet], now)

    @property
    def upgrading(self) -> bool:
        """Whether an upgrade's probe WebSocket is attached (``attach_probe``) and not done."""
        return self._probe is not _Probe.NONE

    def attach_probe(self) -> bool:
        """A WebSocket with this sid arrived for the upgrade; False means refuse it: accept it,
        then close it at once, never an HTTP error (the reference server ignores a second
        WebSocket so, and the official suite's client fails on an HTTP error there)."""
        if (
            self.transport is not Transport.POLLING
            or "websocket" not in self.upgrades
            or self._probe is not _Probe.NONE
            or self.close_reason is not None
        ):
            return False
        self._probe = _Probe.ATTACHED
        return True

    def receive_websocket(
        self, message: str | bytes, now: float, *, probe: bool
    ) -> tuple[list[Event], WebSocketOutcome]:
        """A message on one of the session's WebSockets: its own (``probe`` False) or the probe
        of an upgrade (the one ``attach_probe`` accepted). Returns the events to dispatch and
        what to do with that WebSocket; the caller then flushes the session as usual."""
        if not probe:
            return self.receive_websocket_message(message, now), CONTINUE
        return self._receive_probe(message)

    def _receive_probe(self, message: str | bytes) -> tuple[list[Event], WebSocketOutcome]:
        """``2probe``, then ``5``; anything else ends the probe (the session survives)."""
        if self.close_reason is not None:
            self._probe = _Probe.NONE
            return [], WebSocketOutcome(end="upgrade probe on a closed session")
        try:
            packet = decode_frame(message)
        except ProtocolError as exc:
            self._probe = _Probe.NONE
            return [], WebSocketOutcome(end=str(exc))
        if self._probe is _Probe.ATTACHED and packet == Packet(PacketType.PING, "probe"):
            self._probe = _Probe.PROBED
            # From now until UPGRADE every poll is answered at once with NOOP, so the client's
            # poll cycle ends and it can pause polling (spec: "Upgrade"; Node does the same).
            return [], _ANSWER_PROBE
        if self._probe is _Probe.PROBED and packet.type is PacketType.UPGRADE:
            self.transport = Transport.WEBSOCKET
            self._probe = _Probe.NONE
            if self._poll_pending:
                self._answer_poll_with_noop = True
            return [TransportUpgraded()], _ADOPT
        if self._probe is _Probe.PROBED and packet.type is PacketType.NOOP:
            return [], CONTINUE
        self._probe = _Probe.NONE
        return [], WebSocketOutcome(end=f"unexpected packet on upgrade probe: {message!r:.40}")

    def websocket_closed(self, *, probe: bool, error: bool = False) -> list[Event]:
        """One of the session's WebSockets went away: its own (which closes the session) or an
        upgrade's probe (the session goes on polling and may attach another)."""
        if not probe:
            return self.transport_closed(error)
        if self.transport is Transport.POLLING:
            self._probe = _Probe.NONE
        return []

    def transport_closed(self, error: bool = False) -> list[Event]:
        """The current transport's connection went away (not a CLOSE packet), or failed."""
        return self._close(CloseReason.TRANSPORT_ERROR if error else CloseReason.TRANSPORT_CLOSE)

    # --- timers ----------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When ``handle_timer`` must next be called, or None once closed."""
        if self.close_reason is not None:
            return None
        return self._pong_deadline if self._pong_deadline is not None else self._next_ping_at

    def handle_timer(self, now: float) -> list[Event]:
        """Queue a PING when one is due; close with PING_TIMEOUT when a PONG is overdue."""
        if self.close_reason is not None:
            return []
        if self._pong_deadline is not None:
            if now >= self._pong_deadline:
                return self._close(CloseReason.PING_TIMEOUT)
        elif now >= self._next_ping_at:
            self._outbox.append(_PING)
            self._pong_deadline = now + self.ping_timeout + self.ping_grace
        return []

    def _expire(self, now: float) -> list[Event]:
        # ``_next_ping_at`` moves only with a PONG: the PING due then has had its timeout, whether
        # or not a late timer has queued it yet.
        if self.close_reason is None and now >= (
            self._next_ping_at + self.ping_timeout + self.ping_grace
        ):
            return self._close(CloseReason.PING_TIMEOUT)
        return []

    # --- closing ---------------------------------------------------------------------------------
    def close(self) -> list[Event]:
        """Close from the server side; a CLOSE packet is queued for the client."""
        return self._close(CloseReason.SERVER_DISCONNECT, notify_client=True)

    def _close(self, reason: CloseReason, notify_client: bool = False) -> list[Event]:
        if self.close_reason is not None:
            return []
        self.close_reason = reason
        self._pong_deadline = None
        if notify_client:
            self._outbox.append(Packet(PacketType.CLOSE))
        else:
            self._outbox.clear()
            self.outbox_bytes = 0
        return [SessionClosed(reason.value)]

    # --- input -----------------------------------------------------------------------------------
    def _receive_packets(self, packets: list[Packet], now: float) -> list[Event]:
        events: list[Event] = []
        for packet in packets:
            kind = packet.type
            if kind is PacketType.MESSAGE:
                events.append(MessageReceived(packet.data))
            elif kind is PacketType.PONG:
                self._pong_deadline = None
                self._next_ping_at = now + self.ping_interval
            elif kind is PacketType.CLOSE:
                events += self._close(CloseReason.CLIENT_DISCONNECT)
                # The pending GET ends with NOOP; so does the one the client sent alongside its
                # CLOSE when that GET arrives second (two connections: either may come first).
                self._answer_poll_with_noop = self.transport is Transport.POLLING
                break
            elif kind is PacketType.NOOP:
                continue
            else:
                # OPEN, PING, UPGRADE have no meaning from a client on its current transport.
                events += self._close(CloseReason.TRANSPORT_ERROR)
                break
        return events


class RequestRejected(ProtocolError):
    """An HTTP request on this session must be answered 400. ``events`` holds what the rejection
    caused (a SessionClosed when the session ended with it); the caller dispatches them."""

    def __init__(self, message: str, events: list[Event] | None = None) -> None:
        super().__init__(message)
        self.events = events or []
