"""The core's events are frozen, slotted nouns with no behaviour (STYLE.md item 4)."""

from __future__ import annotations

import dataclasses

import pytest

from greensio.protocol import events

pytestmark = pytest.mark.timeout(60)

ALL = [
    events.MessageReceived("x"),
    events.TransportUpgraded(),
    events.SessionClosed("ping timeout"),
    events.NamespaceConnectRequested("/", None),
    events.EventReceived("/", "ev", [1], None),
    events.AckReceived("/", 1, []),
    events.NamespaceDisconnected("/", "client disconnect"),
    events.ConnectTimedOut(),
]


@pytest.mark.parametrize("event", ALL, ids=lambda e: type(e).__name__)
def test_events_are_frozen_and_slotted(event: object) -> None:
    assert dataclasses.is_dataclass(event)
    assert hasattr(type(event), "__slots__")
    assert not hasattr(event, "__dict__")
    fields = dataclasses.fields(event)
    if fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, fields[0].name, None)


def test_events_compare_by_value() -> None:
    assert events.MessageReceived(b"a") == events.MessageReceived(b"a")
    assert events.MessageReceived("a") != events.MessageReceived(b"a")
    assert events.TransportUpgraded() == events.TransportUpgraded()
