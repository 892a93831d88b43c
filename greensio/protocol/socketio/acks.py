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

import collections
from typing import Generic, TypeVar

E = TypeVar("E")


class AckTable(Generic[E]):
    """Pending acks by id, in the order they were added; see the module docstring."""

    __slots__ = ("limit", "_entries", "_namespace_of")

    def __init__(self, limit: int = 1000) -> None:
        if limit < 1:
            raise ValueError("an ack table holds at least one ack")
        self.limit = limit
        self._entries: collections.OrderedDict[int, E] = collections.OrderedDict()
        self._namespace_of: dict[int, str] = {}

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
            oldest_id, oldest = entries.popitem(last=False)
            del self._namespace_of[oldest_id]
            evicted.append(oldest)
        entries[ack_id] = entry
        self._namespace_of[ack_id] = namespace
        return evicted

    def pop(self, ack_id: int) -> E | None:
        """The entry an ACK for ``ack_id`` resolves (None for an unknown id), now forgotten."""
        if self._namespace_of.pop(ack_id, None) is None:
            return None
        return self._entries.pop(ack_id)

    def pop_entry(self, ack_id: int, entry: E) -> bool:
        """Forget ``entry`` if it is still the one pending under ``ack_id``; True if it was."""
        if self._entries.get(ack_id) is not entry:
            return False
        del self._entries[ack_id]
        del self._namespace_of[ack_id]
        return True

    def pop_namespace(self, namespace: str | None) -> list[E]:
        """Every entry of ``namespace`` (of all namespaces when None), now forgotten."""
        if namespace is None:
            doomed = list(self._entries.values())
            self._entries.clear()
            self._namespace_of.clear()
            return doomed
        ids = [ack_id for ack_id, ns in self._namespace_of.items() if ns == namespace]
        for ack_id in ids:
            del self._namespace_of[ack_id]
        return [self._entries.pop(ack_id) for ack_id in ids]
