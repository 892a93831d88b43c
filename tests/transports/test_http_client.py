"""greensio.transports.http_client (long-polling's GET and POST, urllib3) and its asyncio twin
async_http_client (h11 over asyncio streams; ``front``) against real servers on 127.0.0.1.

A small recording HTTP server runs in a thread of the test process (plain and TLS, with a
throw-away CA from ``trustme``); the Engine.IO handshake runs against greensio's own server in a
child process.
"""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import trustme
import urllib3

from greensio import exceptions
from greensio.transports.async_http_client import AsyncHttpClient
from greensio.transports.http_client import HttpClient
from tests.client.loop_thread import Blocking, LoopThread
from tests.support.raw_server import raw_servers, read_request
from tests.support.servers import UNIT, python_server

pytestmark = pytest.mark.timeout(20 * UNIT)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers ``/status/<n>`` with status n, ``/slow`` after a while, anything else with 200;
    records each request's method, path, headers and body on the server."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        self.server.ports.append(self.client_address[1])  # type: ignore[attr-defined]
        status = 200
        if self.path.startswith("/status/"):
            status = int(self.path.rsplit("/", 1)[1])
        if self.path == "/slow":
            time.sleep(2 * UNIT)
        reply = b"reply to " + self.command.encode() + b" " + body
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timeout test hangs up on purpose


def _serve(context: ssl.SSLContext | None = None) -> Iterator[Server]:
    server = Server(("127.0.0.1", 0), Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.ports = []  # type: ignore[attr-defined]
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def http_server() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_server(ca: trustme.CA) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    yield from _serve(context)


@pytest.fixture(params=["HttpClient", "AsyncHttpClient"])
def front(request) -> str:
    return request.param


@pytest.fixture
def make(front):
    """``make(*args, **kwargs)``: an ``HttpClient``, or an ``AsyncHttpClient`` whose ``request``
    runs on an event loop in a thread (tests/client/loop_thread.py) and is waited for."""
    loops: list[LoopThread] = []
    made: list = []

    def new(*args, **kwargs):
        if front == "HttpClient":
            return HttpClient(*args, **kwargs)
        if not loops:
            loops.append(LoopThread())
        made.append(Blocking(AsyncHttpClient(*args, **kwargs), loops[0]))
        return made[-1]

    yield new
    for client in made:
        client.close()
    for loop in loops:
        loop.stop()


def url(server: Server, path: str, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}{path}"


def test_get_returns_status_and_body(http_server, make) -> None:
    client = make(headers={"X-Custom": "one"})
    assert client.request("GET", url(http_server, "/get?q=1"), timeout=5 * UNIT) == (
        200,
        b"reply to GET ",
    )
    method, path, headers, body = http_server.seen[-1]
    assert (method, path, body) == ("GET", "/get?q=1", b"")
    assert headers["X-Custom"] == "one"
    assert "Content-Type" not in headers


def test_post_sends_the_body_as_utf8_text(http_server, make) -> None:
    client = make(headers={"X-Custom": "two"})
    payload = "4héllo\x1e4wörld".encode()
    status, reply = client.request("POST", url(http_server, "/post"), payload, timeout=5 * UNIT)
    assert (status, reply) == (200, b"reply to POST " + payload)
    method, _, headers, body = http_server.seen[-1]
    assert (method, body) == ("POST", payload)
    assert headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert headers["X-Custom"] == "two"


def test_an_error_status_is_returned_not_raised(http_server, make) -> None:
    client = make()
    status, _ = client.request("GET", url(http_server, "/status/400"), timeout=5 * UNIT)
    assert status == 400


def test_keep_alive_reuses_one_connection(http_server, make) -> None:
    client = make()
    for _ in range(3):
        client.request("GET", url(http_server, "/again"), timeout=5 * UNIT)
    assert len(set(http_server.ports[-3:])) == 1  # one client port: one TCP connection


def test_a_shared_pool_is_used(http_server) -> None:
    shared = urllib3.PoolManager()
    client = HttpClient(shared)
    assert client.pool is shared
    client.request("GET", url(http_server, "/shared"), timeout=5 * UNIT)
    assert len(shared.pools) == 1


def test_a_slow_server_times_out(http_server, make) -> None:
    client = make()
    start = time.monotonic()
    with pytest.raises(exceptions.ConnectionError, match="GET .*/slow failed"):
        client.request("GET", url(http_server, "/slow"), timeout=0.3 * UNIT)
    assert time.monotonic() - start < 1.5 * UNIT


def test_an_unreachable_server_is_a_connection_error(make) -> None:
    with pytest.raises(exceptions.ConnectionError) as caught:
        make().request("GET", "http://127.0.0.1:1/socket.io/?EIO=4", timeout=2 * UNIT)
    assert isinstance(caught.value, ConnectionError)  # the builtin too
    assert "EIO" not in str(caught.value)  # the query string is not repeated in the message


def test_https_with_verification_off(https_server, make) -> None:
    client = make(ssl_verify=False)
    status, _ = client.request("GET", url(https_server, "/tls", "https"), timeout=5 * UNIT)
    assert status == 200


def test_https_verification_refuses_an_unknown_ca(https_server, make) -> None:
    with pytest.raises(exceptions.ConnectionError):
        make().request("GET", url(https_server, "/tls", "https"), timeout=5 * UNIT)


def test_https_with_a_pool_that_trusts_the_ca(https_server, ca: trustme.CA) -> None:
    with ca.cert_pem.tempfile() as ca_file:
        client = HttpClient(urllib3.PoolManager(ca_certs=ca_file))
        status, _ = client.request("GET", url(https_server, "/tls", "https"), timeout=5 * UNIT)
    assert status == 200


def test_engineio_handshake_against_greensio(make) -> None:
    server = python_server("tests.apps.engineio_echo:build").start()
    try:
        status, body = make().request(
            "GET", f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=5 * UNIT
        )
    finally:
        server.stop()
    assert status == 200
    assert body.startswith(b'0{"sid":')


# --- the asyncio client only ----------------------------------------------------------------------
def test_the_asyncio_client_refuses_a_session() -> None:
    with pytest.raises(exceptions.UsageError, match="http_session"):
        AsyncHttpClient(urllib3.PoolManager())


def test_https_with_a_context_that_trusts_the_ca(https_server, ca: trustme.CA) -> None:
    loop = LoopThread()
    try:
        context = ssl.create_default_context()
        ca.configure_trust(context)
        client = AsyncHttpClient()
        client.ssl_context = context
        request = client.request("GET", url(https_server, "/tls", "https"), timeout=5 * UNIT)
        assert loop.run(request)[0] == 200
        loop.loop.call_soon_threadsafe(client.close)
    finally:
        loop.stop()


def _run_against(script, *requests: str) -> list:
    """Each of ``requests`` (a path) in turn on one ``AsyncHttpClient``, against a raw server
    that runs ``script`` on the first connection; each outcome, a (status, body) or the
    ConnectionError."""
    loop = LoopThread()
    outcomes: list = []
    try:
        with raw_servers() as start:
            port = start(script)
            client = AsyncHttpClient()
            for path in requests:
                request = client.request("GET", f"http://127.0.0.1:{port}{path}", timeout=UNIT)
                try:
                    outcomes.append(loop.run(request))
                except exceptions.ConnectionError as exc:
                    outcomes.append(exc)
            loop.loop.call_soon_threadsafe(client.close)
    finally:
        loop.stop()
    return outcomes


def test_a_chunked_answer_then_one_that_closes() -> None:
    def script(conn) -> None:
        read_request(conn)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        read_request(conn)  # the same connection, kept alive
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")

    assert _run_against(script, "/one", "/two") == [(200, b"abcde"), (200, b"until the end")]


@pytest.mark.parametrize(
    "answer",
    [b"not HTTP at all\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b""],
    ids=["garbage", "cut-short", "hang-up"],
)
def test_a_bad_answer_is_a_connection_error(answer: bytes) -> None:
    def script(conn) -> None:
        read_request(conn)
        conn.sendall(answer)

    [outcome] = _run_against(script, "/bad")
    assert isinstance(outcome, exceptions.ConnectionError)
    assert "GET" in str(outcome) and "/bad failed" in str(outcome)
