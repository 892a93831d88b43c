"""Server options that change what goes on the wire: cookie, always_connect, json, msgpack —
checked against real peers (raw HTTP, python-socketio's client, the official JS client)."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests
import socketio
import websocket

import greensio
from tests.support.node import JS_DIR, node_with_packages
from tests.support.peers import STEP, Peer
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(40 * UNIT)

APP = "tests.apps.options_app:build"


@pytest.fixture
def serve():
    started = []

    def start(**options):
        server = python_server(APP, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def handshake(server) -> requests.Response:
    return requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=STEP)


def test_no_cookie_by_default(serve):
    assert "Set-Cookie" not in handshake(serve()).headers


def test_cookie_by_name(serve):
    response = handshake(serve(cookie="io"))
    sid = json.loads(response.text[1:])["sid"]
    assert response.headers["Set-Cookie"] == f"io={sid}; path=/; SameSite=Lax"


def test_cookie_with_attributes(serve):
    response = handshake(serve(cookie={"name": "sio", "path": "/app", "httpOnly": True}))
    sid = json.loads(response.text[1:])["sid"]
    assert response.headers["Set-Cookie"] == f"sio={sid}; path=/app; httpOnly; SameSite=Lax"


def test_always_connect_accepts_then_disconnects_a_refused_client(serve):
    server = serve(always_connect=True)
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=STEP
    )
    try:
        assert ws.recv().startswith("0{")
        ws.send('40{"refuse":true}')
        # Connected first (the CONNECT reply goes out before the handler runs), then sent away
        # once the handler refused. (Checked on the wire: python-socketio's client handles each
        # packet on its own thread and may see the DISCONNECT before the CONNECT.)
        assert ws.recv().startswith('40{"sid":')
        assert ws.recv() == "41"
    finally:
        ws.close()


def test_custom_json_module(serve):
    server = serve(json_module="orjson")
    peer = Peer(["welcome"]).connect(server.url, transports=["websocket"])
    assert peer.record.wait_for("welcome") == ({"text": "héllo ✓", "blob": b"\x00\xff"},)
    assert peer.sio.call("echo", ("ünï", [1, 2.5, None]), timeout=STEP) == ("ünï", [1, 2.5, None])
    peer.close()


@pytest.mark.parametrize("transports", [["polling"], ["websocket"], ["polling", "websocket"]])
def test_msgpack_with_python_socketio_client(serve, transports):
    server = serve(serializer="msgpack")
    client = socketio.Client(serializer="msgpack", reconnection=False)
    seen = []
    client.on("welcome", seen.append)
    client.connect(server.url, transports=transports, wait_timeout=STEP)
    try:
        assert client.call("echo", (b"\x01\x02", {"n": [1, None]}), timeout=STEP) == (
            b"\x01\x02",
            {"n": [1, None]},
        )
        assert seen == [{"text": "héllo ✓", "blob": b"\x00\xff"}]
    finally:
        client.disconnect()


JS_MSGPACK = r"""
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");
const [url, transports] = [process.argv[1], JSON.parse(process.argv[2])];
const socket = io(url, { parser, transports, reconnection: false });
const fail = (why) => { console.log(JSON.stringify({ error: String(why) })); process.exit(1); };
setTimeout(() => fail("timeout"), 8000);
socket.on("connect_error", fail);
socket.on("welcome", (welcome) => {
  socket.timeout(5000).emit("echo", Buffer.from([1, 2]), { n: [1, null] }, (err, blob, obj) => {
    if (err) fail(err);
    console.log(JSON.stringify({
      welcome_text: welcome.text,
      welcome_blob: Buffer.from(welcome.blob).toString("hex"),
      ack_blob: Buffer.from(blob).toString("hex"),
      ack_obj: obj,
    }));
    socket.disconnect();
    process.exit(0);
  });
});
"""


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]])
def test_msgpack_with_the_js_parser(serve, transports):
    node = node_with_packages("socket.io-client", "socket.io-msgpack-parser")
    server = serve(serializer="msgpack")
    done = subprocess.run(
        [node, "-e", JS_MSGPACK, server.url, json.dumps(transports)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=20 * UNIT,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, result
    assert result == {
        "welcome_text": "héllo ✓",
        "welcome_blob": "00ff",
        "ack_blob": "0102",
        "ack_obj": {"n": [1, None]},
    }


def test_options_readable_as_python_socketio_attributes():
    default = greensio.Server(async_mode="threading")
    assert default.namespaces == ["/"] and default.always_connect is False
    chosen = greensio.Server(async_mode="threading", namespaces="*", always_connect=True)
    assert chosen.namespaces == "*" and chosen.always_connect is True
