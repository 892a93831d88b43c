"""The recovery store, the session's pid and replay, the client's recovery state
(greensio.protocol.socketio.recovery)."""

from __future__ import annotations

import json

import pytest

from greensio.exceptions import ProtocolError, UsageError
from greensio.protocol.events import EventReceived, NamespaceConnected
from greensio.protocol.socketio.client import ClientSession
from greensio.protocol.socketio.packets import Codec
from greensio.protocol.socketio.recovery import (
    ClientRecovery,
    KeptSession,
    MemoryRecoveryStore,
    RecoveryOptions,
    kept_from_record,
    kept_record,
    logged_record,
    missed_records,
    recovery_request,
)
from greensio.protocol.socketio.session import ServerSession


def store(**options) -> MemoryRecoveryStore:
    return MemoryRecoveryStore(RecoveryOptions(**options), "p")


def kept(sid="s1", rooms=("s1", "r1"), pid="pid1", namespace="/") -> KeptSession:
    return KeptSession(pid, sid, namespace, list(rooms), {"k": 1})


def test_options_read_true_a_dict_and_refuse_the_rest():
    assert RecoveryOptions.from_option(None) is None
    assert RecoveryOptions.from_option(False) is None
    assert RecoveryOptions.from_option(True) == RecoveryOptions()
    assert RecoveryOptions.from_option({"max_disconnection_duration": 5}).skip_middlewares
    with pytest.raises(UsageError, match="maxDisconnection"):
        RecoveryOptions.from_option({"maxDisconnectionDuration": 5})
    with pytest.raises(UsageError, match="> 0"):
        RecoveryOptions.from_option({"max_disconnection_duration": 0})
    with pytest.raises(UsageError, match="True, False or a dict"):
        RecoveryOptions.from_option("yes")


def test_restore_gives_what_reached_the_session_after_its_offset_in_order():
    s = store()
    seen = s.record(0, "/", ["e", 0], rooms="s1")
    assert seen == "p-0"
    s.record(1, "/", ["m", "to-sid"], rooms="s1")
    s.record(1, "/", ["m", "other"], rooms="s2")
    s.record(1, "/x", ["m", "other-namespace"])
    s.record(1, "/", ["m", "room"], rooms=["r1", "r9"])
    s.record(1, "/", ["m", "skipped"], skip="s1")
    s.record(1, "/", ["m", "excepted"], excepted="r1")
    s.record(1, "/", ["m", "all"])
    s.keep(kept(), 2)
    restored = s.restore("/", "pid1", seen, 3)
    assert restored is not None
    assert (restored.sid, restored.rooms, restored.data) == ("s1", ["s1", "r1"], {"k": 1})
    assert restored.missed == [
        ["m", "to-sid", "p-1"],
        ["m", "room", "p-4"],
        ["m", "all", "p-7"],
    ]
    assert s.restore("/", "pid1", seen, 3) is None  # once


@pytest.mark.parametrize(
    "pid, offset, namespace",
    [
        ("nope", "p-0", "/"),
        ("pid1", "q-0", "/"),
        ("pid1", "p-x", "/"),
        ("pid1", "p-9", "/"),
        ("pid1", "p-0", "/other"),
    ],
)
def test_unknown_pid_foreign_or_future_offset_or_other_namespace_is_not_recovered(
    pid, offset, namespace
):
    s = store()
    s.record(0, "/", ["e"])
    s.keep(kept(), 1)
    assert s.restore(namespace, pid, offset, 2) is None


def test_sessions_and_log_entries_expire_after_the_window():
    s = store(max_disconnection_duration=10)
    offset = s.record(0, "/", ["e"])
    s.keep(kept(), 1)
    assert s.is_kept("pid1")
    assert s.restore("/", "pid1", offset, 12) is None
    s.expire(100)
    assert len(s) == 0 and s.kept_sessions == 0


def test_an_offset_that_fell_out_of_the_bounded_log_is_not_recovered():
    s = store(max_buffered_packets=3)
    offsets = [s.record(0, "/", ["e", i]) for i in range(5)]
    assert len(s) == 3
    s.keep(kept(), 0)
    assert s.restore("/", "pid1", offsets[0], 0) is None
    s.keep(kept(), 0)
    restored = s.restore("/", "pid1", offsets[1], 0)  # the next one is still logged
    assert restored is not None and [m[1] for m in restored.missed] == [2, 3, 4]


def test_kept_sessions_are_bounded_the_oldest_going_first():
    s = store(max_kept_sessions=2)
    for n in range(3):
        s.keep(kept(sid=f"s{n}", pid=f"pid{n}"), n)
    assert s.kept_sessions == 2 and not s.is_kept("pid0") and s.is_kept("pid2")


def test_a_recovery_request_needs_a_string_pid_and_offset():
    assert recovery_request({"pid": "a", "offset": "b", "x": 1}) == ("a", "b")
    assert recovery_request({"pid": "a"}) is None
    assert recovery_request({"pid": "a", "offset": 3}) is None
    assert recovery_request(None) is None


def test_the_session_replays_before_the_connect_reply_which_carries_the_pid():
    session = ServerSession(Codec(), now=0, connect_timeout=45)
    session.begin_connect("/", "sid1", "pid1", replay=[["m", 1, "p-1"]])
    held = session.send("/", ['2["later"]'])
    assert held == []
    out = session.accept_connect("/")
    assert out == ['2["m",1,"p-1"]', '0{"sid":"sid1","pid":"pid1"}', '2["later"]']
    assert "/" in session.recovered
    assert session.disconnect("/") and "/" not in session.recovered and not session.pids


def test_the_client_holds_events_before_the_connect_reply_and_reads_the_pid():
    session = ClientSession(Codec())
    session.connect("/", {"pid": "pid1", "offset": "p-0"})
    assert session.receive_message('2["m",1,"p-1"]') == []
    events = session.receive_message("0" + json.dumps({"sid": "s1", "pid": "pid1"}))
    assert events == [NamespaceConnected("/", "s1"), EventReceived("/", "m", [1, "p-1"], None)]
    assert session.pids == {"/": "pid1"}


def test_the_client_bounds_events_before_the_connect_reply(monkeypatch):
    import greensio.protocol.socketio.client as client

    monkeypatch.setattr(client, "MAX_EARLY_EVENTS", 2)
    session = ClientSession(Codec())
    session.connect("/")
    session.receive_message('2["a"]')
    session.receive_message('2["b"]')
    with pytest.raises(ProtocolError, match="before CONNECT"):
        session.receive_message('2["c"]')


def test_the_client_state_adds_pid_and_offset_and_strips_offsets():
    state = ClientRecovery()
    assert state.auth("/", {"token": "t"}) == {"token": "t"}
    state.connected("/", "pid1")
    assert "/" not in state.recovered
    assert state.event_args("/", ["x", "p-3"], None) == ["x"]
    assert state.event_args("/", ["x", "y"], 7) == ["x", "y"]  # asks an ack: no offset
    assert state.auth("/", None) == {"pid": "pid1", "offset": "p-3"}
    state.connected("/", "pid1")
    assert "/" in state.recovered
    state.connected("/", "pid2")  # a fresh session
    assert "/" not in state.recovered and state.auth("/", None) is None
    state.forget()
    assert state.event_args("/", ["x", "p-4"], None) == ["x", "p-4"]


# --- a shared store's records ---------------------------------------------------------------------
def test_logged_records_are_json_and_decide_what_reaches_a_restored_session():
    logged = [
        logged_record("/", ["to-sid", 1], "s1"),
        logged_record("/", ["to-room"], {"r1", "r2"}),
        logged_record("/", ["to-all"]),
        logged_record("/", ["skipped"], "r1", skip=["s1", "s9"]),
        logged_record("/", ["excepted"], None, excepted="r1"),
        logged_record("/", ["other-room"], 7),
        logged_record("/chat", ["other-namespace"], "s1"),
        logged_record("/", ["to-int-room"], [7, "r1"]),
        logged_record("/", ["binary", {"blob": b"\x00\xff"}, [b"a"]], "s1"),
    ]
    records = [(f"{i}-0", json.loads(json.dumps(r))) for i, r in enumerate(logged)]
    assert missed_records(records, "/", "s1", ["s1", "r1"]) == [
        ["to-sid", 1, "0-0"],
        ["to-room", "1-0"],
        ["to-all", "2-0"],
        ["to-int-room", "7-0"],
        ["binary", {"blob": b"\x00\xff"}, [b"a"], "8-0"],
    ]
    assert missed_records(records, "/", "s2", [7]) == [
        ["to-all", "2-0"],
        ["excepted", "4-0"],
        ["other-room", "5-0"],
        ["to-int-room", "7-0"],
    ]


def test_kept_records_round_trip_through_json():
    session = kept()
    back = kept_from_record(json.loads(json.dumps(kept_record(session))))
    assert (back.pid, back.sid, back.namespace, back.rooms, back.data) == (
        "pid1",
        "s1",
        "/",
        ["s1", "r1"],
        {"k": 1},
    )
