"""The table of acks one side is owed by its peer, keyed by ack id.

Theory of operation
-------------------
The caller hands out an ack id (``next_ack_id`` of its session), then ``add``s an entry for it:
whatever it will resolve later (a blocked ``call()``'s waiter, a callback). The table is bounded:
``add`` past ``limit`` evicts the oldest entries and returns them; the caller fails them. An ACK
from the peer ``pop``s its entry, to resolve. A timeout ``pop_entry``s exactly the entry it was
set for: ack ids start again at 0 on a client's next connection, so the id alone could name a
newer ack. When the peer leaves a namespace (or the connection ends), ``pop_namespace`` returns
every entry of it, to fail at once.

The table decides nothing else: what an entry is, and what resolving or failing it means, is the
caller's (``greensio/acks.py``).
"""

from __future__ import annotations

from typing import Generic, TypeVar

E = TypeVar("E")


class AckTable(Generic[E]):
    """Pending acks by id, in the order they were added; see the module docstring."""

    __slots__ = ("limit", "_entries")

    def __init__(self, limit: int = 1000) -> None:
        if limit < 1:
            raise ValueError("an ack table holds at least one ack")
        self.limit = limit
        #: ack id -> (namespace, entry), oldest first (a dict keeps insertion order).
        self._entries: dict[int, tuple[str, E]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, namespace: str, ack_id: int, entry: E) -> list[E]:
        """Register ``entry`` for ``ack_id`` on ``namespace``.

        Returns the entries evicted to stay within ``limit`` (oldest first, usually none): the
        caller fails them as timed out.
        """
        evicted: list[E] = []
        entries = self._entries
        while len(entries) >= self.limit:
            evicted.append(entries.pop(next(iter(entries)))[1])
        entries[ack_id] = (namespace, entry)
        return evicted

    def pop(self, ack_id: int) -> E | None:
        """The entry an ACK for ``ack_id`` resolves (None for an unknown id), now forgotten."""
        found = self._entries.pop(ack_id, None)
        return None if found is None else found[1]

    def pop_entry(self, ack_id: int, entry: E) -> bool:
        """Forget ``entry`` if it is still the one pending under ``ack_id``; True if it was."""
        found = self._entries.get(ack_id)
        if found is None or found[1] is not entry:
            return False
        del self._entries[ack_id]
        return True

    def pop_namespace(self, namespace: str | None) -> list[E]:
        """Every entry of ``namespace`` (of all namespaces when None), now forgotten."""
        entries = self._entries
        if namespace is None:
            doomed = [entry for _, entry in entries.values()]
            entries.clear()
            return doomed
        ids = [ack_id for ack_id, (ns, _) in entries.items() if ns == namespace]
        return [entries.pop(ack_id)[1] for ack_id in ids]
