"""The seed's ChatNamespace/GameNamespace, its AsyncChatNamespace/AsyncGameNamespace (on
``AsyncServer`` under uvicorn), and Server.call(), with the official JS client as peer."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.node import JS_DIR
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(60 * UNIT)


def run_js(server, scenario: str, transports: list[str]) -> dict:
    done = subprocess.run(
        ["node", str(JS_DIR / "seed_clients.js"), server.url, scenario, json.dumps(transports)],
        capture_output=True,
        text=True,
        timeout=20 * UNIT,
        cwd=JS_DIR,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, f"{scenario}: {result}\n{server.log}"
    return result


@pytest.fixture(scope="module")
def seed_server():
    server = python_server("tests.apps.seed_server:build").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def async_seed_server():
    server = python_server("tests.apps.seed_async_server:build", server="uvicorn").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_server():
    server = python_server("tests.apps.server_api:build").start()
    yield server
    server.stop()


def test_seed_chat_rooms_skip_sid_and_sessions(js_client, seed_server, transports):
    seen = run_js(seed_server, "chat", transports)

    assert seen["welcome"] == [{"message": "Welcome to chat!"}]
    assert seen["alice_status"] == [{"message": "Joined r1"}]
    assert seen["alice_user_joined"] == [{"sid": seen["bob_id"]}]
    assert seen["bob_user_joined"] == 0  # skip_sid
    assert seen["username_set"] == [{"success": True}]
    assert seen["alice_message"]["username"] == "bob"  # from bob's session
    assert seen["alice_message"]["message"] == "in r1"
    assert seen["carol_messages"] == 0  # not in r1
    assert seen["alice_user_left"] == [{"sid": seen["bob_id"]}]
    assert seen["bob_user_left"] == 0  # left before the emit


def test_seed_game(js_client, seed_server, transports):
    seen = run_js(seed_server, "game", transports)

    assert seen["created"] == [{"game_id": "g1"}]
    assert seen["host_joined"] == [{"sid": seen["guest_id"]}]
    assert seen["guest_started"] == [] and seen["host_started"] == []
    assert seen["bystander_events"] == []


def test_server_call_and_ordering(js_client, api_server, transports):
    seen = run_js(api_server, "api", transports)

    assert seen["call"] == ["answer", ["js", {"n": 7}]]
    assert seen["seq"] == list(range(30))
    assert seen["rooms"] == [seen["id"]]


def test_seed_async_chat(js_client, async_seed_server, transports):
    seen = run_js(async_seed_server, "async_chat", transports)

    assert seen["welcome"] == [{"message": "Welcome!"}]
    assert seen["alice_status"] == [{"message": "Joined r1"}]
    assert seen["alice_user_joined"] == [{"sid": seen["bob_id"]}]
    assert seen["bob_user_joined"] == 0  # skip_sid
    assert seen["alice_message"]["username"] == "Anonymous"  # no username in bob's session
    assert seen["alice_message"]["message"] == "in r1"
    assert seen["bob_lobby_message"]["message"] == "to the lobby"  # bob is still in the lobby
    assert seen["carol_messages"] == 1  # her own lobby message; nothing from r1
    assert seen["user_info"] == {"user_info": {"id": 7, "name": "User 7", "status": "online"}}


def test_seed_async_game(js_client, async_seed_server, transports):
    seen = run_js(async_seed_server, "async_game", transports)

    assert seen["created"] == [{"game_id": "g1"}]
    assert seen["host_joined"] == [{"sid": seen["guest_id"]}]
    assert seen["guest_started"] == []
    assert seen["host_update"] == [{"status": "running"}]
    assert seen["guest_update"] == [{"status": "running"}]
    assert seen["bystander_events"] == []
