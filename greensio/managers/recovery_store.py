"""``RedisRecoveryStore``: connection state recovery shared by every node on one Redis.

Theory of operation (the decisions are the pure ``greensio.protocol.socketio.recovery``'s; this
is the I/O):

- The log of stamped emits is one Redis stream per channel and namespace,
  ``greensio:recovery:<channel>:log:<namespace>``: ``record`` is ``XADD ... MAXLEN ~
  <max_buffered_packets> * d <logged_record JSON>``, and the offset appended to the EVENT is the
  entry's id (``<ms>-<seq>``, which Redis gives in one order for every node: offsets from
  different nodes compare). The same round trip trims entries older than the window (``XTRIM
  MINID ~``, from the previous entry's time) and sets the stream's TTL to the window, so an idle
  log goes away.
- A session lost at the transport level is a string key,
  ``greensio:recovery:<channel>:session:<namespace>:<pid>``, its ``kept_record`` as JSON, that
  Redis expires after ``max_disconnection_duration`` (``SET ... PX``).
- ``restore`` takes the session with ``GETDEL`` (so it is restored once, on whichever node asks
  first) and reads, in the same round trip, the offset's entry (gone: it was trimmed, what came
  after it may be lost, so a fresh session) and the entries after it (``XRANGE (<offset> +``);
  ``missed_records`` keeps the ones that reach the session, in the log's order.

Redis unreachable: ``record`` gives an offset that is in no log (a later restore from it gives a
fresh session), ``keep`` keeps nothing and ``restore`` recovers nothing, logged at warning; for
``RETRY_AFTER`` seconds after a failure the store does not try Redis (an emit does not wait on a
connect timeout each time): recovery degrades, emits never fail for it; nor for data that is not
JSON (not logged). ``max_kept_sessions`` does not apply (each session expires on its own). The
calls block: in a greenlet ``Server`` they are cooperative; an ``AsyncServer`` waits for them on
its loop (one loopback round trip per emit and restore).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from greensio.protocol.socketio.recovery import (
    KeptSession,
    RecoveredSession,
    RecoveryOptions,
    kept_from_record,
    kept_record,
    logged_record,
    missed_records,
)

_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")
#: The offset of an emit that could not be logged: a stream id no log holds.
UNLOGGED = "0-0"
#: Seconds after a failure during which the store does not try Redis.
RETRY_AFTER = 1.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _field(fields: dict[Any, Any]) -> Any:
    return fields[b"d"] if b"d" in fields else fields["d"]  # (``decode_responses``: str keys)


class RedisRecoveryStore:
    """A ``RecoveryStore`` in Redis, shared by the nodes of ``channel``; see the module docstring.

    Args:
        connect: makes a redis-py client (the manager's ``_client``).
        channel: the cluster's channel (the keys' prefix).
        options: the bounds and the window.
        dumps / loads: JSON for the records (the manager's, else the standard library's).
        logger: where failures are logged.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        channel: str,
        options: RecoveryOptions,
        dumps: Callable[[Any], Any] | None = None,
        loads: Callable[[Any], Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        import json

        self.connect = connect
        self.prefix = f"greensio:recovery:{channel}:"
        self.options = options
        self.window_ms = max(1, int(options.max_disconnection_duration * 1000))
        self._dumps = dumps or json.dumps
        self._loads = loads or json.loads
        self.logger = logger or logging.getLogger("greensio.managers")
        self._client: Any = None
        #: Per namespace, the time (ms, Redis's) of the last entry this node logged.
        self._last_ms: dict[str, int] = {}
        #: Until when (the callers' ``now``) Redis is not tried after a failure.
        self._retry_at: float | None = None

    def log_key(self, namespace: str) -> str:
        return f"{self.prefix}log:{namespace}"

    def session_key(self, namespace: str, pid: str) -> str:
        return f"{self.prefix}session:{namespace}:{pid}"

    def _redis(self) -> Any:
        if self._client is None:
            self._client = self.connect()
        return self._client

    def _down(self, now: float) -> bool:
        """Whether Redis failed less than ``RETRY_AFTER`` seconds ago (not to be tried)."""
        return self._retry_at is not None and now < self._retry_at

    def _failed(self, what: str, exc: Exception, now: float) -> None:
        self.logger.warning(
            "connection state recovery: %s failed (%s); not trying Redis again for %s s",
            what,
            exc,
            RETRY_AFTER,
        )
        self._retry_at = now + RETRY_AFTER
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - a broken connection's close may fail too
                pass

    # --- RecoveryStore ---------------------------------------------------------------------------
    def record(
        self,
        now: float,
        namespace: str,
        data: list[Any],
        rooms: Any = None,
        skip: Any = None,
        excepted: Any = None,
    ) -> str:
        if self._down(now):
            return UNLOGGED
        try:
            body = self._dumps(logged_record(namespace, data, rooms, skip, excepted))
        except (TypeError, ValueError) as exc:
            self.logger.warning("connection state recovery: an emit not JSON (%s): not logged", exc)
            return UNLOGGED
        key = self.log_key(namespace)
        try:
            pipe = self._redis().pipeline(transaction=False)
            pipe.xadd(key, {"d": body}, maxlen=self.options.max_buffered_packets, approximate=True)
            last_ms = self._last_ms.get(namespace)
            if last_ms is not None and last_ms > self.window_ms:
                pipe.xtrim(key, minid=f"{last_ms - self.window_ms}-0", approximate=True)
            pipe.pexpire(key, self.window_ms)
            offset = _text(pipe.execute()[0])
        except Exception as exc:  # noqa: BLE001 - redis-py's errors and the socket's
            self._failed("logging an emit", exc, now)
            return UNLOGGED
        self._last_ms[namespace] = int(offset.partition("-")[0])
        return offset

    def keep(self, session: KeptSession, now: float) -> None:
        try:
            body = self._dumps(kept_record(session))
        except (TypeError, ValueError) as exc:
            self.logger.warning(
                "connection state recovery: %s's session is not JSON (%s): not kept",
                session.sid,
                exc,
            )
            return
        if self._down(now):
            return
        try:
            key = self.session_key(session.namespace, session.pid)
            self._redis().set(key, body, px=self.window_ms)
        except Exception as exc:  # noqa: BLE001
            self._failed("keeping a session", exc, now)

    def restore(self, namespace: str, pid: str, offset: str, now: float) -> RecoveredSession | None:
        valid = _STREAM_ID.fullmatch(offset) is not None and offset != UNLOGGED
        if self._down(now):
            return None
        try:
            pipe = self._redis().pipeline(transaction=False)
            pipe.getdel(self.session_key(namespace, pid))
            if valid:
                key = self.log_key(namespace)
                pipe.xrange(key, offset, offset, count=1)
                pipe.xrange(key, f"({offset}", "+", count=self.options.max_buffered_packets)
            replies = pipe.execute()
        except Exception as exc:  # noqa: BLE001
            self._failed("restoring a session", exc, now)
            return None
        if replies[0] is None or not valid or not replies[1]:
            return None  # unknown or expired pid; an offset no longer (or never) in the log
        try:
            session = kept_from_record(self._loads(replies[0]))
            records = [(_text(i), self._loads(_field(fields))) for i, fields in replies[2]]
        except (ValueError, KeyError, TypeError) as exc:
            self.logger.warning("connection state recovery: a malformed record (%s)", exc)
            return None
        missed = missed_records(records, namespace, session.sid, session.rooms)
        return RecoveredSession(session.pid, session.sid, session.rooms, session.data, missed)

    # --- for tests and metrics -------------------------------------------------------------------
    def is_kept(self, pid: str, namespace: str = "/") -> bool:
        """Whether the session ``pid`` (of ``namespace``) is kept, waiting for its client."""
        return bool(self._redis().exists(self.session_key(namespace, pid)))

    def log_length(self, namespace: str = "/") -> int:
        """Entries in ``namespace``'s log."""
        return int(self._redis().xlen(self.log_key(namespace)))
