"""``sio.instrument()``: the admin UI's protocol, spoken to the official JS client.

``tests/interop/js/admin_client.js`` plays the admin UI (on '/admin') and a user client (on '/')
against ``tests/apps/admin_app.py`` (``Server``, pywsgi) and its asyncio source (``AsyncServer``,
uvicorn) on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import greensio
from tests.support.node import JS_DIR, node_with_packages
from tests.support.servers import UNIT, ServerProcess, python_server

pytestmark = pytest.mark.timeout(60 * UNIT)

FRONT_ENDS = {
    "Server": ("tests.apps.admin_app:build", "pywsgi"),
    "AsyncServer": ("tests.apps.async_admin_app:build", "uvicorn"),
}
CREDENTIALS = {"username": "admin", "password": "s3cret"}
WRITE = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]


@pytest.fixture(params=list(FRONT_ENDS))
def front_end(request) -> tuple[str, str]:
    return FRONT_ENDS[request.param]


def start(front_end: tuple[str, str], redis: dict | None = None, **admin) -> ServerProcess:
    app, web_server = front_end
    options = {"redis": redis} if redis else {}
    return python_server(app, server=web_server, admin=admin, ping_interval=2, **options).start()


def run_js(server: ServerProcess, scenario: str, auth: object, *more_urls: str) -> dict:
    node = node_with_packages("socket.io-client")
    argv = [node, str(JS_DIR / "admin_client.js"), server.url, scenario, json.dumps(auth)]
    argv += more_urls
    env = dict(os.environ, GREENSIO_TEST_UNIT=str(UNIT))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=40 * UNIT, env=env)
    assert done.returncode == 0, done.stderr + server.log
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert not {"error", "timeout", "connect_error"} & set(seen), (seen, server.log)
    return seen


def test_the_ui_sees_sockets_rooms_events_and_acts(front_end):
    server = start(front_end, auth=CREDENTIALS, server_id="node-a", server_stats_interval=0.5)
    try:
        seen = run_js(server, "full", CREDENTIALS)
    finally:
        server.stop()
    admin, user = seen["admin"], seen["user"]
    assert admin["config"]["supportedFeatures"] == [*WRITE, "AGGREGATED_EVENTS", "ALL_EVENTS"]
    # all_sockets: the admin's own socket, on /admin.
    assert [s["nsp"] for s in admin["all_sockets"]] == ["/admin"]
    stats = admin["first_stats"]
    assert stats["serverId"] == "node-a" and isinstance(stats["pid"], int)
    assert {"name": "/admin", "socketsCount": 1} in stats["namespaces"]
    later = admin["later_stats"]
    assert {"name": "/", "socketsCount": 1} in later["namespaces"]
    assert later["pollingClientsCount"] == 0  # both over WebSocket
    connected = admin["socket_connected"]
    assert connected["id"] == user["id"] and connected["nsp"] == "/"
    assert connected["transport"] == "websocket" and connected["clientId"]
    assert connected["handshake"]["address"] == "127.0.0.1"
    nsp, room, sid, _when = admin["room_joined"]
    assert (nsp, room, sid) == ("/", "r1", user["id"])
    assert admin["event_received"][:3] == ["/", user["id"], ["hello", {"x": 1}]]
    assert admin["event_sent"][:3] == ["/", user["id"], ["reply", {"got": {"x": 1}}]]
    # The actions took effect on the user.
    assert user["from_admin"] == [1, {"two": 2}]
    assert "r2" in user["rooms_after_join"] and "r2" not in user["rooms_after_leave"]
    assert admin["left_r2"][:3] == ["/", "r2", user["id"]]
    assert user["disconnect_reason"] == "io server disconnect"
    assert admin["socket_disconnected"][:3] == ["/", user["id"], "server disconnect"]
    check_upgrade_close_room_and_counts(seen)


def check_upgrade_close_room_and_counts(seen: dict) -> None:
    admin, up = seen["admin"], seen["up"]
    # The upgrade: socket_connected said polling, socket_updated (Node's shape) says websocket.
    assert admin["up_connected"]["transport"] == "polling"
    assert admin["up_updated"] == {"id": up["id"], "nsp": "/", "transport": "websocket"}
    # close_room: each member is reported leaving.
    assert up["closed"] is True and "r1" not in up["rooms_after_close"]
    assert admin["closed_r1"][:3] == ["/", "r1", up["id"]]
    # aggregatedEvents, the types the UI's charts read: 'é' * 5000 came in as 10000 bytes.
    tally = admin["tally_after_big"]
    assert 10000 <= tally["bytesIn"] < 13000, tally
    assert tally["bytesOut"] >= 30000, tally  # the reply, event_received and event_sent
    assert tally["rawConnection"] >= 2 and tally["packetsIn"] >= 6 and tally["packetsOut"] >= 6
    assert "connection" not in tally and "disconnection" not in tally  # not Node's types
    final = admin["tally"]
    assert final["rawDisconnection"] >= 2
    assert set(admin["sub_types"]["rawDisconnection"]) <= {
        "client disconnect",
        "transport close",
    }, admin["sub_types"]


def test_the_ui_sees_every_node_of_a_cluster(front_end):
    """Two nodes over one Redis: the admin on node A hears node B's stats (its own server_id),
    sockets, rooms and events, and acts on node B's sockets (Node's admin UI: every report is
    an emit on the admin namespace through the adapter)."""
    from tests.support.brokers import redis_server
    from tests.support.cluster import channel_name

    with redis_server() as redis:
        cluster = {"url": redis.url, "channel": channel_name()}
        a = start(front_end, redis=cluster, server_id="node-a", server_stats_interval=0.5)
        try:
            b = start(front_end, redis=cluster, server_id="node-b", server_stats_interval=0.5)
            try:
                seen = run_js(a, "cluster", {}, b.url)
            finally:
                b.stop()
        finally:
            a.stop()
    admin, user = seen["admin"], seen["user"]
    assert admin["servers"] == ["node-a", "node-b"]
    assert admin["stats_b"]["clientsCount"] == 1
    assert {"name": "/", "socketsCount": 1} in admin["stats_b"]["namespaces"]
    assert admin["stats_b"]["pid"] != admin["stats_a"]["pid"]
    assert admin["b_connected"]["nsp"] == "/" and admin["b_connected"]["transport"] == "websocket"
    listed = {(s["nsp"], s["id"]) for s in seen["late"]["all_sockets"]}
    assert {("/", user["a"]), ("/", user["b"])} <= listed  # Server and AsyncServer alike
    b_listed = next(s for s in seen["late"]["all_sockets"] if s["id"] == user["b"])
    assert b_listed["handshake"]["address"] == "127.0.0.1" and b_listed["clientId"]
    assert admin["b_joined"][:3] == ["/", "rb", user["b"]] and "rb" in user["b_rooms"]
    assert admin["b_received"][:3] == ["/", user["b"], ["hello", {"from": "b"}]]
    assert admin["b_left"][:3] == ["/", "rb", user["b"]]  # close_room on node A
    assert "rb" not in user["b_rooms_closed"]
    assert user["b_from_admin"] == ["hi"]
    assert user["b_reason"] == "io server disconnect"
    assert admin["b_disconnected"][:3] == ["/", user["b"], "server disconnect"]


def test_read_only_refuses_the_actions(front_end):
    server = start(front_end, read_only=True, mode="production", server_stats_interval=0.5)
    try:
        seen = run_js(server, "readonly", {})
    finally:
        server.stop()
    assert seen["admin"]["config"]["supportedFeatures"] == ["AGGREGATED_EVENTS"]
    assert "event_received" not in seen["admin"]  # production mode: no event reports
    user = seen["user"]
    assert user["connected"] is True
    assert sorted(user["rooms_after"]) == sorted([user["id"], "r1"])
    assert "from_admin" not in user["events"]


@pytest.mark.parametrize("auth", [{"username": "admin", "password": "nope"}, {}, None])
def test_bad_credentials_are_refused(front_end, auth):
    server = start(front_end, auth=[CREDENTIALS, {"username": "b", "password": "c"}])
    try:
        seen = run_js(server, "refused", auth)
    finally:
        server.stop()
    assert seen["refused"] == "authentication failed"


def test_a_bcrypt_hash_as_the_password():
    """As Node's admin UI: the configured password may be a bcrypt hash (greensio[admin])."""
    pytest.importorskip("bcrypt", reason="the optional extra greensio[admin]")
    from tests.apps.admin_app import HASHED

    admin = greensio.Server().instrument(auth=[{"username": "admin", "password": HASHED}])
    assert admin._authenticated({"username": "admin", "password": "s3cret"})
    assert not admin._authenticated({"username": "admin", "password": "wrong"})
    assert not admin._authenticated({"username": "eve", "password": "s3cret"})
    assert not admin._authenticated({"username": "admin"})


def test_a_hash_without_bcrypt_names_the_extra():
    try:
        import bcrypt  # noqa: F401
    except ImportError:
        with pytest.raises(greensio.exceptions.UsageError, match=r"pip install greensio\[admin\]"):
            greensio.Server().instrument(auth={"username": "a", "password": "$2b$04$" + "x" * 53})
    else:
        admin = greensio.Server().instrument(
            auth={"username": "a", "password": "$2b$04$" + "x" * 53}
        )
        assert admin.server_id


def test_a_callable_and_a_server_id_per_worker():
    sio = greensio.Server()
    admin = sio.instrument(auth=lambda auth: auth == {"token": "t"})
    assert admin._authenticated({"token": "t"}) and not admin._authenticated({"token": "u"})
    assert admin.server_id == f"{__import__('socket').gethostname()}#{os.getpid()}"
    with pytest.raises(greensio.exceptions.UsageError, match="mode"):
        sio.instrument(mode="dev")


def test_the_engine_hooks_are_set_by_instrument_only_and_count_as_node_does():
    """Without ``instrument()`` the Engine.IO server has no observer (each hook: one check)."""
    sio = greensio.Server()
    assert sio.eio.observer is None and not sio.listeners.observers.active
    admin = sio.instrument(read_only=True)
    assert sio.eio.observer is admin
    admin.engine_closed("e1", "ping timeout")
    admin.engine_received("e1", "é")  # 2 bytes of UTF-8
    admin.engine_sent("e1", ['2["a"]', b"\x00\x01\x02"])
    assert admin.server_stats(drain=False)["aggregatedEvents"] == []
    summed: dict[tuple, int] = {}
    for event in admin.server_stats()["aggregatedEvents"]:
        assert event["timestamp"] % 1000 == 0  # seconds, in ms (Node's EventBuffer)
        key = (event["type"], event.get("subType"))
        summed[key] = summed.get(key, 0) + event["count"]
    assert summed == {
        ("rawDisconnection", "ping timeout"): 1,
        ("packetsIn", None): 1,
        ("bytesIn", None): 2,
        ("packetsOut", None): 2,
        ("bytesOut", None): 9,
    }
    assert admin.server_stats()["aggregatedEvents"] == []  # drained
    admin.shutdown()
    assert sio.eio.observer is None and not sio.listeners.observers.active
