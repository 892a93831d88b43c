"""The pieces of greensio/engineio/forwarding.py: sids that name their owner, a private
endpoint that serves only requests bearing its token, and forwarded requests relayed over pooled
keep-alive connections (to a real HTTP/1.1 server on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import http.server
import io
import logging
import threading

import pytest

from greensio.engineio.forwarding import (
    OWNER_ID_LENGTH,
    SID_LENGTH,
    Forwarding,
    make_sid,
    new_owner_id,
    owner_of,
)


def test_sid_names_its_owner_and_stays_random():
    owner = new_owner_id()
    sids = {make_sid(owner) for _ in range(1000)}
    assert len(sids) == 1000
    assert all(len(s) == SID_LENGTH and owner_of(s) == owner for s in sids)
    assert len(owner) == OWNER_ID_LENGTH
    assert owner_of("short") is None


class _Registry:
    def __init__(self) -> None:
        self.records: dict[str, str] = {}

    def register(self, owner_id: str, record: str, ttl: float) -> None:
        self.records[owner_id] = record

    def lookup(self, owner_id: str) -> str | None:
        return self.records.get(owner_id)


def _forwarding(served: list) -> Forwarding:
    def serve_local(environ, start_response):
        served.append(environ)
        start_response("200 OK", [])
        return [b"ok"]

    fwd = Forwarding(_Registry(), serve_local, lambda sid: False, None, logging.getLogger(), 5)
    fwd.token = "secret-token"
    return fwd


def _call(app, environ):
    status = []
    body = b"".join(app(environ, lambda s, h, exc=None: status.append(s)))
    return status[0], body


def test_private_endpoint_refuses_a_forged_or_missing_token():
    served: list = []
    fwd = _forwarding(served)
    for headers in ({}, {"HTTP_X_GREENSIO_FORWARD_TOKEN": "guess"}):
        environ = {"REQUEST_METHOD": "GET", "HTTP_X_GREENSIO_CLIENT_ADDR": "6.6.6.6", **headers}
        status, _ = _call(fwd.private_app, environ)
        assert status.startswith("403")
    assert served == []


def test_private_endpoint_trusts_the_client_address_with_the_token():
    served: list = []
    fwd = _forwarding(served)
    environ = {
        "REQUEST_METHOD": "GET",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_GREENSIO_FORWARD_TOKEN": "secret-token",
        "HTTP_X_GREENSIO_CLIENT_ADDR": "10.1.2.3",
    }
    status, body = _call(fwd.private_app, environ)
    assert status.startswith("200") and body == b"ok"
    assert served[0]["REMOTE_ADDR"] == "10.1.2.3" and served[0]["greensio.forwarded"]


def test_forwarded_headers_drop_the_clients_internal_ones():
    fwd = _forwarding([])
    environ = {
        "HTTP_X_GREENSIO_FORWARD_TOKEN": "forged",
        "HTTP_COOKIE": "a=b",
        "REMOTE_ADDR": "1.2.3.4",
    }
    headers = dict(fwd._headers(environ, "real"))
    assert headers["X-Greensio-Forward-Token"] == "real"
    assert headers["X-Greensio-Client-Addr"] == "1.2.3.4" and headers["Cookie"] == "a=b"


class _Owner(http.server.BaseHTTPRequestHandler):
    """An owner's private endpoint, HTTP/1.1 keep-alive, counting the connections it accepts."""

    protocol_version = "HTTP/1.1"
    connections = 0
    seen: list[tuple[str, str, bytes, str]] = []

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        token = self.headers.get("X-Greensio-Forward-Token", "")
        self.seen.append((self.command, self.path, body, token))
        payload = b"ok:" + body
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _owner_endpoint():
    _Owner.connections, _Owner.seen = 0, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Owner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.timeout(30)
def test_forwarded_requests_reuse_a_pooled_connection_per_owner():
    fwd = _forwarding([])
    with _owner_endpoint() as address:
        for n in range(10):
            body = f"4hello{n}".encode()
            environ = {
                "REQUEST_METHOD": "POST" if n % 2 else "GET",
                "PATH_INFO": "/socket.io/",
                "QUERY_STRING": f"EIO=4&transport=polling&sid=x{n}",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
            }
            got = []
            out = fwd._forward(
                (address, "owner-token"), environ, lambda s, h, got=got: got.append((s, h))
            )
            status, headers = got[0]
            assert status == "200 OK"
            assert b"".join(out) == b"ok:" + (body if n % 2 else b"")
            assert [v for k, v in headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]
        fwd.close()
    assert _Owner.connections == 1  # ten requests, one keep-alive connection
    assert [path for _, path, _, _ in _Owner.seen][-1].endswith("sid=x9")
    assert {token for *_, token in _Owner.seen} == {"owner-token"}


@pytest.mark.timeout(30)
def test_an_unreachable_owner_gets_a_502():
    fwd = _forwarding([])
    with _owner_endpoint() as address:
        pass  # closed again: nothing listens there now
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "QUERY_STRING": "sid=x"}
    got = []
    fwd._forward((address, "t"), environ, lambda s, h, exc=None: got.append(s))
    assert got[0].startswith("502")
