"""examples/nginx.conf, run by a real nginx in front of the chat example on ``gunicorn -k gevent``.

The configuration file is the example itself, with only its two addresses changed (the upstream
to the port gunicorn got, the listener to a free loopback port) and nginx's pid and logs kept in a
temporary prefix. python-socketio's client then goes through nginx: on the upgrade (which needs
the ``Upgrade`` and ``Connection`` headers passed on), on long-polling only, and on WebSocket
only; the Flask page comes through too.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.interop.test_gunicorn import APPS, WAIT, ChatClient, Gunicorn
from tests.support.servers import ROOT, UNIT

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
CONF = ROOT / "examples" / "nginx.conf"

pytestmark = [
    pytest.mark.timeout(60 * UNIT),
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configure(upstream: int, listen: int) -> str:
    text = CONF.read_text()
    for old, new in (
        ("server 127.0.0.1:5000;", f"server 127.0.0.1:{upstream};"),
        ("listen 8080;", f"listen 127.0.0.1:{listen};"),
    ):
        assert text.count(old) == 1, f"{CONF} no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def proxied_url() -> Iterator[str]:
    assert NGINX is not None
    upstream = Gunicorn(APPS["greensio"]).start()
    prefix = Path(tempfile.mkdtemp(prefix="greensio-nginx-"))
    (prefix / "logs").mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(configure(upstream.port, port))
    argv = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs" / "error.log")]
    argv += ["-g", f"daemon off; pid {prefix / 'nginx.pid'};"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10 * UNIT
        while True:
            try:
                if requests.get(url + "/", timeout=UNIT).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, (prefix / "logs" / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.1 * UNIT)
        yield url
    finally:
        proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            proc.wait(5 * UNIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5 * UNIT)
        upstream.stop()
        shutil.rmtree(prefix, ignore_errors=True)
    assert "Traceback" not in upstream.log, upstream.log


def test_the_page_comes_through(proxied_url: str) -> None:
    page = requests.get(proxied_url + "/", timeout=WAIT)
    assert page.status_code == 200
    assert "<title>greensio chat</title>" in page.text


@pytest.mark.parametrize(
    ("transports", "expected"),
    [(None, "websocket"), (["polling"], "polling"), (["websocket"], "websocket")],
    ids=["upgrade", "polling", "websocket"],
)
def test_clients_chat_through_nginx(
    proxied_url: str, transports: list[str] | None, expected: str
) -> None:
    alice = ChatClient("alice-nginx").connect(proxied_url, transports)
    bob = ChatClient("bob-nginx").connect(proxied_url, transports)
    try:
        assert alice.sio.transport() == expected
        alice.sio.emit("message", "through nginx")
        bob.expect("message", {"name": "alice-nginx", "text": "through nginx"})
        assert bob.sio.call("set_name", "bob2", timeout=WAIT) == {"name": "bob2"}
        alice.expect("renamed", {"old": "bob-nginx", "new": "bob2"})
    finally:
        for client in (alice, bob):
            if client.sio.connected:
                client.sio.disconnect()
