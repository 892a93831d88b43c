"""The core's ack table: ids, the limit, the index by namespace, stale timeouts."""

from __future__ import annotations

import pytest

from greensio.protocol.socketio.acks import AckTable

pytestmark = pytest.mark.timeout(10)


class Entry:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def test_an_ack_pops_its_entry_once() -> None:
    table: AckTable[Entry] = AckTable()
    entry = Entry("a")
    assert table.add("/", 0, entry) == []
    assert len(table) == 1
    assert table.pop(0) is entry
    assert table.pop(0) is None
    assert len(table) == 0


def test_an_unknown_ack_id_pops_nothing() -> None:
    table: AckTable[Entry] = AckTable()
    table.add("/", 1, Entry("a"))
    assert table.pop(7) is None
    assert len(table) == 1


def test_past_the_limit_the_oldest_are_evicted_in_order() -> None:
    table: AckTable[Entry] = AckTable(limit=2)
    a, b, c = Entry("a"), Entry("b"), Entry("c")
    table.add("/", 0, a)
    table.add("/chat", 1, b)
    assert table.add("/", 2, c) == [a]
    assert len(table) == 2
    # the evicted entry is gone from the namespace index too
    assert table.pop_namespace("/") == [c]
    assert table.pop_namespace("/chat") == [b]


def test_lowering_the_limit_evicts_several_at_once() -> None:
    table: AckTable[Entry] = AckTable(limit=3)
    entries = [Entry(str(n)) for n in range(3)]
    for n, entry in enumerate(entries):
        table.add("/", n, entry)
    table.limit = 1
    newest = Entry("new")
    assert table.add("/", 9, newest) == entries
    assert table.pop(9) is newest


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        AckTable(limit=0)


def test_pop_entry_forgets_only_that_very_entry() -> None:
    # Ack ids start again at 0 on a client's next connection: a late timeout for the old
    # connection's ack 0 must not take the new one.
    table: AckTable[Entry] = AckTable()
    old, new = Entry("old"), Entry("new")
    table.add("/", 0, old)
    assert table.pop_namespace(None) == [old]
    table.add("/", 0, new)
    assert table.pop_entry(0, old) is False
    assert len(table) == 1
    assert table.pop_entry(0, new) is True
    assert table.pop_entry(0, new) is False
    assert len(table) == 0
    assert table.pop_namespace("/") == []


def test_leaving_a_namespace_pops_only_its_entries() -> None:
    table: AckTable[Entry] = AckTable()
    a, b, c = Entry("a"), Entry("b"), Entry("c")
    table.add("/chat", 0, a)
    table.add("/", 1, b)
    table.add("/chat", 2, c)
    assert table.pop_namespace("/chat") == [a, c]
    assert table.pop_namespace("/chat") == []
    assert table.pop(1) is b


def test_the_connection_ending_pops_everything() -> None:
    table: AckTable[Entry] = AckTable()
    a, b = Entry("a"), Entry("b")
    table.add("/chat", 0, a)
    table.add("/", 1, b)
    assert table.pop_namespace(None) == [a, b]
    assert len(table) == 0
    assert table.pop(0) is None
