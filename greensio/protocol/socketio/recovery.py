"""Connection state recovery (Socket.IO v5, as Node's socket.io 4.6+): what is kept and replayed.

Theory of operation
-------------------
With recovery on, the server answers CONNECT with ``{"sid", "pid"}`` (``pid``: a private id the
client sends back), and appends an *offset* (a string) as the last argument of every EVENT it
emits without an ack id, unless the emit is volatile. The client remembers the last offset it
received; reconnecting, it sends ``{"pid", "offset"}`` in its CONNECT auth.

The store keeps one log of the emits it stamped (``record``): the offset, when, the namespace and
the targeting (rooms, skipped sids, excepted rooms), and the packet data. When a connection is
lost at the transport level (``RECOVERABLE_REASONS``: not a client or server disconnect) the
server ``keep``\\ s the session: pid, sid, rooms, session dict. ``restore(pid, offset)`` within
``max_disconnection_duration`` gives it back with every logged emit after ``offset`` that
targeted it, in order; the server replays them before the CONNECT reply. An unknown pid, an
expired session, or an offset no longer in the log (too old) gives None: a fresh session.

Bounds: the log holds at most ``max_buffered_packets`` entries and none older than the window;
at most ``max_kept_sessions`` sessions are kept (the oldest go first), none past the window. So
the events one disconnected session can miss are bounded by the log's length.

This module is pure: times and ids come in (``now``, the offset prefix). A shared store (Redis:
``greensio.managers.recovery_store``) keeps the JSON records ``logged_record`` and
``kept_record`` make, with the log's own ids as offsets, and lets ``missed_records`` decide
what of its log reaches a restored session.
"""

from __future__ import annotations

import base64
import collections
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from greensio.exceptions import UsageError
from greensio.protocol.engineio.session import CloseReason
from greensio.protocol.socketio.packets import _deconstruct, reconstruct

#: Why an Engine.IO connection ended that keeps the sessions of the namespaces still joined
#: (Node's "transport close", "transport error", "ping timeout"): a transport that closed or
#: failed, a heartbeat that timed out, and an Engine.IO CLOSE from the client (Node calls that
#: "transport close" too; the JS client's ``socket.io.engine.close()`` over long-polling). A
#: client's ``disconnect()`` sends a Socket.IO DISCONNECT first, which leaves the namespace, so
#: nothing is kept then; the server's own disconnect never keeps one.
RECOVERABLE_REASONS = frozenset(
    {
        CloseReason.CLIENT_DISCONNECT.value,
        CloseReason.TRANSPORT_CLOSE.value,
        CloseReason.TRANSPORT_ERROR.value,
        CloseReason.PING_TIMEOUT.value,
    }
)


@dataclass(frozen=True, slots=True)
class RecoveryOptions:
    """``connection_state_recovery=`` of ``Server``: ``True`` for these defaults, or a dict."""

    #: Seconds a lost session stays recoverable (Node's ``maxDisconnectionDuration``, in ms there).
    max_disconnection_duration: float = 120.0
    #: Whether a recovered connection skips the middlewares (``sio.use``), as Node's default.
    skip_middlewares: bool = True
    #: Most emits the log holds (the oldest go first); bounds what a session can miss.
    max_buffered_packets: int = 10_000
    #: Most lost sessions kept at once (the oldest go first).
    max_kept_sessions: int = 10_000

    @classmethod
    def from_option(cls, value: Any) -> RecoveryOptions | None:
        """Read ``connection_state_recovery=``: False/None (off), True (defaults) or a dict."""
        if value is None or value is False:
            return None
        if value is True:
            return cls()
        if not isinstance(value, dict):
            raise UsageError("connection_state_recovery= takes True, False or a dict of options")
        unknown = set(value) - set(cls.__slots__)
        if unknown:
            raise UsageError(
                f"connection_state_recovery: unknown option {sorted(unknown)[0]!r} (known: "
                f"{', '.join(cls.__slots__)})"
            )
        options = cls(**value)
        if options.max_disconnection_duration <= 0:
            raise UsageError("connection_state_recovery: max_disconnection_duration must be > 0")
        if options.max_buffered_packets < 1 or options.max_kept_sessions < 1:
            raise UsageError("connection_state_recovery: the max_ bounds must be at least 1")
        return options


@dataclass(slots=True)
class KeptSession:
    """A session lost at the transport level, waiting for its client."""

    pid: str
    sid: str
    namespace: str
    rooms: list[Any]
    #: The application's session dict (``sio.session``), or None if it had none.
    data: dict[str, Any] | None
    disconnected_at: float = 0.0


@dataclass(frozen=True, slots=True)
class RecoveredSession:
    """What ``restore`` gives back: the session and the EVENT data it missed, in order."""

    pid: str
    sid: str
    rooms: list[Any]
    data: dict[str, Any] | None
    missed: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Logged:
    seq: int
    at: float
    namespace: str
    rooms: frozenset[Any] | None  # None: everyone in the namespace
    skip: frozenset[str]
    excepted: frozenset[Any]
    data: list[Any]

    def reaches(self, namespace: str, sid: str, rooms: set[Any]) -> bool:
        if namespace != self.namespace or sid in self.skip:
            return False
        if self.rooms is not None and self.rooms.isdisjoint(rooms):
            return False
        return self.excepted.isdisjoint(rooms)


def _as_set(value: Any) -> frozenset[Any]:
    if value is None:
        return frozenset()
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(value)
    return frozenset([value])


class RecoveryStore(Protocol):
    """Where logged emits and lost sessions live: in memory here (one node), or shared
    (``greensio.managers.recovery_store``: Redis, so that a client recovers on any node)."""

    def record(
        self,
        now: float,
        namespace: str,
        data: list[Any],
        rooms: Any = None,
        skip: Any = None,
        excepted: Any = None,
    ) -> str:
        """Log an emit whose EVENT data is ``data`` (the offset not yet in it); returns the
        offset to append to it."""
        ...

    def keep(self, session: KeptSession, now: float) -> None:
        """Keep a session lost at the transport level."""
        ...

    def restore(self, namespace: str, pid: str, offset: str, now: float) -> RecoveredSession | None:
        """The session ``pid`` back, with what it missed after ``offset``; None: not
        recoverable (unknown, expired, offset too old). A session is restored once."""
        ...


class MemoryRecoveryStore:
    """The in-memory ``RecoveryStore`` of one server; see the module docstring.

    Args:
        options: the bounds and the window.
        prefix: starts every offset of this store (a random id the caller draws), so offsets
            of another server or an earlier run are never mistaken for this one's.
    """

    def __init__(self, options: RecoveryOptions, prefix: str) -> None:
        self.options = options
        self.prefix = prefix + "-"
        self._log: collections.deque[_Logged] = collections.deque(
            maxlen=options.max_buffered_packets
        )
        self._next_seq = 0
        self._sessions: collections.OrderedDict[str, KeptSession] = collections.OrderedDict()

    def __len__(self) -> int:
        """Entries in the log (for tests and metrics)."""
        return len(self._log)

    @property
    def kept_sessions(self) -> int:
        return len(self._sessions)

    def is_kept(self, pid: str) -> bool:
        """Whether the session ``pid`` is kept, waiting for its client."""
        return pid in self._sessions

    def record(
        self,
        now: float,
        namespace: str,
        data: list[Any],
        rooms: Any = None,
        skip: Any = None,
        excepted: Any = None,
    ) -> str:
        seq = self._next_seq
        self._next_seq += 1
        offset = f"{self.prefix}{seq}"
        room_set = None if rooms is None else _as_set(rooms)
        self._log.append(
            _Logged(
                seq, now, namespace, room_set, _as_set(skip), _as_set(excepted), [*data, offset]
            )
        )
        self.expire(now)
        return offset

    def keep(self, session: KeptSession, now: float) -> None:
        session.disconnected_at = now
        self._sessions.pop(session.pid, None)
        self._sessions[session.pid] = session
        while len(self._sessions) > self.options.max_kept_sessions:
            self._sessions.popitem(last=False)
        self.expire(now)

    def restore(self, namespace: str, pid: str, offset: str, now: float) -> RecoveredSession | None:
        self.expire(now)
        session = self._sessions.get(pid)
        if session is None or session.namespace != namespace:
            return None
        del self._sessions[pid]
        seq = self._seq_of(offset)
        if seq is None:
            return None
        rooms = set(session.rooms)
        missed = [e.data for e in self._after(seq) if e.reaches(namespace, session.sid, rooms)]
        return RecoveredSession(session.pid, session.sid, session.rooms, session.data, missed)

    def expire(self, now: float) -> None:
        """Forget the log entries and sessions older than the window."""
        threshold = now - self.options.max_disconnection_duration
        log = self._log
        while log and log[0].at < threshold:
            log.popleft()
        sessions = self._sessions
        while sessions:
            oldest = next(iter(sessions.values()))
            if oldest.disconnected_at >= threshold:
                break
            sessions.popitem(last=False)

    def _seq_of(self, offset: str) -> int | None:
        """The sequence number of a logged ``offset``, or None when it is not one of this
        store's or no longer in the log (what came after it may be lost)."""
        if not offset.startswith(self.prefix):
            return None
        digits = offset[len(self.prefix) :]
        if not digits.isdigit():
            return None
        seq = int(digits)
        first = self._log[0].seq if self._log else self._next_seq
        if seq >= self._next_seq or seq < first - 1:
            return None
        return seq

    def _after(self, seq: int) -> Iterable[_Logged]:
        log = self._log
        if not log:
            return ()
        start = seq + 1 - log[0].seq
        return [log[i] for i in range(max(0, start), len(log))]


# --- a shared store's records (``greensio.managers.recovery_store``): JSON-able, I/O elsewhere --
def logged_record(
    namespace: str, data: list[Any], rooms: Any = None, skip: Any = None, excepted: Any = None
) -> dict[str, Any]:
    """What a shared log keeps of one emit (its offset is the log's, not in it): JSON-able
    (``bytes`` in ``data`` become placeholders and base64 attachments, ``b``)."""
    attachments: list[bytes] = []
    record: dict[str, Any] = {
        "n": namespace,
        "r": None if rooms is None else sorted(_as_set(rooms), key=repr),
        "s": sorted(_as_set(skip), key=repr),
        "x": sorted(_as_set(excepted), key=repr),
        "d": _deconstruct(data, attachments),
    }
    if attachments:
        record["b"] = [base64.b64encode(item).decode("ascii") for item in attachments]
    return record


def missed_records(
    records: Iterable[tuple[str, dict[str, Any]]], namespace: str, sid: str, rooms: Iterable[Any]
) -> list[list[Any]]:
    """The EVENT data, each with its offset appended, of the ``(offset, logged_record)`` pairs
    (in the log's order) that reach ``sid`` in ``rooms`` on ``namespace``."""
    room_set = set(rooms)
    missed = []
    for offset, record in records:
        target = record.get("r")
        logged = _Logged(
            0,
            0.0,
            record.get("n", ""),
            None if target is None else frozenset(target),
            frozenset(record.get("s") or ()),
            frozenset(record.get("x") or ()),
            [],
        )
        if logged.reaches(namespace, sid, room_set):
            data = record.get("d", [])
            if record.get("b"):
                data = reconstruct(data, [base64.b64decode(item) for item in record["b"]])
            missed.append([*data, offset])
    return missed


def kept_record(session: KeptSession) -> dict[str, Any]:
    """What a shared store keeps of a lost session: JSON-able."""
    return {
        "pid": session.pid,
        "sid": session.sid,
        "n": session.namespace,
        "rooms": session.rooms,
        "data": session.data,
    }


def kept_from_record(record: dict[str, Any]) -> KeptSession:
    """The ``KeptSession`` a ``kept_record`` was made of."""
    return KeptSession(
        record["pid"], record["sid"], record["n"], list(record["rooms"]), record.get("data")
    )


def recovery_request(auth: Any) -> tuple[str, str] | None:
    """``(pid, offset)`` from a CONNECT's auth when the client asks to recover (both strings,
    as Node requires), else None."""
    if not isinstance(auth, dict):
        return None
    pid, offset = auth.get("pid"), auth.get("offset")
    if isinstance(pid, str) and isinstance(offset, str):
        return pid, offset
    return None


class ClientRecovery:
    """The client's side: the pid each namespace was given, the last offset it received.

    ``auth`` adds ``{pid, offset}`` to a (re)connection's CONNECT auth once both are known;
    ``connected`` reads the CONNECT reply's pid (recovered: the same pid came back);
    ``event_args`` takes the offset off an event's arguments (remembering it) where the server
    gave a pid, so handlers get the arguments as emitted. ``forget`` after a disconnect that is
    not a transport loss (the client's, the server's): the next connection starts afresh.
    """

    def __init__(self) -> None:
        self.pids: dict[str, str] = {}
        self.offsets: dict[str, str] = {}
        self.recovered: set[str] = set()

    def auth(self, namespace: str, auth: dict[str, Any] | None) -> dict[str, Any] | None:
        pid, offset = self.pids.get(namespace), self.offsets.get(namespace)
        if pid is None or offset is None:
            return auth
        return {"pid": pid, "offset": offset, **(auth or {})}

    def connected(self, namespace: str, pid: str | None) -> None:
        if pid is not None and self.pids.get(namespace) == pid:
            self.recovered.add(namespace)
        else:
            self.recovered.discard(namespace)
            self.offsets.pop(namespace, None)
        if pid is None:
            self.pids.pop(namespace, None)
        else:
            self.pids[namespace] = pid

    def event_args(self, namespace: str, args: list[Any], ack_id: int | None) -> list[Any]:
        if ack_id is not None or namespace not in self.pids or not args:
            return args
        if not isinstance(args[-1], str):
            return args
        self.offsets[namespace] = args[-1]
        return args[:-1]

    def forget(self, namespace: str | None = None) -> None:
        """Forget ``namespace`` (every namespace: None)."""
        for table in (self.pids, self.offsets):
            if namespace is None:
                table.clear()
            else:
                table.pop(namespace, None)
